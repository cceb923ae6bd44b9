/* SPDX-License-Identifier: MIT */
/*
 * x86-64 instruction wrappers and architectural constants used by the
 * hypervisor proper (VMX root, CPL 0, interrupts off). Bit positions from
 * the Intel SDM Vol. 3A, chapters 2 (control registers) and 4 (paging).
 */
#ifndef ASM_CPU_H
#define ASM_CPU_H

#include <asm/cr4.h>
#include <types.h>

#define X86_CR0_PE (1UL << 0)
#define X86_CR0_MP (1UL << 1)
#define X86_CR0_ET (1UL << 4)
#define X86_CR0_NE (1UL << 5)
#define X86_CR0_EM_BIT (1UL << 2)
#define X86_CR0_TS_BIT (1UL << 3)
#define X86_CR0_WP (1UL << 16)
#define X86_CR0_NW (1UL << 29)
#define X86_CR0_CD (1UL << 30)
#define X86_CR0_PG (1UL << 31)


#define X86_EFER_SCE (1UL << 0)
#define X86_EFER_LME (1UL << 8)
#define X86_EFER_LMA (1UL << 10)
#define X86_EFER_NXE (1UL << 11)

#define X86_RFLAGS_CF (1UL << 0)
#define X86_RFLAGS_FIXED (1UL << 1)
#define X86_RFLAGS_ZF (1UL << 6)
#define X86_RFLAGS_TF (1UL << 8)
#define X86_RFLAGS_IF (1UL << 9)
#define X86_RFLAGS_DF (1UL << 10)
#define X86_RFLAGS_RF (1UL << 16)
#define X86_RFLAGS_VM (1UL << 17)
/* DR6 and DR7 (SDM §17.2.3, §17.2.4) */
#define X86_DR6_B0_3 0xfUL     /* breakpoint conditions met */
#define X86_DR6_BD (1UL << 13) /* debug register access detected (DR7.GD) */
#define X86_DR6_BS (1UL << 14) /* single step */
#define X86_DR7_GD (1UL << 13) /* general detect enable */

#define MSR_IA32_FEATURE_CONTROL 0x0000003a
#define FEATURE_CONTROL_LOCKED (1UL << 0)
#define FEATURE_CONTROL_VMXON_OUTSIDE_SMX (1UL << 2)
#define MSR_IA32_VMX_BASIC 0x00000480
#define MSR_IA32_VMX_PINBASED_CTLS 0x00000481
#define MSR_IA32_VMX_PROCBASED_CTLS 0x00000482
#define MSR_IA32_VMX_EXIT_CTLS 0x00000483
#define MSR_IA32_VMX_ENTRY_CTLS 0x00000484
#define MSR_IA32_VMX_MISC 0x00000485
#define MSR_IA32_VMX_CR0_FIXED0 0x00000486
#define MSR_IA32_VMX_CR0_FIXED1 0x00000487
#define MSR_IA32_VMX_CR4_FIXED0 0x00000488
#define MSR_IA32_VMX_CR4_FIXED1 0x00000489
#define MSR_IA32_VMX_PROCBASED_CTLS2 0x0000048b
#define MSR_IA32_VMX_EPT_VPID_CAP 0x0000048c
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x0000048d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x0000048e
#define MSR_IA32_VMX_TRUE_EXIT_CTLS 0x0000048f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS 0x00000490
#define MSR_IA32_EFER 0xc0000080
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_IA32_PAT 0x00000277

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	asm volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r;

	asm volatile("cpuid"
		     : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
		     : "a"(leaf), "c"(subleaf));
	return r;
}

#define DEFINE_CR(n)                                                        \
	static inline uint64_t read_cr##n(void)                              \
	{                                                                    \
		uint64_t v;                                                  \
		asm volatile("mov %%cr" #n ", %0" : "=r"(v));                \
		return v;                                                    \
	}                                                                    \
	static inline void write_cr##n(uint64_t v)                           \
	{                                                                    \
		asm volatile("mov %0, %%cr" #n ::"r"(v) : "memory");         \
	}
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline void outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	asm volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void cpu_relax(void)
{
	asm volatile("pause" ::: "memory");
}

static inline __attribute__((noreturn)) void cpu_halt_forever(void)
{
	for (;;)
		asm volatile("cli; hlt");
}

struct __attribute__((packed)) desc_ptr {
	uint16_t limit;
	uint64_t base;
};

static inline uint16_t read_tr(void)
{
	uint16_t v;

	asm volatile("str %0" : "=r"(v));
	return v;
}

#endif /* ASM_CPU_H */
