/* SPDX-License-Identifier: MIT */
/*
 * VMRUN and #VMEXIT. svm_enter(regs, vmcb_pa, host_save_pa) runs with GIF
 * cleared around the switch (AMD APM Vol. 2 §15.17): VMSAVE the host's
 * FS/GS/TR/LDTR/syscall-MSR state, VMLOAD the guest's, load the guest GPRs
 * (RAX and RSP come from the VMCB), set IF (still masked by GIF=0) so that
 * VMRUN saves a host IF of 1: with V_INTR_MASKING a physical interrupt then
 * exits the guest (INTR intercept) instead of waiting for the guest's IF.
 * After #VMEXIT: store the guest GPRs, VMSAVE the guest's state, VMLOAD the
 * host's, then STGI with IF still set, so that the pending host timer
 * interrupt is taken right here, and CLI. VERW right before VMRUN and the
 * return stack filled after #VMEXIT where those barriers are on
 * (asm/mitigations.h).
 */
#include <asm/guest_regs.h>
#include <asm/mitigations.h>

	.text
	.globl svm_enter
svm_enter:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	pushq %rdi			/* 16(%rsp): regs */
	pushq %rsi			/* 8(%rsp): guest VMCB */
	pushq %rdx			/* 0(%rsp): host save area */
	clgi
	movq %rdx, %rax
	vmsave %rax
	movq %rsi, %rax
	vmload %rax
	GUEST_GPRS_LOAD
	MITIG_VERW_BEFORE_ENTRY
	sti
	vmrun %rax
	/* #VMEXIT: RAX, RSP, RFLAGS (IF=1) are the host's again; GIF=0. */
	vmsave %rax
	pushq %rdi
	movq 24(%rsp), %rdi
	GUEST_GPRS_STORE
	popq GR_RDI(%rdi)
	MITIG_RSB_FILL_AFTER_EXIT
	movq 0(%rsp), %rax
	vmload %rax
	stgi
	cli
	addq $24, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
	.section .note.GNU-stack, "", @progbits
