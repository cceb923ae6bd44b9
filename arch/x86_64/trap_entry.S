/* SPDX-License-Identifier: MIT */
/*
 * Exception entry stubs for the host IDT: push a uniform frame (vector,
 * error code, all GPRs) and call trap_handler(frame). Host exceptions are
 * hypervisor bugs; the handler prints and stops. Then the host interrupt
 * stubs (timer, kick) and the NMI stub.
 */
#include <asm/host_timer.h>

	.text
.macro TRAP_NOERR vec
	.balign 16
trap_\vec:
	pushq $0
	pushq $\vec
	jmp trap_common
.endm
.macro TRAP_ERR vec
	.balign 16
trap_\vec:
	pushq $\vec
	jmp trap_common
.endm

TRAP_NOERR 0
TRAP_NOERR 1
TRAP_NOERR 2
TRAP_NOERR 3
TRAP_NOERR 4
TRAP_NOERR 5
TRAP_NOERR 6
TRAP_NOERR 7
TRAP_ERR 8
TRAP_NOERR 9
TRAP_ERR 10
TRAP_ERR 11
TRAP_ERR 12
TRAP_ERR 13
TRAP_ERR 14
TRAP_NOERR 15
TRAP_NOERR 16
TRAP_ERR 17
TRAP_NOERR 18
TRAP_NOERR 19
TRAP_NOERR 20
TRAP_ERR 21
TRAP_NOERR 22
TRAP_NOERR 23
TRAP_NOERR 24
TRAP_NOERR 25
TRAP_NOERR 26
TRAP_NOERR 27
TRAP_NOERR 28
TRAP_ERR 29
TRAP_ERR 30
TRAP_NOERR 31

trap_common:
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
	andq $-16, %rsp
	call trap_handler
1:	cli
	hlt
	jmp 1b


/*
 * The host's interrupts: the time-slice timer (SVM's, taken at STGI after a
 * #VMEXIT; an idle CPU's wake-up) and the kick IPI another CPU sends to
 * make this one leave its guest (smp.c). Each stub saves the caller-saved
 * registers and calls host_apic_acked(vector), which counts it and EOIs.
 * The CPU aligned RSP to 16 before its 5-word frame; 9 pushes keep the call
 * aligned.
 */
.macro HOST_IRQ_STUB name, vector
	.balign 16
	.globl \name
\name:
	pushq %rax
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	cld
	movl $\vector, %edi
	call host_apic_acked
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rax
	iretq
.endm

	HOST_IRQ_STUB host_timer_stub, HOST_TIMER_VECTOR
	HOST_IRQ_STUB host_kick_stub, HOST_KICK_VECTOR

/*
 * NMI (vector 2, on the IST stack): the host has no NMI source of its own,
 * but hardware may send one (a watchdog, a platform error), and on SVM an
 * NMI that ends a guest's run is taken here at STGI. It is counted (the
 * end-of-run stats print the count) and the interrupted code goes on; NMIs
 * stay blocked until the IRETQ. No printing here: the NMI may have hit the
 * console code itself.
 */
	.balign 16
	.globl host_nmi_stub
host_nmi_stub:
	lock incq host_nmis(%rip)
	iretq

/* The local APIC's spurious vector: no EOI (SDM Vol. 3A §11.9). */
	.balign 16
	.globl host_spurious_stub
host_spurious_stub:
	iretq

	/* .data, not .rodata: the EFI build relocates these at load time. */
	.data
	.balign 8
	.globl trap_stubs
trap_stubs:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad trap_\v
	.endr
	.section .note.GNU-stack, "", @progbits
