/* SPDX-License-Identifier: MIT */
/*
 * reset: with on_reset=stop in its config, a reset request stops this VM
 * (and only it) with a message. cmdline "port=cf9": writes to the reset
 * control register that do not request a reset read back and keep
 * running, then RST (bit 2) resets; "port=92": port A keeps A20 (bit 1)
 * and reads it back, then the fast reset bit 0 resets; "port=64": the
 * keyboard controller's pulse-reset command 0xfe; "port=pm1": ACPI power
 * off (S5) through PM1a_CNT, which stops the VM whatever on_reset says.
 * The expect files of the VMs (tests/guest/reset-*, poweroff) look for the
 * hypervisor's stop message; the guest itself must never get past the
 * reset. (The restart that is the default: tests/guest/reboot.)
 */
#include "hvtest.h"
#include <string.h>

const char test_title[] = "reset: port 0xcf9 / 0x92 / 0x64 resets, ACPI power off stop this VM";

void test_main(void)
{
	const char *cmd = (const char *)start_info->cmdline_gpa;

	if (cmd && strstr(cmd, "port=cf9")) {
		outb(0xcf9, 0x02); /* SYS_RST alone: no reset yet */
		EXPECT_EQ(inb(0xcf9), 0x02);
		if (test_failures())
			test_end(TEST_FAILURE, NULL);
		gprintf("resetting through port 0xcf9\n");
		outb(0xcf9, 0x06);
	} else if (cmd && strstr(cmd, "port=92")) {
		EXPECT_EQ(inb(0x92) & 2, 2); /* A20 on */
		outb(0x92, 0x02);
		EXPECT_EQ(inb(0x92), 0x02);
		if (test_failures())
			test_end(TEST_FAILURE, NULL);
		gprintf("resetting through port 0x92\n");
		outb(0x92, 0x03);
	} else if (cmd && strstr(cmd, "port=64")) {
		EXPECT_EQ(inb(0x64) & 1, 0); /* no data waiting */
		if (test_failures())
			test_end(TEST_FAILURE, NULL);
		gprintf("resetting through the keyboard controller\n");
		outb(0x64, 0xfe);
	} else if (cmd && strstr(cmd, "port=pm1")) {
		/* ACPI soft off: SLP_TYP 5 (the DSDT's \_S5) with SLP_EN. */
		gprintf("powering off through PM1a_CNT\n");
		outw(0x604, 5 << 10 | 1 << 13);
	} else {
		test_end(TEST_ERROR, "cmdline names no port= (cf9, 92, 64 or pm1)");
	}
	test_end(TEST_FAILURE, "still running after the reset request");
}
