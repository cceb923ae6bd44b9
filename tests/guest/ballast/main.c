/* SPDX-License-Identifier: MIT */
/*
 * ballast: holds all of its RAM (a word written into every free frame) and
 * then halts with no interrupt source armed: a VM with the largest host
 * footprint and no work left, the one the host stops when another VM runs
 * it out of memory (tests/linux-reporting.cfg; tests/guest/ballast/expect).
 * If nothing does, the scheduler stops it once every other VM has ended
 * ("halted with no interrupt source armed").
 */
#include "hvtest.h"

const char test_title[] = "ballast: hold all of our RAM, then halt";

void test_main(void)
{
	uint64_t n = free_frames(), first = alloc_frames(n);

	for (uint64_t k = 0; k < n; k++)
		gfn_ptr(first + k)[0] = k + 1;
	gprintf("holding %lu pages; halting\n", n);
	for (;;)
		asm volatile("sti; hlt" ::: "memory");
}
