/* SPDX-License-Identifier: MIT */
/*
 * I/O APIC (see ioapic.h). Register layout: 82093AA datasheet §3.2 (ID 0x00,
 * version 0x01, arbitration 0x02, redirection entries 0x10 + 2 * pin).
 */
#include <hv/dev/ioapic.h>
#include <hv/dev/lapic.h>
#include <hv/vm/vcpu.h>
#include <hv/vm/vm.h>
#include <string.h>

#define REG_ID 0x00
#define REG_VERSION 0x01
#define REG_ARB 0x02
#define REG_RTE0 0x10
#define VERSION 0x11 /* 82093AA: no EOI register */
#define RTE_WRITABLE 0xff0000000001afffULL /* dest, mask, trigger, polarity, dest mode, DM, vector */

void ioapic_reset(struct ioapic *io, uint32_t active_low_pins)
{
	memset(io, 0, sizeof(*io));
	io->id = IOAPIC_ID;
	io->active_low = active_low_pins;
	io->wire = active_low_pins; /* deasserted active-low lines sit high */
	for (unsigned int i = 0; i < IOAPIC_PINS; i++)
		io->rte[i] = IOAPIC_RTE_MASKED;
}

/* Is the pin's input asserted as the RTE's polarity reads it? */
static bool input(const struct ioapic *io, unsigned int pin)
{
	bool high = io->wire & (1u << pin);

	return io->rte[pin] & IOAPIC_RTE_ACTIVE_LOW ? !high : high;
}

/* Does the RTE's destination name vCPU t? With one vCPU any logical
 * destination that names a CPU does (a guest need not set up its LDR). */
static bool reaches(const struct vcpu *t, uint64_t rte)
{
	uint8_t dest = (uint8_t)(rte >> 56);

	if ((rte & IOAPIC_RTE_LOGICAL) && t->vm->nr_vcpus == 1)
		return dest != 0;
	if (!(rte & IOAPIC_RTE_LOGICAL) && dest == 0xff)
		return true;
	return lapic_match_dest(t, dest, rte & IOAPIC_RTE_LOGICAL);
}

/* Send the pin's message to the vCPUs it names: fixed to each of them,
 * lowest priority to the one the local APICs' arbitration picks
 * (lapic_lower_priority()). The other delivery modes (SMI, NMI, INIT,
 * ExtINT) are not offered and drop. A vCPU other than v (the one whose exit
 * or device work this is) is kicked. */
static void deliver(struct ioapic *io, struct vcpu *v, unsigned int pin)
{
	uint64_t rte = io->rte[pin];
	unsigned int dm = (rte >> 8) & 7;
	uint8_t vector = (uint8_t)rte;
	struct vm *vm = v->vm;
	struct vcpu *lowest = NULL;
	bool sent = false;

	if (dm > 1 || vector < 16)
		return;
	if (dm == 1) {
		for (unsigned int i = 0; i < vm->nr_vcpus; i++)
			if (reaches(&vm->vcpus[i], rte))
				lowest = lapic_lower_priority(lowest, &vm->vcpus[i]);
		if (!lowest)
			return;
	}
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *t = &vm->vcpus[i];

		if (!reaches(t, rte) || (lowest && t != lowest))
			continue;
		if ((rte & IOAPIC_RTE_LEVEL) && !sent)
			io->rte[pin] |= IOAPIC_RTE_REMOTE_IRR;
		lapic_deliver(&t->lapic, vector, rte & IOAPIC_RTE_LEVEL);
		sent = true;
		if (t != v)
			vcpu_kick(t);
	}
	io->delivered += sent;
}

/* Level pins: deliver while asserted, unmasked and not in remote IRR. */
static void poll_level(struct ioapic *io, struct vcpu *v, unsigned int pin)
{
	uint64_t rte = io->rte[pin];

	if ((rte & IOAPIC_RTE_LEVEL) && !(rte & (IOAPIC_RTE_MASKED | IOAPIC_RTE_REMOTE_IRR)) &&
	    input(io, pin))
		deliver(io, v, pin);
}

void ioapic_set_irq(struct ioapic *io, struct vcpu *v, unsigned int pin, bool asserted)
{
	bool high, was;

	if (pin >= IOAPIC_PINS)
		return;
	high = asserted != !!(io->active_low & (1u << pin));
	was = input(io, pin);
	if (high)
		io->wire |= 1u << pin;
	else
		io->wire &= ~(1u << pin);
	if (io->rte[pin] & IOAPIC_RTE_LEVEL)
		poll_level(io, v, pin);
	else if (!was && input(io, pin) && !(io->rte[pin] & IOAPIC_RTE_MASKED))
		deliver(io, v, pin); /* edge: a masked edge is lost, as on the part */
}

void ioapic_eoi(struct ioapic *io, struct vcpu *v, uint8_t vector)
{
	for (unsigned int pin = 0; pin < IOAPIC_PINS; pin++) {
		if ((uint8_t)io->rte[pin] != vector || !(io->rte[pin] & IOAPIC_RTE_REMOTE_IRR))
			continue;
		io->rte[pin] &= ~IOAPIC_RTE_REMOTE_IRR;
		poll_level(io, v, pin); /* still asserted: a new interrupt */
	}
}

static uint32_t reg_read(const struct ioapic *io)
{
	unsigned int r = io->sel;

	switch (r) {
	case REG_ID:
		return io->id << 24;
	case REG_VERSION:
		return (IOAPIC_PINS - 1) << 16 | VERSION;
	case REG_ARB:
		return io->id << 24;
	default:
		if (r >= REG_RTE0 && r < REG_RTE0 + 2 * IOAPIC_PINS)
			return (uint32_t)(io->rte[(r - REG_RTE0) / 2] >> (r & 1 ? 32 : 0));
		return 0xffffffff;
	}
}

static void reg_write(struct ioapic *io, struct vcpu *v, uint32_t val)
{
	unsigned int r = io->sel, pin;
	uint64_t rte;

	if (r == REG_ID) {
		io->id = (val >> 24) & 0xf;
		return;
	}
	if (r < REG_RTE0 || r >= REG_RTE0 + 2 * IOAPIC_PINS)
		return; /* version, arbitration: read-only */
	pin = (r - REG_RTE0) / 2;
	rte = io->rte[pin];
	if (r & 1)
		rte = (rte & 0xffffffffULL) | (uint64_t)val << 32;
	else
		rte = (rte & ~0xffffffffULL) | val;
	/* Delivery status and remote IRR are read-only; an edge pin has no
	 * remote IRR. */
	rte = (rte & RTE_WRITABLE) | (io->rte[pin] & IOAPIC_RTE_REMOTE_IRR);
	if (!(rte & IOAPIC_RTE_LEVEL))
		rte &= ~IOAPIC_RTE_REMOTE_IRR;
	io->rte[pin] = rte;
	poll_level(io, v, pin); /* unmasking an asserted level pin delivers */
}

bool ioapic_mmio(struct ioapic *io, struct vcpu *v, uint64_t off, unsigned int size, bool write,
		 uint64_t *val)
{
	if (size != 4 || (off != 0 && off != 0x10)) {
		if (!write)
			*val = 0; /* the rest of the page: reads 0, writes ignored */
		return true;
	}
	if (off == 0) {
		if (write)
			io->sel = (uint8_t)*val;
		else
			*val = io->sel;
	} else if (write) {
		reg_write(io, v, (uint32_t)*val);
	} else {
		*val = reg_read(io);
	}
	return true;
}
