/* SPDX-License-Identifier: MIT */
/*
 * Loading a 64-bit ELF guest image into guest RAM. Plain C: the copy is done
 * by a callback, so the unit tests check validation without a VM.
 */
#ifndef HV_ELF_H
#define HV_ELF_H

#include <types.h>

#define ELF_GUEST_LOAD_MIN 0x100000ULL /* below: the hvboot area (ABI.md) */

/* Copy n bytes from src (NULL: zeros) to guest-physical gpa. 0 or -errno. */
typedef int (*elf_copy_fn)(void *ctx, uint64_t gpa, const void *src, size_t n);

/*
 * Check that img is an x86-64 ELF executable whose PT_LOAD segments lie in
 * [ELF_GUEST_LOAD_MIN, ram_bytes) and inside the file, then copy them (file
 * part, then zeros up to p_memsz). Returns 0 and the entry point, or -EINVAL
 * / -ERANGE with a reason in *why.
 */
int elf_load(const void *img, size_t len, uint64_t ram_bytes, elf_copy_fn copy, void *ctx,
	     uint64_t *entry, const char **why);

#endif /* HV_ELF_H */
