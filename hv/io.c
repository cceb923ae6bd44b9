/* SPDX-License-Identifier: MIT */
/*
 * Guest port I/O: the guest's COM1 (a 16550 that is always ready to send,
 * output forwarded line by line to the host console as "[vm] text"), the
 * debug-exit port (QEMU isa-debug-exit semantics), port 0xe9 (debugcon) and
 * POST port 0x80. Everything else reads as all ones and ignores writes.
 */
#include <hv/console.h>
#include <hv/vm.h>

#define GUEST_COM1 0x3f8
#define UART_LSR 5
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define DEBUGCON 0xe9
#define POST 0x80

static void flush_line(struct vm *vm)
{
	printk("[%s] %.*s\n", vm->name, (int)vm->line_len, vm->line);
	vm->line_len = 0;
}

static void console_byte(struct vm *vm, uint8_t c)
{
	if (c == '\n') {
		flush_line(vm);
		return;
	}
	if (c == '\r')
		return;
	if (c < 0x20 && c != '\t')
		c = '?'; /* keep the host console free of guest control codes */
	vm->line[vm->line_len++] = (char)c;
	if (vm->line_len == sizeof(vm->line))
		flush_line(vm);
}

/* Emit a partial last line, e.g. when the VM stops without a newline. */
void hv_io_flush(struct vm *vm);
void hv_io_flush(struct vm *vm)
{
	if (vm->line_len)
		flush_line(vm);
}

bool hv_io(struct vcpu *v, uint16_t port, unsigned int size, bool in, uint32_t *val)
{
	struct vm *vm = v->vm;

	if (port >= GUEST_COM1 && port < GUEST_COM1 + 8) {
		unsigned int reg = port - GUEST_COM1;

		if (in)
			*val = reg == UART_LSR ? (LSR_THRE | LSR_TEMT) : 0;
		else if (reg == 0)
			console_byte(vm, (uint8_t)*val);
		return true;
	}
	switch (port) {
	case HV_DEBUG_EXIT_PORT:
		if (!in) {
			hv_io_flush(vm);
			vm_debug_exit(vm, *val);
		}
		return true;
	case DEBUGCON:
		if (!in)
			console_byte(vm, (uint8_t)*val);
		else
			*val = DEBUGCON; /* Bochs/QEMU: reads back 0xe9 when present */
		return true;
	case POST:
		return true;
	default:
		return false;
	}
}
