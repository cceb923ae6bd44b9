/* SPDX-License-Identifier: MIT */
/*
 * One 4-level page-table walker for both the host's own tables and EPT,
 * driven by a small format descriptor (what "present" means, the flags of a
 * non-leaf entry). Tables are reached through the identity map, so the same
 * code runs in host unit tests on page-aligned heap memory. Formats: SDM
 * Vol. 3A §4.5 (4-level paging) and §29.3.2 (EPT).
 */
#ifndef ASM_PGTABLE_H
#define ASM_PGTABLE_H

#include <types.h>

#define PT_ENTRIES 512
#define PT_ADDR_MASK 0x000ffffffffff000ULL
#define PT_LARGE (1ULL << 7) /* PS in a PDE/PDPTE, "page" bit in EPT too */
#define PT_LEVEL_4K 1
#define PT_LEVEL_2M 2
#define PT_LEVEL_1G 3
#define PT_LEVELS 4

struct pt_format {
	uint64_t present;     /* any of these bits set: entry is present */
	uint64_t table_flags; /* flags of an entry pointing to a table */
};

typedef void *(*pt_alloc_fn)(void *ctx); /* zeroed 4 KiB page or NULL */

static inline unsigned int pt_index(uint64_t addr, int level)
{
	return (unsigned int)(addr >> (PAGE_SHIFT + 9 * (level - 1))) & (PT_ENTRIES - 1);
}

static inline uint64_t pt_level_size(int level)
{
	return 1ULL << (PAGE_SHIFT + 9 * (level - 1));
}

/*
 * Pointer to the entry mapping addr at the given level (1..3), or NULL when a
 * table on the way is missing (and alloc is NULL or fails) or a large page
 * covers addr above that level. Intermediate tables come from alloc(ctx).
 */
uint64_t *pt_walk(const struct pt_format *fmt, uint64_t *root, uint64_t addr, int level,
		  pt_alloc_fn alloc, void *ctx);

/*
 * Map [addr, addr+len) to [phys, ...) with pages of the given level and leaf
 * flags (PT_LARGE is added for levels 2 and 3). Refuses to replace a present
 * entry. Returns 0, -ENOMEM, -EEXIST or -EINVAL (misaligned).
 */
int pt_map_range(const struct pt_format *fmt, uint64_t *root, uint64_t addr, uint64_t phys,
		 uint64_t len, int level, uint64_t flags, pt_alloc_fn alloc, void *ctx);

/* Call free_fn on every table page below root (not root itself). */
void pt_free_tables(const struct pt_format *fmt, uint64_t *root, void (*free_fn)(void *));

#endif /* ASM_PGTABLE_H */
