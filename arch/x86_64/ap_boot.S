/* SPDX-License-Identifier: MIT */
/*
 * The application processors' way into the hypervisor (smp.c). The boot CPU
 * copies this block to a page below 1 MiB and fills its slots (ap_cr3, ...);
 * a STARTUP IPI starts an AP at its first byte in real mode, CS = page >> 4.
 * It loads a flat GDT, enters protected mode, enables PAE, the host's page
 * tables, LME and NXE, paging, then long mode, and jumps to ap_entry(ap_arg)
 * on ap_stack. Position-independent: the page's base is taken from CS and
 * kept in EBX/RBX. SDM Vol. 3A §9.4 (MP initialization), §9.8.5 (IA-32e
 * mode). Only data here: nothing runs it in place.
 */
	.section .rodata
	.balign 16
	.globl ap_boot_start, ap_boot_end
	.globl ap_cr3, ap_cr4, ap_stack, ap_arg, ap_entry

#define OFF(sym) ((sym) - ap_boot_start)

	.code16
ap_boot_start:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	xorl %ebx, %ebx
	movw %ax, %bx
	shll $4, %ebx			/* EBX: the page's linear base */
	leal OFF(ap_gdt)(%ebx), %eax
	movl %eax, OFF(ap_gdt_desc) + 2
	leal OFF(ap_pm32)(%ebx), %eax
	movl %eax, OFF(ap_far32)
	lgdtl OFF(ap_gdt_desc)
	movl %cr0, %eax
	orl $1, %eax			/* PE */
	movl %eax, %cr0
	ljmpl *OFF(ap_far32)

	.code32
ap_pm32:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl OFF(ap_cr4)(%ebx), %eax
	movl %eax, %cr4			/* PAE and the host's other bits */
	movl OFF(ap_cr3)(%ebx), %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx		/* IA32_EFER */
	rdmsr
	orl $0x900, %eax		/* LME, NXE */
	wrmsr
	movl %cr0, %eax
	orl $0x80000001, %eax		/* PG, PE */
	movl %eax, %cr0
	leal OFF(ap_lm64)(%ebx), %eax
	movl %eax, OFF(ap_far64)(%ebx)
	ljmpl *OFF(ap_far64)(%ebx)

	.code64
ap_lm64:
	movq OFF(ap_stack)(%rbx), %rsp
	movq OFF(ap_arg)(%rbx), %rdi
	movq OFF(ap_entry)(%rbx), %rax
	xorl %ebp, %ebp
	jmp *%rax

	.balign 8
ap_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: 32-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
	.quad 0x00af9a000000ffff	/* 0x18: 64-bit code */
ap_gdt_desc:
	.word 31
	.long 0
ap_far32:
	.long 0
	.word 0x08
ap_far64:
	.long 0
	.word 0x18
	.balign 8
ap_cr3:	.quad 0
ap_cr4:	.quad 0
ap_stack: .quad 0
ap_arg:	.quad 0
ap_entry: .quad 0
ap_boot_end:

	.section .note.GNU-stack, "", @progbits
