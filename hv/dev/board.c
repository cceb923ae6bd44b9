/* SPDX-License-Identifier: MIT */
/*
 * The device bus of a VM (hv/dev/bus.h) with its devices, and the dispatch of
 * port I/O exits and MMIO faults to them: the guest's COM1 (hv/dev/uart.c),
 * the 8259 pair, the I/O APIC, PCI configuration and the PCI I/O window
 * (virtio-blk), the local APIC page, the debug-exit port (QEMU
 * isa-debug-exit semantics), port 0xe9 (debugcon), and the PC platform
 * ports (hv/dev/platform.c). Unregistered ports read as all ones.
 */
#include <hv/dev/pci.h>
#include <hv/vm/vm.h>

#define DEBUGCON 0xe9
#define POST 0x80
#define IMCR_INDEX 0x22
#define KBD_STATUS 0x64
#define RTC_INDEX 0x70
#define RESET_CONTROL 0xcf9
#define PORT_A 0x92
#define PORT_B 0x61
#define PIT_FIRST 0x40
#define PCI_CONFIG 0xcf8

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

static void uart_port(struct vcpu *v, void *ctx, uint16_t port, unsigned int size, bool in,
		      uint32_t *val)
{
	uart_io(v->vm, ctx, port - UART_COM1_BASE, in, val);
}

static void pic_port(struct vcpu *v, void *ctx, uint16_t port, unsigned int size, bool in,
		     uint32_t *val)
{
	pic_io(ctx, port, in, val);
}

/* Configuration ports and the I/O window the BARs sit in. */
static void pci_port(struct vcpu *v, void *ctx, uint16_t port, unsigned int size, bool in,
		     uint32_t *val)
{
	if (!pci_io(v->vm, port, size, in, val) && in)
		*val = 0xffffffff; /* a byte access to 0xcf8, a BAR hole: nothing answers */
}

static void debug_port(struct vcpu *v, void *ctx, uint16_t port, unsigned int size, bool in,
		       uint32_t *val)
{
	struct vm *vm = v->vm;

	if (port == HV_DEBUG_EXIT_PORT) {
		if (!in) {
			vm_console_flush(vm);
			vm_debug_exit(vm, *val);
		} else {
			*val = 0xffffffff;
		}
	} else if (!in) {
		vm_console_byte(vm, (uint8_t)*val);
	} else {
		*val = DEBUGCON; /* Bochs/QEMU: reads back 0xe9 when present */
	}
}

static bool ioapic_window(struct vcpu *v, void *ctx, uint64_t gpa, unsigned int size, bool write,
			  uint64_t *val)
{
	return ioapic_mmio(ctx, v, gpa - IOAPIC_BASE, size, write, val);
}

static bool lapic_window(struct vcpu *v, void *ctx, uint64_t gpa, unsigned int size, bool write,
			 uint64_t *val)
{
	return lapic_mmio(v, gpa, size, write, val);
}

static bool lapic_window_active(struct vcpu *v, void *ctx, uint64_t gpa)
{
	return lapic_mmio_owns(&v->lapic, gpa);
}

