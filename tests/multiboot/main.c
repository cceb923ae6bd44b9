/* SPDX-License-Identifier: MIT */
/*
 * multiboot: proves Hintvisor's multiboot loader. Checks the boot magic,
 * the information structure (memory sizes and map agree, command line as
 * configured) and that we really run in 32-bit protected mode without
 * paging, then reports through COM1 and the debug-exit port.
 *
 * With the command line EXPECTED_CMDLINE " modules=2" it also checks the
 * modules (tests/pc.cfg multiboot-mods): module 0 holds any file, module 1
 * that file's POSIX cksum line ("CRC SIZE NAME", made by the build), with
 * the string MOD1_STRING. Module 0 must be byte for byte the file (its size
 * and cksum), with the file's NAME as its string; both page aligned (the
 * header asks for it), in RAM per the memory map, and clear of the kernel,
 * each other and the loader's structures.
 */
#include <stdint.h>

#include "mb32.h"

#define EXPECTED_CMDLINE "multiboot-test arg=42"
#define MOD1_STRING "mbmod.sum cksum of the first module"

extern char image_start[], image_end[];
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

static uint32_t slen(const char *s)
{
	uint32_t n = 0;

	while (s[n])
		n++;
	return n;
}

static int same(const char *a, const char *b, uint32_t n)
{
	while (n && *a == *b)
		a++, b++, n--;
	return !n;
}

static int overlap(uint32_t a, uint32_t an, uint32_t b, uint32_t bn)
{
	return an && bn && a < b + bn && b < a + an;
}

/* POSIX cksum: CRC-32 (polynomial 0x04c11db7, most significant bit first)
 * over the bytes and then the length, least significant byte first, in as
 * few bytes as it takes; the result inverted. */
static uint32_t crc_byte(uint32_t crc, uint8_t b)
{
	crc ^= (uint32_t)b << 24;
	for (int k = 0; k < 8; k++)
		crc = crc & 0x80000000u ? crc << 1 ^ 0x04c11db7u : crc << 1;
	return crc;
}

static uint32_t cksum(const uint8_t *p, uint32_t n)
{
	uint32_t crc = 0;

	for (uint32_t i = 0; i < n; i++)
		crc = crc_byte(crc, p[i]);
	for (uint32_t l = n; l; l >>= 8)
		crc = crc_byte(crc, (uint8_t)l);
	return ~crc;
}

/* A decimal number at *p (below end), then one blank; false if none. */
static int number(const char **p, const char *end, uint32_t *v)
{
	const char *s = *p;

	*v = 0;
	while (s < end && *s >= '0' && *s <= '9')
		*v = *v * 10 + (uint32_t)(*s++ - '0');
	if (s == *p || s == end || *s != ' ')
		return 0;
	*p = s + 1;
	return 1;
}

/* Does [a, a + len) lie in one RAM range of the memory map? */
static int in_ram(const struct mb_info *mbi, uint32_t a, uint32_t len)
{
	for (uint32_t off = 0; off < mbi->mmap_length;) {
		const struct mb_mmap *e = (const void *)(uintptr_t)(mbi->mmap_addr + off);

		if (e->type == 1 && a >= e->addr && (uint64_t)a + len <= e->addr + e->len)
			return 1;
		off += e->size + 4;
	}
	return 0;
}

