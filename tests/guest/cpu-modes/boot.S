/* SPDX-License-Identifier: MIT */
/*
 * cpu-modes: a multiboot (v1) kernel that switches the CPU's modes itself.
 * The header, an entry that loads our own GDT (with a 64-bit code segment)
 * and calls modes_main(magic, info), lm_run(), one trip into long mode
 * and back out as SDM Vol. 3A §9.8.5 describes it, and rm_run(), one trip
 * to real mode and back.
 */
	.section .multiboot, "a"
	.balign 4
	.long 0x1badb002
	.long 0x00000003			/* page-align modules, want memory info */
	.long -(0x1badb002 + 0x00000003)

	.text
	.code32
	.globl _start
_start:
	movl $stack_top, %esp
	lgdt gdt_ptr
	ljmp $0x08, $1f
1:	movw $0x10, %cx
	movw %cx, %ds
	movw %cx, %es
	movw %cx, %ss
	pushl %ebx
	pushl %eax
	call modes_main
2:	cli
	hlt
	jmp 2b

/*
 * lm_run(struct lm_args *a): CR3 = a->cr3_a, CR4.PAE, EFER.LME with paging
 * off, CR0.PG (IA-32e mode starts, in compatibility mode), there a REP STOSL
 * of a->tpr to the local APIC's TPR through an ES whose base makes the
 * linear address wrap at 4 GiB (emulated: the APIC page is MMIO), far jump
 * to the 64-bit code segment; there store through the 512 GiB mapping, load
 * CR3 with cr3_b and back, and record what we saw; far return to 32-bit
 * code, CR0.PG off (IA-32e mode ends), EFER.LME and CR4.PAE off. Offsets:
 * see struct lm_args in modes.c.
 */
	.globl lm_run
lm_run:
	pushl %ebp
	pushl %ebx
	pushl %esi
	pushl %edi
	movl 20(%esp), %edi
	movl 0(%edi), %eax
	movl %eax, %cr3
	movl %cr4, %eax
	orl $0x20, %eax			/* PAE */
	movl %eax, %cr4
	movl $0xc0000080, %ecx
	rdmsr
	orl $0x100, %eax		/* LME, paging still off */
	wrmsr
	movl %cr0, %eax
	orl $0x80000000, %eax		/* PG: LMA, compatibility mode */
	movl %eax, %cr0
	movl $0xc0000080, %ecx
	rdmsr
	movl %eax, 8(%edi)		/* efer_compat */
	/* Compatibility mode has 32-bit linear addresses: ES.base 0xffffff00
	 * + EDI 0xfee00180 is 0xfee00080, the TPR (cr3_a maps the APIC page). */
	movw $0x28, %ax
	movw %ax, %es
	pushl %edi
	movl 36(%edi), %eax		/* tpr */
	movl $0xfee00180, %edi
	movl $1, %ecx
	cld
	rep stosl
	popl %edi
	movw $0x10, %ax
	movw %ax, %es
	ljmp $0x18, $3f
	.code64
3:	movl %esp, %esp			/* upper halves are undefined: zero them */
	movl %edi, %edi
	movl $0xc0000080, %ecx
	rdmsr
	movl %eax, 12(%rdi)		/* efer_long */
	movabsq $0x123456789abcdef0, %rax
	shrq $32, %rax			/* only 64-bit mode has bits 63:32 */
	movl %eax, 16(%rdi)		/* high */
	movabsq $0x8000000000, %rbx	/* 512 GiB: PML4 entry 1 */
	movl 28(%rdi), %edx		/* round */
	movl %edx, %eax
	xorl $0xa5a50000, %eax
	movl %eax, (%rbx)		/* page A (cr3_a) */
	movl 4(%rdi), %eax
	movq %rax, %cr3			/* CR3 load in 64-bit mode */
	movq %cr3, %rax
	movl %eax, 32(%rdi)		/* cr3_read */
	movl %edx, %eax
	xorl $0x5a5a0000, %eax
	movl %eax, (%rbx)		/* page B (cr3_b) */
	movl (%rbx), %eax
	movl %eax, 20(%rdi)		/* read_b */
	movl 0(%rdi), %eax
	movq %rax, %cr3
	movl (%rbx), %eax
	movl %eax, 24(%rdi)		/* read_a */
	pushq $0x08			/* back to 32-bit code: compatibility mode */
	leaq 4f(%rip), %rax
	pushq %rax
	lretq
	.code32
4:	movl %cr0, %eax
	andl $0x7fffffff, %eax		/* PG off: IA-32e mode ends */
	movl %eax, %cr0
	movl $0xc0000080, %ecx
	rdmsr
	andl $~0x100, %eax		/* LME off */
	wrmsr
	movl %cr4, %eax
	andl $~0x20, %eax
	movl %eax, %cr4
	popl %edi
	popl %esi
	popl %ebx
	popl %ebp
	ret

/*
 * rm_run(void): one trip to real mode and back (SDM Vol. 3A §9.9.2): a far
 * jump to a 16-bit code segment (base 0, 4 GiB limit, so this code at
 * 1 MiB runs on), CR0.PE off, a far return that loads a real-mode CS
 * (0xffff: base 0xffff0, with A20 on it reaches up to 0x10ffef, where this
 * code is); the data segments keep their cached 4 GiB descriptors until DS
 * is loaded in real mode. In real mode: record CR0, CS and CPUID.0
 * (an exit taken in real mode) at 0x600 (DS = 0), then the CR4 written
 * back (SVM without decode assists reads that instruction at CS.base + IP)
 * and the results of HV_HC_GET_VERSION by VMCALL and by VMMCALL (one of
 * them raises #UD, and the host reads the instruction to see it is a
 * hypercall), write 'R' to COM1 (an I/O exit); then CR0.PE on and a
 * far jump back to 32-bit code. Interrupts stay off (no real-mode IVT is
 * needed), and no near jump is used in 16-bit code.
 */
	.globl rm_run
