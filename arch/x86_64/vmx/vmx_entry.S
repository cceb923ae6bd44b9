/* SPDX-License-Identifier: MIT */
/*
 * VM entry and exit. vmx_enter(regs, launched) saves the host's callee-saved
 * registers, records RSP as HOST_RSP, loads the guest GPRs and executes
 * VMLAUNCH or VMRESUME, VERW right before it where that barrier is on. A VM
 * exit lands on vmx_exit_stub with that RSP; it stores the guest GPRs,
 * fills the return stack buffer where that is on (asm/mitigations.h) and
 * returns 0 from vmx_enter. A failed entry returns 1 (VMfailInvalid) or 2
 * (VMfailValid; see VM-instruction error).
 */
#include <asm/guest_regs.h>
#include <asm/mitigations.h>

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
	movq GR_RAX(%rdi), %rax
	GUEST_GPRS_LOAD
	jnz 1f
	MITIG_VERW_BEFORE_ENTRY
	vmlaunch
	jmp 2f
1:	MITIG_VERW_BEFORE_ENTRY
	vmresume
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
	movq %rax, GR_RAX(%rdi)
	GUEST_GPRS_STORE
	popq GR_RDI(%rdi)
	MITIG_RSB_FILL_AFTER_EXIT
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