int board_setup(struct vm *vm)
{
	struct bus *b = &vm->bus;
	struct platform_ports *p = &vm->plat;
	int rc;

	bus_init(b);
	/* 0xcf9 before PCI configuration: a byte there is the reset register. */
	rc = bus_add_ports(b, RESET_CONTROL, 1, "reset control", platform_misc_io, p);
	rc = rc ?: bus_add_ports(b, PCI_CONFIG, 8, "PCI configuration", pci_port, NULL);
	rc = rc ?: bus_add_ports(b, PCI_IO_WINDOW, 0x1000, "PCI I/O window", pci_port, NULL);
	rc = rc ?: bus_add_ports(b, UART_COM1_BASE, 8, "COM1", uart_port, &vm->uart);
	rc = rc ?: bus_add_ports(b, 0x20, 2, "8259 master", pic_port, &vm->pic);
	rc = rc ?: bus_add_ports(b, 0xa0, 2, "8259 slave", pic_port, &vm->pic);
	rc = rc ?: bus_add_ports(b, 0x4d0, 2, "ELCR", pic_port, &vm->pic);
	rc = rc ?: bus_add_ports(b, HV_DEBUG_EXIT_PORT, 1, "debug exit", debug_port, NULL);
	rc = rc ?: bus_add_ports(b, DEBUGCON, 1, "debugcon", debug_port, NULL);
	rc = rc ?: bus_add_ports(b, PIT_FIRST, 4, "PIT", platform_pit_io, p);
	rc = rc ?: bus_add_ports(b, PORT_B, 1, "port B", platform_misc_io, p);
	rc = rc ?: bus_add_ports(b, PORT_A, 1, "port A", platform_misc_io, p);
	rc = rc ?: bus_add_ports(b, KBD_STATUS, 1, "keyboard controller", platform_misc_io, p);
	rc = rc ?: bus_add_ports(b, RTC_INDEX, 2, "CMOS/RTC", platform_misc_io, p);
	rc = rc ?: bus_add_ports(b, POST, 1, "POST", platform_misc_io, p);
	rc = rc ?: bus_add_ports(b, IMCR_INDEX, 2, "IMCR", platform_misc_io, p);
	rc = rc ?: bus_add_ports(b, PLAT_PM_BASE, PLAT_PM_LEN, "ACPI PM", platform_pm_io, p);
	rc = rc ?: bus_add_mmio(b, IOAPIC_BASE, PAGE_SIZE, "I/O APIC", ioapic_window, NULL,
				&vm->ioapic);
	/* The local APIC's page is wherever IA32_APIC_BASE puts it (any page
	 * that is not RAM) and there only in xAPIC mode: the range is all of
	 * the address space, lapic_window_active() says where it is now. Last,
	 * so that it never shadows another device. */
	rc = rc ?: bus_add_mmio(b, 0, UINT64_MAX, "local APIC", lapic_window, lapic_window_active,
				NULL);
	return rc;
}

bool board_io(struct vcpu *v, uint16_t port, unsigned int size, bool in, uint32_t *val)
{
	const struct bus_port_range *r = bus_find_port(&v->vm->bus, port);

	if (!r) {
		count_unknown_port(v->vm, port);
		return false;
	}
	r->fn(v, r->ctx, port, size, in, val);
	return true;
}

bool board_mmio_owns(struct vcpu *v, uint64_t gpa)
{
	return bus_find_mmio(&v->vm->bus, v, gpa, 1) != NULL;
}

bool board_mmio(struct vcpu *v, uint64_t gpa, unsigned int size, bool write, uint64_t *val)
{
	const struct bus_mmio_range *r = bus_find_mmio(&v->vm->bus, v, gpa, size);

	return r && r->fn(v, r->ctx, gpa, size, write, val);
}

void board_set_irq(struct vm *vm, unsigned int irq, bool level)
{
	pic_set_irq(&vm->pic, irq, level);
	ioapic_set_irq(&vm->ioapic, &vm->vcpus[0], irq == 0 ? 2 : irq, level);
}

bool board_work_pending(const struct vm *vm)
{
	return (vm->has_blk && vm->blk.kicked && vm->blk.q.pinned) ||
	       (vm->has_balloon && virtio_balloon_busy(&vm->balloon));
}

uint64_t vm_timers_fire(struct vcpu *v, uint64_t now)
{
	struct platform_ports *p = &v->vm->plat;
	uint64_t pit = platform_pit_next_irq0(p);

	lapic_tick(&v->lapic, now);
	if (now >= pit && platform_pit_irq0(p, now)) {
		board_set_irq(v->vm, 0, true); /* an edge */
		board_set_irq(v->vm, 0, false);
		pit = platform_pit_next_irq0(p);
	}
	return MIN(lapic_next_event(&v->lapic), pit);
}
