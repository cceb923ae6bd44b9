/* SPDX-License-Identifier: MIT */
/*
 * A VM's console (its COM1 and the debugcon port 0xe9): the bytes it sends
 * become "[vm] line" lines on the host console. Hypervisor context, called
 * from the guest's port writes; plain C, also compiled into the unit tests.
 *
 * The host console is the operator's terminal and the run's log, so only
 * printable ASCII and the tab reach it as they are. Every other byte (C0
 * controls such as ESC, DEL, and 0x80-0xff: C1 controls such as CSI 0x9b,
 * and any UTF-8) is shown as "\xNN": no guest can send a terminal control
 * sequence to the operator. A newline ends the line, a carriage return is
 * dropped. The form is for reading, not reversible: a backslash the guest
 * sends stays one backslash.
 */
#include <base/console.h>
#include <hv/vm/vm.h>
#include <string.h>

static void flush_line(struct vm *vm)
{
	printk("[%s] %.*s\n", vm->name, (int)vm->line_len, vm->line);
	vm->line_len = 0;
}

/* Append n characters; a full line is printed first, so an escape is never
 * split over two lines and a line of exactly sizeof(line) characters followed
 * by its newline prints once, without an empty line after it. */
static void append(struct vm *vm, const char *s, size_t n)
{
	if (vm->line_len + n > sizeof(vm->line))
		flush_line(vm);
	memcpy(vm->line + vm->line_len, s, n);
	vm->line_len += n;
}

void vm_console_byte(struct vm *vm, uint8_t c)
{
	static const char hex[] = "0123456789abcdef";
	char esc[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };

	if (c == '\n') {
		flush_line(vm);
		return;
	}
	if (c == '\r')
		return;
	if ((c >= 0x20 && c < 0x7f) || c == '\t')
		append(vm, (const char *)&c, 1);
	else
		append(vm, esc, sizeof(esc));
}

void vm_console_flush(struct vm *vm)
{
	if (vm->line_len)
		flush_line(vm);
}
