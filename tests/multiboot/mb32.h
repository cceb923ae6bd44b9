/* SPDX-License-Identifier: MIT */
/*
 * What the 32-bit multiboot test kernels share (tests/multiboot,
 * tests/multiboot-low, tests/guest/cpu-modes): the multiboot (v1) info
 * structures, port I/O, COM1 output, the hex printer and string compare.
 * Each kernel keeps its own checks.
 */
#ifndef MB32_H
#define MB32_H

#include <stdint.h>

#define COM1 0x3f8

/* Multiboot information, as far as the kernels read it, and one entry of
 * its memory map. */
struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4], mmap_length, mmap_addr;
};

/* One entry of the module list: [mod_start, mod_end) and its string. */
struct mb_module {
	uint32_t mod_start, mod_end, string, reserved;
};

struct __attribute__((packed)) mb_mmap {
	uint32_t size;
	uint64_t addr, len;
	uint32_t type;
};

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void puts(const char *s)
{
	for (; *s; s++) {
		while (!(inb(COM1 + 5) & 0x20))
			;
		outb(COM1, (uint8_t)*s);
	}
}

/* "0x" and 16 hex digits, or 8 for a value below 2^32. */
static inline void puthex(uint64_t v)
{
	char b[19];
	int i = 18, digits = v >> 32 ? 16 : 8;

	b[i] = 0;
	while (digits--) {
		b[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	}
	b[--i] = 'x';
	b[--i] = '0';
	puts(b + i);
}

static inline int streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

#endif /* MB32_H */
