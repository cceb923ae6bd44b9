/* SPDX-License-Identifier: MIT */
/*
 * con-escape: sends the host console every byte that is not printable ASCII
 * (C0 controls, DEL, 0x80-0xff with the C1 controls such as CSI 0x9b) and
 * whole terminal control sequences (clear screen, colours, window title),
 * through COM1 and through the debugcon port 0xe9. The runner checks that the
 * log shows each as \xNN (expect) and that no raw byte of them is in this
 * VM's lines (tests/run-tests.sh).
 */
#include "hvtest.h"

#define COM1 0x3f8
#define DEBUGCON 0xe9

const char test_title[] = "con-escape: guest control bytes reach the host console escaped";

static void raw(uint16_t port, const char *tag, unsigned int first, unsigned int last)
{
	for (const char *p = tag; *p; p++)
		outb(port, (uint8_t)*p);
	for (unsigned int c = first; c <= last; c++)
		if (c != '\t' && c != '\n' && c != '\r')
			outb(port, (uint8_t)c);
	outb(port, '|');
	outb(port, '\n');
}

static void seq(uint16_t port, const char *s)
{
	for (; *s; s++)
		outb(port, (uint8_t)*s);
}

void test_main(void)
{
	raw(COM1, "c0:", 0x00, 0x1f);
	raw(COM1, "del-c1:", 0x7f, 0x9f);
	raw(COM1, "high-a:", 0xa0, 0xcf);
	raw(COM1, "high-b:", 0xd0, 0xff);
	raw(DEBUGCON, "e9:", 0x00, 0x1f);
	raw(DEBUGCON, "e9-c1:", 0x7f, 0x9f);
	/* Clear screen and home (CSI and ESC [), red text, an OSC window title
	 * ended by BEL, a carriage return that would overwrite the line. */
	seq(COM1, "seq:\x9b" "2J\x9bH\x1b[31mred\x1b[0m\x1b]0;owned\x07|\r\n");
	seq(DEBUGCON, "tab:\tcr\rlf|\n");
}
