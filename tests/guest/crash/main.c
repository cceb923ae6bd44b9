/* SPDX-License-Identifier: MIT */
/*
 * crash: triple-fault on purpose (no IDT, then an exception). Hintvisor must
 * report it, stop this VM alone and run the next one. This guest never
 * prints a result line: the runner expects the hypervisor's message instead.
 */
#include "hvtest.h"

const char test_title[] = "crash: a triple fault stops this VM only";

void test_main(void)
{
	gprintf("about to triple fault\n");
	idt_clear();
	asm volatile("int3");
	test_end(TEST_FAILURE, "still running after a triple fault");
}
