/* SPDX-License-Identifier: MIT */
/*
 * Multiboot2 entry. GRUB jumps here in 32-bit protected mode, paging off,
 * EAX = 0x36d76289, EBX = physical address of the information structure.
 * We identity-map the first 4 GiB with 2 MiB pages, enter long mode and call
 * mb2_main(magic, mbi) on a boot stack. Only linked into hintvisor.elf.
 */
#define MB2_MAGIC 0xe85250d6
#define MB2_ARCH_I386 0
#define MB2_HDR_LEN (mb2_header_end - mb2_header)

	.section .multiboot2, "a"
	.balign 8
mb2_header:
	.long MB2_MAGIC
	.long MB2_ARCH_I386
	.long MB2_HDR_LEN
	.long -(MB2_MAGIC + MB2_ARCH_I386 + MB2_HDR_LEN)
	/* Module alignment tag: modules start on page boundaries. */
	.balign 8
	.word 6, 0
	.long 8
	/* End tag. */
	.balign 8
	.word 0, 0
	.long 8
mb2_header_end:

	.section .text.boot, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	movl %eax, %edi
	movl %ebx, %esi
	movl $boot_stack_top, %esp

	/* PML4[0] -> PDPT; PDPT[0..3] -> PD 0..3; each PD maps 1 GiB. */
	movl $boot_pdpt, %eax
	orl $0x3, %eax
	movl %eax, boot_pml4
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $12, %eax
	addl $boot_pd, %eax
	orl $0x3, %eax
	movl %eax, boot_pdpt(, %ecx, 8)
	incl %ecx
	cmpl $4, %ecx
	jne 1b
	/* 2048 PDEs: present, writable, 2 MiB page (PS). */
	xorl %ecx, %ecx
2:	movl %ecx, %eax
	shll $21, %eax
	orl $0x83, %eax
	movl %eax, boot_pd(, %ecx, 8)
	movl %ecx, %eax
	shrl $11, %eax
	movl %eax, boot_pd + 4(, %ecx, 8)
	incl %ecx
	cmpl $2048, %ecx
	jne 2b

	movl $boot_pml4, %eax
	movl %eax, %cr3
	movl %cr4, %eax
	orl $0x20, %eax			/* PAE */
	movl %eax, %cr4
	movl $0xc0000080, %ecx		/* EFER.LME */
	rdmsr
	orl $0x100, %eax
	wrmsr
	movl %cr0, %eax
	orl $0x80000001, %eax		/* PG | PE */
	movl %eax, %cr0
	lgdt boot_gdt_ptr
	ljmp $0x08, $long_mode

	.code64
long_mode:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	movl %edi, %edi
	movl %esi, %esi
	leaq boot_stack_top(%rip), %rsp
	xorl %ebp, %ebp
	call mb2_main
3:	cli
	hlt
	jmp 3b

	.section .rodata
	.balign 8
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
boot_gdt_end:
boot_gdt_ptr:
	.word boot_gdt_end - boot_gdt - 1
	.long boot_gdt

	.section .bss
	.balign 4096
boot_pml4:
	.skip 4096
boot_pdpt:
	.skip 4096
boot_pd:
	.skip 4 * 4096
boot_stack:
	.skip 16384
boot_stack_top:
	.section .note.GNU-stack, "", @progbits
