/* SPDX-License-Identifier: MIT */
/*
 * Multiboot (version 0.6.96) guest loader: 32-bit ELF kernels with a
 * multiboot header, as many small third-party test kernels are. The vCPU
 * starts in 32-bit protected mode with paging off, EAX = 0x2badb002 and
 * EBX = the multiboot information (memory sizes, memory map, command line,
 * modules).
 */
#ifndef HV_MULTIBOOT_H
#define HV_MULTIBOOT_H

#include <hv/vm/vcpu.h>

#define MULTIBOOT_MAX_MODULES 8
#define MULTIBOOT_STRINGS_MAX 0x400 /* all module strings, each with its NUL */

/* A module for the kernel: its bytes (copied into guest RAM as they are) and
 * its string (the Multiboot module "command line"). */
struct multiboot_module {
	const uint8_t *data;
	size_t len;
	const char *string;
};

/* Offset of a valid multiboot header in the first 8 KiB, or -1. */
long multiboot_find_header(const uint8_t *img, size_t len);
/*
 * Load an ELF32 multiboot kernel and nr_mods modules (at most
 * MULTIBOOT_MAX_MODULES, strings together at most MULTIBOOT_STRINGS_MAX
 * bytes). Each module goes to its own page-aligned place in guest RAM below
 * 4 GiB, after the kernel and clear of its segments, the loader's page, the
 * BIOS area, the APIC pages and the other modules. 0 or negative errno with
 * *why.
 */
int multiboot_load(struct vm *vm, const uint8_t *img, size_t len, const char *cmdline,
		   const struct multiboot_module *mods, unsigned int nr_mods,
		   struct vcpu_start *start, const char **why);

#endif /* HV_MULTIBOOT_H */
