/* SPDX-License-Identifier: MIT */
/*
 * gpt-hog: makes the host build nested page tables it is not charged for
 * (tests/oom-tables.cfg). With many GiB of lazily populated RAM, it writes
 * one word in every 2 MiB region and hints that page UNUSED at once: its
 * footprint in pages stays small, but every region costs the host a leaf
 * table of the nested tables. The host must charge those tables to this VM
 * and free a leaf table once the page it held is dropped, so that neither
 * this VM nor its neighbour is stopped for host memory.
 */
#include "hvtest.h"

const char test_title[] = "gpt-hog: a nested leaf table per 2 MiB region, each page hinted unused";

#define REGION (2ULL << 20)
#define FIRST_REGION 8    /* above the image, its stack and our page tables */
#define OFFSET 0x10000    /* clear of the I/O APIC and local APIC pages */

/* The hvboot tables map 4 GiB; map the rest of RAM the same way. */
static void map_above_4g(uint64_t mem)
{
	uint64_t cr3, *pdpt, gib = (mem + (1ULL << 30) - 1) >> 30;

	if (gib > 512)
		test_end(TEST_ERROR, "more than 512 GiB of RAM");
	asm volatile("mov %%cr3, %0" : "=r"(cr3));
	pdpt = (uint64_t *)(((uint64_t *)(cr3 & ~0xfffULL))[0] & 0x000ffffffffff000ULL);
	for (uint64_t i = 4; i < gib; i++) {
		uint64_t pd = alloc_frames(1) << PAGE_SHIFT;

		for (uint64_t j = 0; j < 512; j++)
			((uint64_t *)pd)[j] = (i << 30 | j << 21) | 0x83;
		pdpt[i] = pd | 3;
	}
	asm volatile("mov %0, %%cr3" ::"r"(cr3) : "memory");
}

void test_main(void)
{
	uint64_t mem = start_info->mem_bytes, regions = mem / REGION, n = 0;
	int64_t r;

	if (mem < (4ULL << 30))
		test_end(TEST_ERROR, "needs more than 4 GiB of RAM");
	map_above_4g(mem);
	for (uint64_t k = FIRST_REGION; k < regions; k++) {
		uint64_t gpa = k * REGION + OFFSET;

		*(volatile uint64_t *)gpa = k;
		r = hv_set_state(gpa >> PAGE_SHIFT, HV_PAGE_UNUSED);
		if (r < 0) {
			test_fail("SET_PAGE_STATE of gpa %#lx: %ld", gpa, r);
			break;
		}
		n++;
	}
	gprintf("wrote and hinted one page in each of %lu regions of 2 MiB\n", n);
}
