/* SPDX-License-Identifier: MIT */
/*
 * Multiboot (version 0.6.96) guest loader: 32-bit ELF kernels with a
 * multiboot header, as many small third-party test kernels are. The vCPU
 * starts in 32-bit protected mode with paging off, EAX = 0x2badb002 and
 * EBX = the multiboot information (memory sizes, memory map, command line).
 */
#ifndef HV_MULTIBOOT_H
#define HV_MULTIBOOT_H

#include <hv/vcpu.h>

/* Offset of a valid multiboot header in the first 8 KiB, or -1. */
long multiboot_find_header(const uint8_t *img, size_t len);
/* Load an ELF32 multiboot kernel. 0 or negative errno with *why. */
int multiboot_load(struct vm *vm, const uint8_t *img, size_t len, const char *cmdline,
		   struct vcpu_start *start, const char **why);

#endif /* HV_MULTIBOOT_H */
