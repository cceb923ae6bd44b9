/* SPDX-License-Identifier: MIT */
/*
 * A multiboot (v1) test kernel: the header, and an entry that keeps EAX/EBX
 * for mb_main(magic, info). 32-bit protected mode, paging off.
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
	pushl %ebx
	pushl %eax
	call mb_main
1:	hlt
	jmp 1b

	.bss
	.balign 16
	.skip 8192
stack_top:
	.section .note.GNU-stack, "", @progbits
