/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: a VM's console lines (hv/vm/vm_console.c). printk is replaced by
 * a recorder, so every test sees exactly what the host console would get.
 */
#include "unit.h"
#include <base/console.h>
#include <hv/vm/vm.h>
#include <stdio.h>
#include <string.h>

static char out[4096];
static size_t out_len;

void printk(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
}

void vprintk(const char *fmt, va_list ap)
{
	int n = vsnprintf(out + out_len, sizeof(out) - out_len, fmt, ap);

	ck_assert(n >= 0 && (size_t)n < sizeof(out) - out_len);
	out_len += (size_t)n;
}

static struct vm vm;

static void setup(void)
{
	memset(&vm, 0, sizeof(vm));
	snprintf(vm.name, sizeof(vm.name), "g");
	out_len = 0;
	out[0] = '\0';
}

static void send(const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		vm_console_byte(&vm, ((const uint8_t *)p)[i]);
}

START_TEST(printable_passes)
{
	send("Hello, world! ~\tx\\y\r\n", 21);
	ck_assert_str_eq(out, "[g] Hello, world! ~\tx\\y\n");
}
END_TEST

/* Every byte but printable ASCII, tab, CR and LF comes out as \xNN. */
START_TEST(controls_escaped)
{
	uint8_t c = (uint8_t)_i;
	char want[32];

	send(&c, 1);
	send("\n", 1);
	if (c == '\n')
		snprintf(want, sizeof(want), "[g] \n[g] \n");
	else if (c == '\r')
		snprintf(want, sizeof(want), "[g] \n");
	else if ((c >= 0x20 && c < 0x7f) || c == '\t')
		snprintf(want, sizeof(want), "[g] %c\n", c);
	else
		snprintf(want, sizeof(want), "[g] \\x%02x\n", c);
	ck_assert_str_eq(out, want);
}
END_TEST

/* What an attacker would send: CSI (C1), ESC [ (C0), an OSC title with BEL,
 * DEL, UTF-8. None of those bytes reaches the host console. */
START_TEST(sequences_escaped)
{
	static const uint8_t seq[] = "\x9b" "2J\x1b[31m\x1b]0;owned\x07\x7f\xc3\xa9\x00!";

	send(seq, sizeof(seq) - 1);
	send("\n", 1);
	ck_assert_str_eq(out, "[g] \\x9b2J\\x1b[31m\\x1b]0;owned\\x07\\x7f\\xc3\\xa9\\x00!\n");
	for (size_t i = 0; i < out_len; i++)
		ck_assert(out[i] == '\n' || (out[i] >= 0x20 && out[i] < 0x7f));
}
END_TEST

/* Full lines are printed when the next character does not fit; an escape is
 * never split; a full line's own newline adds no empty line. */
START_TEST(long_lines)
{
	char want[1024];

	for (size_t i = 0; i < sizeof(vm.line); i++)
		send("a", 1);
	send("\n", 1);
	memset(want, 0, sizeof(want));
	memcpy(want, "[g] ", 4);
	memset(want + 4, 'a', sizeof(vm.line));
	strcat(want, "\n");
	ck_assert_str_eq(out, want);

	setup();
	for (size_t i = 0; i < sizeof(vm.line) - 2; i++)
		send("b", 1);
	send("\xff", 1); /* 4 characters, 2 left: goes to the next line whole */
	send("c\n", 2);
	memset(want, 0, sizeof(want));
	memcpy(want, "[g] ", 4);
	memset(want + 4, 'b', sizeof(vm.line) - 2);
	strcat(want, "\n[g] \\xffc\n");
	ck_assert_str_eq(out, want);
}
END_TEST

START_TEST(flush_partial)
{
	send("tail\x1b", 5);
	ck_assert_uint_eq(out_len, 0);
	vm_console_flush(&vm);
	ck_assert_str_eq(out, "[g] tail\\x1b\n");
	vm_console_flush(&vm); /* nothing left: prints nothing */
	ck_assert_str_eq(out, "[g] tail\\x1b\n");
}
END_TEST

Suite *console_suite(void)
{
	Suite *s = suite_create("console");
	TCase *t = tcase_create("vm_console");

	tcase_add_checked_fixture(t, setup, NULL);
	tcase_add_test(t, printable_passes);
	tcase_add_loop_test(t, controls_escaped, 0, 256);
	tcase_add_test(t, sequences_escaped);
	tcase_add_test(t, long_lines);
	tcase_add_test(t, flush_partial);
	suite_add_tcase(s, t);
	return s;
}
