/* SPDX-License-Identifier: MIT */
/*
 * halter: halts with interrupts enabled and no interrupt source armed, for
 * ever. Hintvisor may stop it once nothing else can run, but must not take
 * the VM that waits for it (after=halter in tests/isolation.cfg) down too.
 */
#include "hvtest.h"

const char test_title[] = "halter: sti; hlt with nothing that can wake it";

void test_main(void)
{
	gprintf("halting for ever\n");
	for (;;)
		asm volatile("sti; hlt");
}
