/* SPDX-License-Identifier: MIT */
/*
 * neighbour: runs beside the hostile guests of tests/isolation.cfg. Fills
 * 1 MiB of its own RAM, then for a fixed number of rounds checks it and
 * prints a heartbeat. A hypervisor hang stops the heartbeat (and the run
 * never reaches its end marker); a leak into this VM shows as a changed word.
 */
#include "hvtest.h"

const char test_title[] = "neighbour: own memory intact, heartbeat while hostile guests run";

#define PAGES 256
#define ROUNDS 40

void test_main(void)
{
	uint64_t first = alloc_frames(PAGES);

	for (uint64_t g = first; g < first + PAGES; g++)
		page_fill(g, 1);
	for (unsigned int r = 0; r < ROUNDS; r++) {
		unsigned int bad = 0;

		for (uint64_t g = first; g < first + PAGES; g++)
			bad += page_diff(g, 1);
		if (bad)
			test_fail("round %u: %u words of my memory changed", r, bad);
		gprintf("heartbeat %u\n", r);
	}
}
