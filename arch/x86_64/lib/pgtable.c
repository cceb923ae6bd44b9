/* SPDX-License-Identifier: MIT */
/*
 * The page-table walker shared by host paging and EPT (see pgtable.h).
 * Plain C; also compiled into the unit tests.
 */
#include <asm/pgtable.h>
#include <errcode.h>

static inline uint64_t *entry_table(uint64_t e)
{
	return (uint64_t *)(uintptr_t)(e & PT_ADDR_MASK);
}

uint64_t *pt_walk(const struct pt_format *fmt, uint64_t *root, uint64_t addr, int level,
		  pt_alloc_fn alloc, void *ctx)
{
	uint64_t *table = root;

	if (level < PT_LEVEL_4K || level >= PT_LEVELS)
		return NULL;
	for (int l = PT_LEVELS; l > level; l--) {
		uint64_t *e = &table[pt_index(addr, l)];
		uint64_t v = *e; /* read once */

		if (!(v & fmt->present)) {
			uint64_t *next;

			if (!alloc || !(next = alloc(ctx)))
				return NULL;
			v = ((uint64_t)(uintptr_t)next & PT_ADDR_MASK) | fmt->table_flags;
			*e = v;
		} else if (v & PT_LARGE) {
			return NULL;
		}
		table = entry_table(v);
	}
	return &table[pt_index(addr, level)];
}

int pt_map_range(const struct pt_format *fmt, uint64_t *root, uint64_t addr, uint64_t phys,
		 uint64_t len, int level, uint64_t flags, pt_alloc_fn alloc, void *ctx)
{
	uint64_t size = pt_level_size(level);

	if (level < PT_LEVEL_4K || level >= PT_LEVELS || (addr | phys | len) & (size - 1))
		return -EINVAL;
	if (level > PT_LEVEL_4K)
		flags |= PT_LARGE;
	for (uint64_t off = 0; off < len; off += size) {
		uint64_t *e = pt_walk(fmt, root, addr + off, level, alloc, ctx);

		if (!e)
			return -ENOMEM;
		if (*e & fmt->present)
			return -EEXIST;
		*e = ((phys + off) & PT_ADDR_MASK) | flags;
	}
	return 0;
}

static void free_level(const struct pt_format *fmt, uint64_t *table, int level,
		       void (*free_fn)(void *))
{
	for (unsigned int i = 0; i < PT_ENTRIES; i++) {
		uint64_t v = table[i];

		if (!(v & fmt->present) || (v & PT_LARGE) || level == PT_LEVEL_4K)
			continue;
		if (level - 1 > PT_LEVEL_4K)
			free_level(fmt, entry_table(v), level - 1, free_fn);
		free_fn(entry_table(v));
	}
}

void pt_free_tables(const struct pt_format *fmt, uint64_t *root, void (*free_fn)(void *))
{
	free_level(fmt, root, PT_LEVELS, free_fn);
}
