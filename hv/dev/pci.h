/* SPDX-License-Identifier: MIT */
/*
 * PCI for guests: configuration mechanism #1 (ports 0xcf8/0xcfc, PCI Local
 * Bus spec 3.0 §3.2.2.3.2) over bus 0 with a host bridge at 00:00.0 and up to
 * a few devices with one I/O BAR each. Absent slots read as all ones, which
 * is how a guest learns there is nothing there.
 */
#ifndef HV_DEV_PCI_H
#define HV_DEV_PCI_H

#include <types.h>

#define PCI_MAX_DEVS 4
#define PCI_IO_WINDOW 0xc000 /* I/O BARs are placed from here */
/* INTA# of every slot is wired to this ISA IRQ / GSI, level triggered and
 * active low (hv/load/acpi.c says so in the MADT and _PRT): the line is asserted
 * while any device asserts it, as shared PCI interrupt lines are. */
#define PCI_INTX_IRQ 11

struct vm;
struct pci_dev;

typedef void (*pci_bar_io_fn)(struct vm *vm, struct pci_dev *d, uint16_t off, unsigned int size,
			      bool in, uint32_t *val);

struct pci_dev {
	uint8_t cfg[256];     /* configuration space, little endian */
	uint16_t bar0_size;   /* I/O BAR 0 size (power of two), 0: none */
	pci_bar_io_fn bar0_io;
	void *priv;
	bool intx;            /* asserts INTA# */
};

struct pci_bus {
	uint32_t addr;        /* last value written to 0xcf8 */
	unsigned int nr;
	struct pci_dev *devs[PCI_MAX_DEVS]; /* slot i = device number i */
};

/* Empty bus with the host bridge in slot 0. */
void pci_init(struct pci_bus *bus, struct pci_dev *host_bridge);
/* Put dev in the next slot with its I/O BAR at PCI_IO_WINDOW + slot * 0x100.
 * Returns the slot, or -1 when the bus is full. */
int pci_add(struct pci_bus *bus, struct pci_dev *dev);
/* Fill the identity fields of a configuration header (type 0). */
void pci_set_ids(struct pci_dev *d, uint16_t vendor, uint16_t device, uint32_t class_rev,
		 uint16_t sub_vendor, uint16_t sub_device);
/* Device d asserts (level) or deasserts its INTA#; the shared line follows
 * the OR of every device's. */
void pci_set_intx(struct vm *vm, struct pci_dev *d, bool level);
/* Configuration and BAR port I/O; false if the port is not ours. */
bool pci_io(struct vm *vm, uint16_t port, unsigned int size, bool in, uint32_t *val);

#endif /* HV_DEV_PCI_H */
