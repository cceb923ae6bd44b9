/* SPDX-License-Identifier: MIT */
/*
 * Guest port I/O dispatch: the guest's COM1 (hv/dev/uart.c), the 8259 pair,
 * PCI configuration and devices, the debug-exit port (QEMU isa-debug-exit
 * semantics), port 0xe9 (debugcon), and stubs for the PC ports a kernel
 * touches (POST, CMOS/RTC, PIT, reset). Anything else reads as all ones.
 */
#include <hv/console.h>
#include <hv/dev/pci.h>
#include <hv/vm.h>

#define DEBUGCON 0xe9
#define POST 0x80
#define IMCR_INDEX 0x22
#define IMCR_DATA 0x23
#define RTC_INDEX 0x70
#define RTC_DATA 0x71
#define RESET_CONTROL 0xcf9
#define KBD_STATUS 0x64
#define PIT_FIRST 0x40
#define PIT_LAST 0x43
#define PORT_B 0x61 /* NMI status and control: PIT channel 2 gate, speaker */

static void flush_line(struct vm *vm)
{
	printk("[%s] %.*s\n", vm->name, (int)vm->line_len, vm->line);
	vm->line_len = 0;
}

void vm_console_byte(struct vm *vm, uint8_t c)
{
	if (c == '\n') {
		/* A newline right after a wrap ends the wrapped line: no empty line. */
		if (vm->line_len || !vm->line_wrapped)
			flush_line(vm);
		vm->line_wrapped = false;
		return;
	}
	vm->line_wrapped = false;
	if (c == '\r')
		return;
	if (c < 0x20 && c != '\t')
		c = '?'; /* keep the host console free of guest control codes */
	vm->line[vm->line_len++] = (char)c;
	if (vm->line_len == sizeof(vm->line)) {
		flush_line(vm);
		vm->line_wrapped = true;
	}
}

void vm_console_flush(struct vm *vm)
{
	if (vm->line_len)
		flush_line(vm);
}

/* CMOS clock: a fixed, valid time (2026-01-01 00:00:00), update never in
 * progress; binary-coded decimal, 24-hour. */
static uint32_t rtc_read(uint8_t index)
{
	switch (index & 0x7f) {
	case 0x07: /* day of month */
	case 0x08: /* month */
		return 0x01;
	case 0x09:
		return 0x26;
	case 0x32:
		return 0x20;
	case 0x0a:
		return 0x26; /* UIP clear, 32.768 kHz base */
	case 0x0b:
		return 0x02; /* 24-hour, BCD */
	case 0x0d:
		return 0x80; /* valid RAM and time */
	default:
		return 0;
	}
}

/* Count an access to a port nothing answers, per port for the stats. */
static void count_unknown_port(struct vm *vm, uint16_t port)
{
	vm->unknown_ports++;
	for (unsigned int i = 0; i < VM_PORT_SLOTS; i++) {
		if (vm->port_counts[i].count && vm->port_counts[i].port != port)
			continue;
		vm->port_counts[i].port = port;
		vm->port_counts[i].count++;
		return;
	}
	/* More distinct ports than slots: only the total counts them. */
}

bool hv_io(struct vcpu *v, uint16_t port, unsigned int size, bool in, uint32_t *val)
{
	struct vm *vm = v->vm;

	if (port >= UART_COM1_BASE && port < UART_COM1_BASE + 8) {
		uart_io(vm, &vm->uart, port - UART_COM1_BASE, in, val);
		return true;
	}
	if (pic_io(&vm->pic, port, in, val))
		return true;
	if (pci_io(vm, port, size, in, val))
		return true;
	switch (port) {
	case HV_DEBUG_EXIT_PORT:
		if (!in) {
			vm_console_flush(vm);
			vm_debug_exit(vm, *val);
		}
		return true;
	case DEBUGCON:
		if (!in)
			vm_console_byte(vm, (uint8_t)*val);
		else
			*val = DEBUGCON; /* Bochs/QEMU: reads back 0xe9 when present */
		return true;
	case PIT_FIRST ... PIT_LAST:
	case PORT_B:
		/* A stopped 8254: counters and port B read 0, writes are ignored.
		 * Guests get their timer from the local APIC and the frequencies
		 * from CPUID, so nothing needs a running PIT. */
		if (in)
			*val = 0;
		return true;
	case POST:
	case IMCR_INDEX:
	case IMCR_DATA:
		return true; /* the IMCR routes nothing here: the 8259 always reaches LINT0 */
	case RTC_INDEX:
		if (!in)
			vm->rtc_index = (uint8_t)*val;
		else
			*val = vm->rtc_index;
		return true;
	case RTC_DATA:
		if (in)
			*val = rtc_read(vm->rtc_index);
		return true;
	case RESET_CONTROL:
	case KBD_STATUS:
		if (!in && ((port == RESET_CONTROL && (*val & 4)) ||
			    (port == KBD_STATUS && (uint8_t)*val == 0xfe))) {
			vm_console_flush(vm);
			vm_crash(vm, "reset requested by the guest");
		} else if (in) {
			*val = port == KBD_STATUS ? 0x1c : 0; /* keyboard controller: idle */
		}
		return true;
	default:
		count_unknown_port(vm, port);
		return false;
	}
}
