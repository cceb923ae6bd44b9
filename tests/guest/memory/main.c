/* SPDX-License-Identifier: MIT */
/*
 * memory: write a per-page pattern to every page of guest RAM above the
 * image, then read all of it back, twice, in two different orders.
 */
#include "hvtest.h"

const char test_title[] = "memory: write and verify every page of guest RAM";

extern char __guest_end[];

static uint64_t pattern(uint64_t page, uint64_t word)
{
	return (page * 0x9e3779b97f4a7c15ULL) ^ (word << 32) ^ 0x48696e74ULL;
}

void test_main(void)
{
	uint64_t first = (uint64_t)__guest_end >> 12, last = start_info->mem_bytes >> 12;
	uint64_t bad = 0, pages = last - first;
	uint64_t stride = pages % 7919 ? 7919 : 7907; /* coprime: a permutation */

	for (uint64_t p = first; p < last; p++) {
		volatile uint64_t *w = (volatile uint64_t *)(p << 12);

		for (uint64_t i = 0; i < 512; i += 8) /* 8 words per page: every cache line */
			w[i] = pattern(p, i);
	}
	for (int round = 0; round < 2; round++) {
		for (uint64_t k = 0; k < pages; k++) {
			/* round 0: ascending; round 1: a stride permutation */
			uint64_t p = first + (round ? (k * stride) % pages : k);
			volatile uint64_t *w = (volatile uint64_t *)(p << 12);

			for (uint64_t i = 0; i < 512; i += 8)
				if (w[i] != pattern(p, i) && bad++ < 5)
					test_fail("page %#lx word %lu: %#lx", p, i, w[i]);
		}
	}
	gprintf("%lu pages written and read back twice, %lu mismatches\n", pages, bad);
	EXPECT_EQ(bad, 0);
}
