/* SPDX-License-Identifier: MIT */
/*
 * multiboot-low: a multiboot kernel linked at 0x8000, below 1 MiB, as the
 * specification allows, with its 8 KiB stack over 0x9000: the loader must
 * put its information structure, memory map and command line elsewhere.
 * Checks that they lie outside the image, the command line, and the memory
 * map: sorted, no overlaps, conventional RAM up to 0x9fc00, the BIOS area
 * reserved, the I/O APIC and local APIC pages reserved holes, RAM from 1 MiB
 * to the end of guest RAM agreeing with mem_upper; and that the ACPI RSDP
 * the BIOS-area scan finds lies in a reserved range of that map.
 */
#include <stdint.h>

#include "mb32.h"

#define EXPECTED_CMDLINE "multiboot-low mem=4M"
#define MEM (4u << 20)

extern char image_start[], image_end[];
void mb_main(uint32_t magic, const struct mb_info *mbi);

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

static int outside_image(uint32_t a, uint32_t len)
{
	return a + len <= (uint32_t)(uintptr_t)image_start || a >= (uint32_t)(uintptr_t)image_end;
}

static const struct mb_mmap *covering(const struct mb_info *mbi, uint64_t a, uint64_t len)
{
	for (uint32_t off = 0; off < mbi->mmap_length;) {
		const struct mb_mmap *e = (const void *)(uintptr_t)(mbi->mmap_addr + off);

		if (a >= e->addr && a + len <= e->addr + e->len)
			return e;
		off += e->size + 4;
	}
	return 0;
}

static uint32_t find_rsdp(void)
{
	for (uint32_t a = 0xe0000; a < 0x100000; a += 16) {
		const char *p = (const char *)(uintptr_t)a;

		if (p[0] == 'R' && p[1] == 'S' && p[2] == 'D' && p[3] == ' ' && p[4] == 'P' &&
		    p[5] == 'T' && p[6] == 'R' && p[7] == ' ')
			return a;
	}
	return 0;
}

void mb_main(uint32_t magic, const struct mb_info *mbi)
{
	uint64_t ram = 0, last_end = 0;
	const struct mb_mmap *e;
	uint32_t rsdp;

	puts("--- multiboot-low: image at ");
	puthex((uintptr_t)image_start);
	puts("-");
	puthex((uintptr_t)image_end);
	puts(", information at ");
	puthex((uintptr_t)mbi);
	puts(" ---\n");
	check(magic == 0x2badb002, "boot magic in EAX");
	check((uintptr_t)image_start <= 0x9000 && (uintptr_t)image_end > 0x9000,
	      "the image covers 0x9000 (the loader's old place)");
	check(outside_image((uint32_t)(uintptr_t)mbi, sizeof(*mbi)), "information outside the image");
	check((mbi->flags & 0x45) == 0x45, "flags: memory, cmdline, mmap");
	check(outside_image(mbi->cmdline, sizeof(EXPECTED_CMDLINE)), "command line outside the image");
	check(outside_image(mbi->mmap_addr, mbi->mmap_length), "memory map outside the image");
	check(streq((const char *)(uintptr_t)mbi->cmdline, EXPECTED_CMDLINE), "command line");
	check(mbi->mem_lower == 639, "mem_lower 639 KiB");
	for (uint32_t off = 0; off < mbi->mmap_length; off += e->size + 4) {
		e = (const void *)(uintptr_t)(mbi->mmap_addr + off);
		puts("  map ");
		puthex(e->addr);
		puts(" len ");
		puthex(e->len);
		puts(e->type == 1 ? " RAM\n" : " reserved\n");
		check(e->addr >= last_end, "map sorted, no overlaps");
		last_end = e->addr + e->len;
		if (e->type == 1) {
			check(e->addr + e->len <= MEM, "RAM inside guest RAM");
			if (e->addr >= 0x100000)
				ram += e->len;
		}
	}
	check(ram == (uint64_t)mbi->mem_upper * 1024 && ram == MEM - 0x100000,
	      "RAM from 1 MiB agrees with mem_upper and the VM's 4 MiB");
	check((e = covering(mbi, 0, 0x9fc00)) && e->type == 1, "conventional RAM");
	check((e = covering(mbi, 0x9fc00, 0x100000 - 0x9fc00)) && e->type == 2, "BIOS area reserved");
	check((e = covering(mbi, 0xfec00000, 0x1000)) && e->type == 2, "I/O APIC page reserved");
	check((e = covering(mbi, 0xfee00000, 0x1000)) && e->type == 2, "local APIC page reserved");
	rsdp = find_rsdp();
	check(rsdp != 0, "RSDP in the BIOS area");
	check(rsdp && (e = covering(mbi, rsdp, 36)) && e->type == 2, "RSDP in reserved memory");
	puts(failures ? "Test result: FAILURE\n" : "Test result: SUCCESS\n");
	outb(0xf4, failures ? 3 : 0);
	for (;;)
		__asm__ volatile("cli; hlt");
}
