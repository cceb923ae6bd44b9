/* SPDX-License-Identifier: MIT */
/* Host page tables: an identity map of physical memory (BSP, boot time). */
#ifndef ASM_PAGING_H
#define ASM_PAGING_H

#include <types.h>

/* Identity-map [0, max(4 GiB, top)) with the largest pages the CPU has and
 * switch CR3 to it. Tables come from a static pool, so this runs before the
 * frame allocator exists (firmware's tables may live in memory we reuse). */
void paging_init(uint64_t top);

#endif /* ASM_PAGING_H */
