/* SPDX-License-Identifier: MIT */
/*
 * struct guest_regs, and as the VM entry code sees it: the offset of
 * each GPR (checked against the C layout in guest_cpu.c), and the loads and
 * stores both back ends make around the switch. What differs between them
 * stays in vmx_entry.S and svm_entry.S: where RAX comes from (VT-x: here;
 * SVM: the VMCB) and where the regs pointer is kept while the guest runs.
 */
#ifndef ASM_GUEST_REGS_H
#define ASM_GUEST_REGS_H

#define GR_RAX 0x00
#define GR_RCX 0x08
#define GR_RDX 0x10
#define GR_RBX 0x18
#define GR_RBP 0x20
#define GR_RSI 0x28
#define GR_RDI 0x30
#define GR_R8 0x38
#define GR_R9 0x40
#define GR_R10 0x48
#define GR_R11 0x50
#define GR_R12 0x58
#define GR_R13 0x60
#define GR_R14 0x68
#define GR_R15 0x70

#ifndef __ASSEMBLER__
#include <types.h>

/* Guest GPRs; layout of the first 15 known to vmx_entry.S and svm_entry.S.
 * RSP (and on SVM RAX) live in the VMCS/VMCB while the guest runs; the back
 * end copies them here after an exit and back before the next entry. */
struct guest_regs {
	uint64_t rax, rcx, rdx, rbx, rbp, rsi, rdi;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rsp;
};

/* GPR n (0-15) in the encoding's order: RAX RCX RDX RBX RSP RBP RSI RDI R8-R15. */
static inline uint64_t *guest_reg(struct guest_regs *r, unsigned int n)
{
	uint64_t *const map[16] = { &r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp,
				    &r->rsi, &r->rdi, &r->r8,  &r->r9,  &r->r10, &r->r11,
				    &r->r12, &r->r13, &r->r14, &r->r15 };

	return map[n & 15];
}
#endif

#ifdef __ASSEMBLER__
/* Load every GPR but RAX and RSP from the guest_regs at %rdi; RDI last. Only
 * MOVs: RFLAGS survive. */
.macro GUEST_GPRS_LOAD
	movq GR_RCX(%rdi), %rcx
	movq GR_RDX(%rdi), %rdx
	movq GR_RBX(%rdi), %rbx
	movq GR_RBP(%rdi), %rbp
	movq GR_RSI(%rdi), %rsi
	movq GR_R8(%rdi), %r8
	movq GR_R9(%rdi), %r9
	movq GR_R10(%rdi), %r10
	movq GR_R11(%rdi), %r11
	movq GR_R12(%rdi), %r12
	movq GR_R13(%rdi), %r13
	movq GR_R14(%rdi), %r14
	movq GR_R15(%rdi), %r15
	movq GR_RDI(%rdi), %rdi
.endm

/* Store every GPR but RAX, RDI and RSP into the guest_regs at %rdi. */
.macro GUEST_GPRS_STORE
	movq %rcx, GR_RCX(%rdi)
	movq %rdx, GR_RDX(%rdi)
	movq %rbx, GR_RBX(%rdi)
	movq %rbp, GR_RBP(%rdi)
	movq %rsi, GR_RSI(%rdi)
	movq %r8, GR_R8(%rdi)
	movq %r9, GR_R9(%rdi)
	movq %r10, GR_R10(%rdi)
	movq %r11, GR_R11(%rdi)
	movq %r12, GR_R12(%rdi)
	movq %r13, GR_R13(%rdi)
	movq %r14, GR_R14(%rdi)
	movq %r15, GR_R15(%rdi)
.endm
#endif /* __ASSEMBLER__ */

#endif /* ASM_GUEST_REGS_H */
