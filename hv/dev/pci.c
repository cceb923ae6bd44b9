/* SPDX-License-Identifier: MIT */
/*
 * PCI configuration space and I/O BAR decoding (see pci.h). Only the command
 * register, BAR 0 and the interrupt line are writable.
 */
#include <hv/dev/pci.h>
#include <hv/vm/vm.h>
#include <string.h>

#define CONFIG_ADDR 0xcf8
#define CONFIG_DATA 0xcfc
#define CFG_ENABLE (1u << 31)
#define PCI_COMMAND 0x04
#define PCI_BAR0 0x10
#define PCI_INTERRUPT_LINE 0x3c
#define CMD_IO 0x1

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static uint32_t get32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void pci_set_ids(struct pci_dev *d, uint16_t vendor, uint16_t device, uint32_t class_rev,
		 uint16_t sub_vendor, uint16_t sub_device)
{
	put16(d->cfg + 0x00, vendor);
	put16(d->cfg + 0x02, device);
	put32(d->cfg + 0x08, class_rev);
	put16(d->cfg + 0x2c, sub_vendor);
	put16(d->cfg + 0x2e, sub_device);
}

void pci_init(struct pci_bus *bus, struct pci_dev *host_bridge)
{
	memset(bus, 0, sizeof(*bus));
	memset(host_bridge->cfg, 0, sizeof(host_bridge->cfg));
	/* An i440FX-like host bridge: Linux's sanity check wants one on bus 0. */
	pci_set_ids(host_bridge, 0x8086, 0x1237, 0x06000002, 0, 0);
	bus->devs[bus->nr++] = host_bridge;
}

int pci_add(struct pci_bus *bus, struct pci_dev *dev)
{
	if (bus->nr == PCI_MAX_DEVS)
		return -1;
	if (dev->bar0_size)
		put32(dev->cfg + PCI_BAR0, (uint32_t)(PCI_IO_WINDOW + bus->nr * 0x100) | 1);
	bus->devs[bus->nr] = dev;
	return (int)bus->nr++;
}

void pci_set_intx(struct vm *vm, struct pci_dev *d, bool level)
{
	bool line = false;

	d->intx = level;
	for (unsigned int i = 0; i < vm->pci.nr; i++)
		line |= vm->pci.devs[i]->intx;
	board_set_irq(vm, PCI_INTX_IRQ, line);
}

static struct pci_dev *addressed(const struct pci_bus *bus, uint32_t addr)
{
	unsigned int busno = (addr >> 16) & 0xff, dev = (addr >> 11) & 0x1f, fn = (addr >> 8) & 7;

	if (!(addr & CFG_ENABLE) || busno || fn || dev >= bus->nr)
		return NULL;
	return bus->devs[dev];
}

static void cfg_write(struct pci_dev *d, unsigned int off, unsigned int size, uint32_t val)
{
	unsigned int dw = off & ~3u;
	uint32_t old = get32(d->cfg + dw), shift = (off & 3) * 8;
	uint32_t mask = (size == 4 ? 0xffffffffu : ((1u << (size * 8)) - 1)) << shift;
	uint32_t nv = (old & ~mask) | ((val << shift) & mask);

	switch (dw) {
	case PCI_COMMAND:
		put16(d->cfg + PCI_COMMAND, (uint16_t)(nv & 0x0547));
		break;
	case PCI_BAR0:
		if (d->bar0_size) /* sizing: only the size bits stick */
			put32(d->cfg + PCI_BAR0, (nv & ~(uint32_t)(d->bar0_size - 1) & 0xfffc) | 1);
		break;
	case PCI_INTERRUPT_LINE:
		d->cfg[PCI_INTERRUPT_LINE] = (uint8_t)nv;
		break;
	default:
		break; /* read-only */
	}
}

bool pci_io(struct vm *vm, uint16_t port, unsigned int size, bool in, uint32_t *val)
{
	struct pci_bus *bus = &vm->pci;

	if (port == CONFIG_ADDR && size == 4) {
		if (in)
			*val = bus->addr;
		else
			bus->addr = *val & 0x80fffffc;
		return true;
	}
	if (port >= CONFIG_DATA && port < CONFIG_DATA + 4) {
		struct pci_dev *d = addressed(bus, bus->addr);
		unsigned int off = (bus->addr & 0xfc) + (port - CONFIG_DATA);

		if (off + size > 256 || (off & (size - 1)))
			d = NULL;
		if (in) {
			uint32_t dw = d ? get32(d->cfg + (off & ~3u)) : 0xffffffff;

			*val = dw >> ((off & 3) * 8);
		} else if (d) {
			cfg_write(d, off, size, *val);
		}
		return true;
	}
	for (unsigned int i = 1; i < bus->nr; i++) {
		struct pci_dev *d = bus->devs[i];
		uint32_t bar = get32(d->cfg + PCI_BAR0) & 0xfffc;

		if (d->bar0_size && (d->cfg[PCI_COMMAND] & CMD_IO) && port >= bar &&
		    port + size <= bar + d->bar0_size) {
			d->bar0_io(vm, d, (uint16_t)(port - bar), size, in, val);
			return true;
		}
	}
	return false;
}