rm_run:
	pushl %ebp
	pushl %ebx
	pushl %esi
	pushl %edi
	movl %esp, rm_saved_esp
	cli
	movl $2f, %ebx
	subl $0xffff0, %ebx		/* the real-mode IP of 2f with CS = 0xffff */
	ljmp $0x20, $1f
	.code16
1:	movl %cr0, %eax
	andl $~1, %eax			/* PE off: real mode */
	movl %eax, %cr0
	pushw $0xffff			/* SS still has its 32-bit descriptor cached */
	pushw %bx
	lretw				/* loads a real-mode CS */
2:	xorw %ax, %ax
	movw %ax, %ds
	movl %cr0, %eax
	movl %eax, 0x600		/* CR0 in real mode */
	movw %cs, %ax
	movw %ax, 0x604			/* CS */
	xorl %eax, %eax
	cpuid
	movl %ebx, 0x608		/* CPUID.0:EBX, from real mode */
	movl %cr4, %eax
	movl %eax, %cr4
	movl %eax, 0x614		/* CR4 written back */
	movl $1, %eax			/* HV_HC_GET_VERSION */
	vmcall
	movl %eax, 0x60c
	movl $1, %eax
	vmmcall
	movl %eax, 0x610
	movw $0x3f8, %dx
	movb $0x52, %al			/* 'R' */
	outb %al, %dx
	movl %cr0, %eax
	orl $1, %eax			/* PE on: protected mode again */
	movl %eax, %cr0
	ljmpl $0x08, $3f
	.code32
3:	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl rm_saved_esp, %esp
	popl %edi
	popl %esi
	popl %ebx
	popl %ebp
	ret

	.data
	.balign 8
rm_saved_esp:
	.long 0
gdt:
	.quad 0
	.quad 0x00cf9a000000ffff		/* 0x08: 32-bit code */
	.quad 0x00cf92000000ffff		/* 0x10: data */
	.quad 0x00af9a000000ffff		/* 0x18: 64-bit code */
	.quad 0x008f9a000000ffff		/* 0x20: 16-bit code, 4 GiB limit */
	.quad 0xffcf92ffff00ffff		/* 0x28: data, base 0xffffff00 */
gdt_end:
gdt_ptr:
	.word gdt_end - gdt - 1
	.long gdt

/*
 * Hardware task switches (the "tasks" test; selectors: see modes.c).
 * ts_jmp(): JMP to task 1 and back by its JMP to us; ts_call(): CALL task 2,
 * which returns by IRET; ts_int(): INT 0x40 through a task gate to task 3,
 * which returns by IRET; ts_fault(): a #GP (error code 4: selector 7 names
 * the missing LDT) through a task gate to task 4; ts_busy(): a JMP to the
 * busy TSS 0, which faults before any switch (#GP(0x18), to task 4 too).
 * Each records the
 * callee-saved registers it finds after the switch back, in ts_seen[].
 */
.macro TS_ENTER
	pushl %ebp
	pushl %ebx
	pushl %esi
	pushl %edi
	movl $0x12345678, %ebx
	movl $0x9abcdef0, %esi
	movl $0x0badf00d, %edi
	movl $0x600dcafe, %ebp
.endm
.macro TS_LEAVE
	movl %ebx, ts_seen
	movl %esi, ts_seen + 4
	movl %edi, ts_seen + 8
	movl %ebp, ts_seen + 12
	popl %edi
	popl %esi
	popl %ebx
	popl %ebp
	ret
.endm

	.globl ts_jmp, ts_call, ts_int, ts_fault, ts_busy
	.globl ts_task1, ts_task2, ts_task3, ts_task4
ts_jmp:
	TS_ENTER
	ljmp $0x20, $0
	TS_LEAVE
ts_call:
	TS_ENTER
	lcall $0x28, $0
	TS_LEAVE
ts_int:
	TS_ENTER
	int $0x40
	TS_LEAVE
ts_fault:
	TS_ENTER
	movl $2, ts_skip
	movw $7, %ax
	movw %ax, %ds			/* #GP(4): 2 bytes, task 4 steps over it */
	TS_LEAVE
ts_busy:				/* JMP to our own, busy TSS: #GP(0x18), 7 bytes */
	TS_ENTER
	movl $7, ts_skip
	ljmp $0x18, $0
	TS_LEAVE

ts_task1:				/* entered by JMP: leave by JMP */
	pushfl
	popl ts_task1_eflags
	incl ts_runs
	movl $0xdead0001, %ebx		/* task 1's own registers */
	movl $0xdead0002, %esi
	ljmp $0x18, $0
	jmp ts_task1
ts_task2:				/* entered by CALL: NT set, back link = 0x18 */
	incl ts_runs + 4
	pushfl
	popl ts_task2_eflags
	str ts_task2_tr
	movl $0xdead0003, %ebx
	iret
	jmp ts_task2
ts_task3:				/* entered through the IDT task gate of INT 0x40 */
	incl ts_runs + 8
	movl $0xdead0004, %ebx
	iret
	jmp ts_task3
ts_task4:				/* #GP through a task gate: the error code is on our stack */
	incl ts_runs + 12
	popl ts_task4_err
	pushl %eax
	movl ts_skip, %eax
	addl %eax, ts_tss0 + 0x20	/* EIP in TSS 0: past the faulting instruction */
	popl %eax
	iret
	jmp ts_task4

	.bss
	.balign 16
	.skip 8192
stack_top:
	.section .note.GNU-stack, "", @progbits
