/* SPDX-License-Identifier: MIT */
/*
 * integrity: guest RAM several times the host pool. Write a per-page pattern
 * into every word of every free page, read all of it back twice (ascending,
 * then in a stride permutation): no mismatch, and the statistics show that
 * the host really paged out and paged in while we did it.
 */
#include "hvtest.h"

const char test_title[] = "integrity: every page survives page-out and page-in";

void test_main(void)
{
	uint64_t pages = free_frames(), first = alloc_frames(pages), bad = 0, badpages = 0;
	uint64_t stride = pages % 7919 ? 7919 : 7907; /* prime, coprime with pages: a permutation */
	struct hv_vm_stats s0, s1, s2;

	stats_get(&s0);
	for (uint64_t k = 0; k < pages; k++)
		page_fill(first + k, 1);
	stats_get(&s1);
	for (int round = 0; round < 2; round++) {
		for (uint64_t k = 0; k < pages; k++) {
			uint64_t g = first + (round ? (k * stride) % pages : k);
			unsigned int d = page_diff(g, 1);

			if (d) {
				bad += d;
				if (badpages++ < 5)
					test_fail("round %d: gfn %#lx: %u words differ (word 0 %#lx)", round,
						  g, d, gfn_ptr(g)[0]);
			}
		}
	}
	stats_get(&s2);
	gprintf("%lu pages (%lu MiB) written and read back twice, %lu bad words in %lu pages\n",
		pages, pages >> 8, bad, badpages);
	stats_print("after writing", &s1);
	stats_print("after reading", &s2);
	EXPECT_EQ(bad, 0);
	/* Writing more than the pool holds must page out, reading back must page in. */
	EXPECT(s1.page_outs > s0.page_outs);
	EXPECT(s2.page_ins > s1.page_ins);
	EXPECT(s2.page_outs > s1.page_outs);
	/* Only stable pages here: nothing may have been dropped. */
	EXPECT_EQ(s2.drops_unused + s2.drops_volatile + s2.drops_pot_volatile, 0);
	EXPECT_EQ(s2.discard_faults, 0);
}