static void check_modules(const struct mb_info *mbi)
{
	const struct mb_module *m = (const void *)(uintptr_t)mbi->mods_addr;
	const char *sum, *end, *name;
	uint32_t crc, size, name_len;

	check(mbi->flags & 8, "flags: modules");
	check(mbi->mods_count == 2, "two modules");
	if (!(mbi->flags & 8) || mbi->mods_count != 2)
		return;
	for (uint32_t i = 0; i < 2; i++) {
		const char *s = (const char *)(uintptr_t)m[i].string;
		uint32_t a = m[i].mod_start, n = m[i].mod_end - m[i].mod_start;

		puts("module ");
		putu(i);
		puts(": ");
		puthex(a);
		puts(", ");
		putu(n);
		puts(" bytes, string \"");
		puts(s);
		puts("\"\n");
		check(m[i].mod_end >= a, "module end not below its start");
		check(!(a & 0xfff), "module page aligned");
		check(in_ram(mbi, a, n), "module in RAM per the memory map");
		check(!overlap(a, n, (uint32_t)(uintptr_t)image_start,
			       (uint32_t)(image_end - image_start)),
		      "module clear of the kernel");
		check(!overlap(a, n, (uint32_t)(uintptr_t)mbi, sizeof(*mbi)) &&
			      !overlap(a, n, mbi->mmap_addr, mbi->mmap_length) &&
			      !overlap(a, n, mbi->mods_addr, 2 * sizeof(*m)) &&
			      !overlap(a, n, mbi->cmdline, slen((const char *)(uintptr_t)mbi->cmdline) + 1) &&
			      !overlap(a, n, m[0].string, slen((const char *)(uintptr_t)m[0].string) + 1) &&
			      !overlap(a, n, m[1].string, slen((const char *)(uintptr_t)m[1].string) + 1),
		      "module clear of the information structure");
	}
	check(!overlap(m[0].mod_start, m[0].mod_end - m[0].mod_start, m[1].mod_start,
		       m[1].mod_end - m[1].mod_start),
	      "modules do not overlap");
	check(streq((const char *)(uintptr_t)m[1].string, MOD1_STRING), "module 1 string");

	/* Module 1: "CRC SIZE NAME\n" of the file module 0 must be. */
	sum = (const char *)(uintptr_t)m[1].mod_start;
	end = (const char *)(uintptr_t)m[1].mod_end;
	if (!number(&sum, end, &crc) || !number(&sum, end, &size)) {
		check(0, "module 1 is a cksum line");
		return;
	}
	name = sum;
	while (sum < end && *sum != '\n')
		sum++;
	name_len = (uint32_t)(sum - name);
	check(slen((const char *)(uintptr_t)m[0].string) == name_len &&
		      same((const char *)(uintptr_t)m[0].string, name, name_len),
	      "module 0 string is its file name");
	puts("module 0 cksum ");
	putu(cksum((const uint8_t *)(uintptr_t)m[0].mod_start, m[0].mod_end - m[0].mod_start));
	puts(", the file's ");
	putu(crc);
	puts(" ");
	putu(size);
	puts("\n");
	check(m[0].mod_end - m[0].mod_start == size, "module 0 size is the file's");
	check(cksum((const uint8_t *)(uintptr_t)m[0].mod_start, m[0].mod_end - m[0].mod_start) == crc,
	      "module 0 bytes are the file's (cksum)");
}

void mb_main(uint32_t magic, const struct mb_info *mbi)
{
	const char *cmdline = (const char *)(uintptr_t)mbi->cmdline;
	int modules = streq(cmdline, EXPECTED_CMDLINE " modules=2");
	uint32_t cr0;
	uint64_t ram = 0;

	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	puts("--- multiboot: loader, information structure, 32-bit mode ---\n");
	check(magic == 0x2badb002, "boot magic in EAX");
	check((cr0 & 1) && !(cr0 & 0x80000000), "protected mode with paging off");
	check((mbi->flags & 0x45) == 0x45, "flags: memory, cmdline, mmap");
	check(mbi->mem_lower >= 600 && mbi->mem_lower <= 640, "mem_lower");
	check(modules || streq(cmdline, EXPECTED_CMDLINE), "command line");
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
	if (modules)
		check_modules(mbi);
	else
		check(!(mbi->flags & 8) || mbi->mods_count == 0, "no modules");
	puts(failures ? "Test result: FAILURE\n" : "Test result: SUCCESS\n");
	outb(0xf4, failures ? 3 : 0);
	for (;;)
		__asm__ volatile("cli; hlt");
}
