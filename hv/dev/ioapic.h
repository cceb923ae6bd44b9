/* SPDX-License-Identifier: MIT */
/*
 * I/O APIC at 0xfec00000 (Intel 82093AA datasheet): 24 pins, edge or level
 * triggered, active high or low, masking, remote IRR for level-triggered
 * pins, cleared by the local APIC's EOI broadcast (or the EOI register of
 * version 0x20 parts, which this is not). Fixed and lowest-priority delivery
 * to the VM's one vCPU.
 *
 * Wiring (the ACPI MADT describes it): ISA IRQ n drives pin n, except the
 * PIT's IRQ 0 on pin 2; PCI INTx lines are level triggered, active low.
 */
#ifndef HV_DEV_IOAPIC_H
#define HV_DEV_IOAPIC_H

#include <types.h>

#define IOAPIC_BASE 0xfec00000ULL
#define IOAPIC_PINS 24
#define IOAPIC_ID 1 /* the local APIC has ID 0 */

#define IOAPIC_RTE_MASKED (1ULL << 16)
#define IOAPIC_RTE_LEVEL (1ULL << 15)
#define IOAPIC_RTE_REMOTE_IRR (1ULL << 14)
#define IOAPIC_RTE_ACTIVE_LOW (1ULL << 13)
#define IOAPIC_RTE_PENDING (1ULL << 12) /* delivery status */
#define IOAPIC_RTE_LOGICAL (1ULL << 11)

struct vcpu;

struct ioapic {
	uint32_t id;           /* bits 27:24 of the ID register */
	uint8_t sel;           /* IOREGSEL */
	uint64_t rte[IOAPIC_PINS];
	uint32_t wire;         /* electrical level of each pin (1: high) */
	uint32_t active_low;   /* pins whose source is active low (PCI) */
	uint64_t delivered;    /* counters for tests and stats */
};

/* Reset: all pins masked, edge, active high; active_low_pins are the pins
 * wired to active-low sources. */
void ioapic_reset(struct ioapic *io, uint32_t active_low_pins);
/* A source asserts or deasserts its line (logical level; the pin's wiring
 * turns it into the electrical level). */
void ioapic_set_irq(struct ioapic *io, struct vcpu *v, unsigned int pin, bool asserted);
/* The local APIC of v took an EOI for a level-triggered vector. */
void ioapic_eoi(struct ioapic *io, struct vcpu *v, uint8_t vector);
/* A 32-bit access to IOREGSEL (offset 0) or IOWIN (offset 0x10). */
bool ioapic_mmio(struct ioapic *io, struct vcpu *v, uint64_t off, unsigned int size, bool write,
		 uint64_t *val);

#endif /* HV_DEV_IOAPIC_H */
