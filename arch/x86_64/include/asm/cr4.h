/* SPDX-License-Identifier: MIT */
/*
 * CR4's bits (SDM Vol. 3A §2.5), those a guest may set, and which of them
 * the CPUID leaves 1 and 7 it is shown allow (cr4.c). Pure.
 */
#ifndef ASM_CR4_H
#define ASM_CR4_H

#include <types.h>

#define X86_CR4_VME (1UL << 0)
#define X86_CR4_PVI (1UL << 1)
#define X86_CR4_TSD (1UL << 2)
#define X86_CR4_DE (1UL << 3)
#define X86_CR4_PSE (1UL << 4)
#define X86_CR4_PAE (1UL << 5)
#define X86_CR4_MCE (1UL << 6)
#define X86_CR4_PGE (1UL << 7)
#define X86_CR4_OSFXSR (1UL << 9)
#define X86_CR4_OSXMMEXCPT (1UL << 10)
#define X86_CR4_VMXE (1UL << 13)
#define X86_CR4_FSGSBASE (1UL << 16)
#define X86_CR4_SMEP (1UL << 20)
#define X86_CR4_SMAP (1UL << 21)
#define CR4_UMIP (1ULL << 11)
#define CR4_LA57 (1ULL << 12)
#define CR4_SMXE (1ULL << 14)
#define CR4_PCIDE (1ULL << 17)
#define CR4_OSXSAVE (1ULL << 18)
#define CR4_PKE (1ULL << 22)

/*
 * CR4 bits a guest may ever set: those whose state is either in the
 * VMCS/VMCB or switched by guest_cpu_switch(). guest_cr4_allowed() narrows
 * them further to the features the guest's CPUID shows. Never allowed,
 * because the state behind them is not switched: PCE (RDPMC at CPL 3; no
 * counters are offered), OSXSAVE (XCR0 and XSAVE state), PKE (PKRU), CET,
 * and what CPUID always hides (UMIP, PCIDE, LA57, VMXE, SMXE, ...).
 */
#define GUEST_CR4_ALLOWED                                                              \
	(X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | X86_CR4_DE | X86_CR4_PSE | X86_CR4_PAE | \
	 X86_CR4_MCE | X86_CR4_PGE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT | X86_CR4_FSGSBASE | \
	 X86_CR4_SMEP | X86_CR4_SMAP)

/* GUEST_CR4_ALLOWED narrowed to the features CPUID leaf 1 (ECX, EDX) and
 * leaf 7 subleaf 0 (EBX, ECX) show. */
uint64_t cr4_allowed_by(uint32_t l1_ecx, uint32_t l1_edx, uint32_t l7_ebx, uint32_t l7_ecx);

#endif /* ASM_CR4_H */
