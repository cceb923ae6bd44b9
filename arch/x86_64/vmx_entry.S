/* SPDX-License-Identifier: MIT */
/*
 * VM entry and exit. vmx_enter(regs, launched) saves the host's callee-saved
 * registers, records RSP as HOST_RSP, loads the guest GPRs and executes
 * VMLAUNCH or VMRESUME. A VM exit lands on vmx_exit_stub with that RSP; it
 * stores the guest GPRs and returns 0 from vmx_enter. A failed entry returns
 * 1 (VMfailInvalid) or 2 (VMfailValid; see VM-instruction error).
 * struct guest_regs layout: rax rcx rdx rbx rbp rsi rdi r8..r15 (8 bytes each).
 */
#define VMCS_HOST_RSP 0x6c14

	.text
	.globl vmx_enter
vmx_enter:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	pushq %rdi			/* regs, found again at exit */
	movq $VMCS_HOST_RSP, %rax
	vmwrite %rsp, %rax
	testl %esi, %esi		/* flags survive the MOVs below */
	movq 0x00(%rdi), %rax
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
	jnz 1f
	vmlaunch
	jmp 2f
1:	vmresume
2:	/* Entry failed: CF=1 VMfailInvalid, ZF=1 VMfailValid. */
	movl $1, %eax
	movl $2, %ecx
	cmovzl %ecx, %eax
	addq $8, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

	.globl vmx_exit_stub
vmx_exit_stub:
	pushq %rdi
	movq 8(%rsp), %rdi
	movq %rax, 0x00(%rdi)
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
	addq $8, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	xorl %eax, %eax
	ret
	.section .note.GNU-stack, "", @progbits
