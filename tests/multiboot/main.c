/* SPDX-License-Identifier: MIT */
/*
 * multiboot: proves Hintvisor's multiboot loader. Checks the boot magic,
 * the information structure (memory sizes and map agree, command line as
 * configured) and that we really run in 32-bit protected mode without
 * paging, then reports through COM1 and the debug-exit port.
 */
#include <stdint.h>

#include "mb32.h"

#define EXPECTED_CMDLINE "multiboot-test arg=42"

void mb_main(uint32_t magic, const struct mb_info *mbi);

static void putu(uint32_t v)
{
	char b[11];
	int i = 10;

	b[i] = 0;
	do
		b[--i] = (char)('0' + v % 10);
	while ((v /= 10) && i);
	puts(b + i);
}

static unsigned int failures;

static void check(int ok, const char *what)
{
	if (!ok) {
		puts("FAIL: ");
		puts(what);
		puts("\n");
		failures++;
	}
}

void mb_main(uint32_t magic, const struct mb_info *mbi)
{
	uint32_t cr0;
	uint64_t ram = 0;

	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	puts("--- multiboot: loader, information structure, 32-bit mode ---\n");
	check(magic == 0x2badb002, "boot magic in EAX");
	check((cr0 & 1) && !(cr0 & 0x80000000), "protected mode with paging off");
	check((mbi->flags & 0x45) == 0x45, "flags: memory, cmdline, mmap");
	check(mbi->mem_lower >= 600 && mbi->mem_lower <= 640, "mem_lower");
	check(streq((const char *)(uintptr_t)mbi->cmdline, EXPECTED_CMDLINE), "command line");
	for (uint32_t off = 0; off < mbi->mmap_length;) {
		const struct mb_mmap *e = (const void *)(uintptr_t)(mbi->mmap_addr + off);

		if (e->type == 1 && e->addr >= 0x100000)
			ram += e->len;
		off += e->size + 4;
	}
	check(ram == (uint64_t)mbi->mem_upper * 1024, "memory map agrees with mem_upper");
	puts("mem_upper ");
	putu(mbi->mem_upper);
	puts(" KiB\n");
	puts(failures ? "Test result: FAILURE\n" : "Test result: SUCCESS\n");
	outb(0xf4, failures ? 3 : 0);
	for (;;)
		__asm__ volatile("cli; hlt");
}
