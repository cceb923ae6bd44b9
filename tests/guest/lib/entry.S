/* SPDX-License-Identifier: MIT */
/*
 * Test guest entry and low-level helpers. Hintvisor starts us in 64-bit mode
 * with RDI = start info (hvboot, guest-abi/ABI.md); we switch to our own
 * stack and call guest_start(). Also: exception stubs, the CPL 3 trampoline.
 */
	.section .text.entry, "ax"
	.globl _start
_start:
	rdtsc				/* first: the TSC at power-on, for boot_tsc */
	shlq $32, %rdx
	orq %rdx, %rax
	movq %rax, boot_tsc(%rip)
	leaq stack_top(%rip), %rsp
	xorl %ebp, %ebp
	call guest_start
1:	hlt
	jmp 1b

	.text
/* Exception stubs: uniform frame (vector, error), then guest_trap(frame). */
.macro GSTUB vec, err
	.balign 16
gtrap_\vec:
	.if \err == 0
	pushq $0
	.endif
	pushq $\vec
	jmp gtrap_common
.endm
	GSTUB 0,0; GSTUB 1,0; GSTUB 2,0; GSTUB 3,0; GSTUB 4,0; GSTUB 5,0; GSTUB 6,0; GSTUB 7,0
	GSTUB 8,1; GSTUB 9,0; GSTUB 10,1; GSTUB 11,1; GSTUB 12,1; GSTUB 13,1; GSTUB 14,1; GSTUB 15,0
	GSTUB 16,0; GSTUB 17,1; GSTUB 18,0; GSTUB 19,0; GSTUB 20,0; GSTUB 21,1; GSTUB 22,0; GSTUB 23,0
	GSTUB 24,0; GSTUB 25,0; GSTUB 26,0; GSTUB 27,0; GSTUB 28,0; GSTUB 29,1; GSTUB 30,1; GSTUB 31,0

gtrap_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rbp
	pushq %rsi
	pushq %rdi
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi
	movq %rsp, %rbx
	andq $-16, %rsp
	call guest_trap		/* may edit the frame (fixups) */
	movq %rbx, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rdi
	popq %rsi
	popq %rbp
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp
	iretq

/*
 * uint64_t user_vmcall(nr, a0, a1, a2): run VMCALL at CPL 3 and come back
 * through int $0x80 (a DPL 3 gate). Returns RAX as the hypervisor left it.
 */
	.globl user_vmcall
user_vmcall:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, user_return_rsp(%rip)
	movq %rdi, %rax
	movq %rsi, %rbx
	movq %rdx, %r8			/* a1 → RCX after iretq */
	movq %rcx, %rdx
	leaq user_stack_top(%rip), %r9
	pushq $0x23			/* user SS (GDT 0x20 | RPL 3) */
	pushq %r9
	pushq $0x2			/* RFLAGS: IF off */
	pushq $0x2b			/* user CS (GDT 0x28 | RPL 3) */
	leaq user_code(%rip), %r9
	pushq %r9
	iretq
user_code:
	movq %r8, %rcx
	vmcall
	int $0x80
	.globl user_return
user_return:			/* int $0x80 lands here, at CPL 0 */
	movq user_return_rsp(%rip), %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	ret

	.data
	.balign 8
	.globl gtrap_stubs
gtrap_stubs:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad gtrap_\v
	.endr
user_return_rsp:
	.quad 0

	.bss
	.balign 16
	.skip 16384
stack_top:
	.skip 4096
user_stack_top:
	.skip 4096
	.globl kernel_irq_stack_top
kernel_irq_stack_top:
	.section .note.GNU-stack, "", @progbits
