/* SPDX-License-Identifier: MIT */
/*
 * The host's own page tables: host-virtual == host-physical for all RAM and
 * the 32-bit MMIO hole. MMIO is mapped write-back here; the firmware's MTRRs
 * make those ranges uncacheable (SDM Vol. 3A §11.5.2.2, effective type).
 */
#include <asm/cpu.h>
#include <asm/paging.h>
#include <asm/pgtable.h>
#include <base/console.h>

#define PTE_P (1ULL << 0)
#define PTE_W (1ULL << 1)
#define POOL_PAGES 66 /* root + PDPT + 64 PDs: 64 GiB with 2 MiB pages */

static uint64_t pool[POOL_PAGES][PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
static unsigned int pool_used;

static const struct pt_format host_format = {
	.present = PTE_P,
	.table_flags = PTE_P | PTE_W,
};

static void *paging_page_alloc(void *ctx)
{
	return pool_used < POOL_PAGES ? pool[pool_used++] : NULL;
}

void paging_init(uint64_t top)
{
	uint64_t *root = paging_page_alloc(NULL);
	bool gb = cpuid(0x80000001, 0).edx & (1u << 26); /* Page1GB */
	int level = gb ? PT_LEVEL_1G : PT_LEVEL_2M;
	uint64_t size = pt_level_size(level);
	int rc;

	top = ALIGN_UP(MAX(top, 4ULL << 30), size);
	rc = pt_map_range(&host_format, root, 0, 0, top, level, PTE_P | PTE_W, paging_page_alloc, NULL);
	if (rc)
		panic("host page tables: cannot map %#lx bytes (%d)", top, rc);
	write_cr3((uint64_t)(uintptr_t)root);
}
