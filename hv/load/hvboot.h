/* SPDX-License-Identifier: MIT */
/*
 * The hvboot protocol's loader (hvboot.c).
 */
#ifndef HV_LOAD_HVBOOT_H
#define HV_LOAD_HVBOOT_H

#include <hv/vm/config.h>
#include <hv/vm/vcpu.h>

/* Write page tables identity-mapping the first 4 GiB with 2 MiB pages into
 * guest memory: PML4 at pml4, PDPT at pml4 + 4K, four PDs after it. */
int vm_identity_tables(struct vm *vm, uint64_t pml4);
/* Load the 64-bit ELF image into vm with its boot area; *start the state
 * vCPU 0 starts in. 0 or a negative errno (*why may say more). */
int hvboot_load(struct vm *vm, const struct vm_config *cfg, const void *image, size_t len,
		struct vcpu_start *start, const char **why);

#endif /* HV_LOAD_HVBOOT_H */
