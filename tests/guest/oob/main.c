/* SPDX-License-Identifier: MIT */
/*
 * oob: read a guest-physical address beyond guest RAM. Hintvisor must stop
 * this VM with a clear message and go on with the next one.
 */
#include "hvtest.h"

const char test_title[] = "oob: access beyond guest RAM stops the VM";

void test_main(void)
{
	volatile uint64_t *p = (volatile uint64_t *)(start_info->mem_bytes + 0x100000);

	gprintf("reading gpa %#lx (RAM ends at %#lx)\n", (uint64_t)p, start_info->mem_bytes);
	(void)*p;
	test_end(TEST_FAILURE, "the access beyond RAM completed");
}
