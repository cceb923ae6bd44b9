/* SPDX-License-Identifier: MIT */
/*
 * oom-hog: the guest that runs the host out of memory (tests/oom.cfg). It
 * writes HOLD stable pages and goes over them ROUNDS times (the host must
 * page the others' cold pages out meanwhile), then writes ever more pages
 * until the host stops it: with the largest footprint it is the victim.
 * If it ever runs out of its own RAM, the host did not stop it: FAILURE.
 */
#include "hvtest.h"

const char test_title[] = "oom-hog: write stable pages until the host stops us";

#define HOLD 1024
#define ROUNDS 24

void test_main(void)
{
	uint64_t n = free_frames(), first = alloc_frames(n);

	for (unsigned int r = 0; r < ROUNDS; r++)
		for (uint64_t k = 0; k < HOLD; k++)
			gfn_ptr(first + k)[r % WORDS_PER_PAGE] = r;
	gprintf("held %u pages for %u rounds; now taking all of our %lu pages\n", HOLD, ROUNDS, n);
	for (uint64_t k = HOLD; k < n; k++)
		gfn_ptr(first + k)[0] = k;
	test_fail("wrote all %lu pages: the host never ran out of memory", n);
}
