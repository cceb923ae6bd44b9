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
 * interrupt is taken right here, and CLI.
 * struct guest_regs layout: rax rcx rdx rbx rbp rsi rdi r8..r15 (8 bytes each).
 */
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
	movq 0x08(%rdi), %rcx
	movq 0x10(%rdi), %rdx
	movq 0x18(%rdi), %rbx
	movq 0x20(%rdi), %rbp
	movq 0x28(%rdi), %rsi
	movq 0x38(%rdi), %r8
	movq 0x40(%rdi), %r9
	movq 0x48(%rdi), %r10
	movq 0x50(%rdi), %r11
	movq 0x58(%rdi), %r12
	movq 0x60(%rdi), %r13
	movq 0x68(%rdi), %r14
	movq 0x70(%rdi), %r15
	movq 0x30(%rdi), %rdi
	sti
	vmrun %rax
	/* #VMEXIT: RAX, RSP, RFLAGS (IF=1) are the host's again; GIF=0. */
	vmsave %rax
	pushq %rdi
	movq 24(%rsp), %rdi
	movq %rcx, 0x08(%rdi)
	movq %rdx, 0x10(%rdi)
	movq %rbx, 0x18(%rdi)
	movq %rbp, 0x20(%rdi)
	movq %rsi, 0x28(%rdi)
	popq 0x30(%rdi)
	movq %r8, 0x38(%rdi)
	movq %r9, 0x40(%rdi)
	movq %r10, 0x48(%rdi)
	movq %r11, 0x50(%rdi)
	movq %r12, 0x58(%rdi)
	movq %r13, 0x60(%rdi)
	movq %r14, 0x68(%rdi)
	movq %r15, 0x70(%rdi)
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
