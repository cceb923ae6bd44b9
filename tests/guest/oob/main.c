/* SPDX-License-Identifier: MIT */
/*
 * oob: guest-physical space beyond guest RAM reads all ones (nothing
 * answers there, as on a PC), but code cannot run there: a jump to it stops
 * this VM with a clear message, and Hintvisor goes on with the next one.
 */
#include "hvtest.h"

const char test_title[] = "oob: reading beyond guest RAM floats, executing there stops the VM";

void test_main(void)
{
	uint64_t gpa = start_info->mem_bytes + 0x100000;
	uint64_t val = *(volatile uint64_t *)gpa;

	gprintf("gpa %#lx beyond RAM (%#lx) reads %#lx; executing there\n", gpa,
		start_info->mem_bytes, val);
	if (val != ~0ULL)
		test_end(TEST_FAILURE, "the read beyond RAM did not return all ones");
	((void (*)(void))gpa)();
	test_end(TEST_FAILURE, "the jump beyond RAM returned");
}
