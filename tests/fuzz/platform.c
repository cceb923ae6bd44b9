/* SPDX-License-Identifier: MIT */
/*
 * The VM platform of the exit and device harnesses (see platform.h).
 */
#include "platform.h"

#include <base/console.h>
#include <hv/vm/vm.h>

void fz_platform_init(struct vm *vm)
{
	/* Its config entry: the defaults (a reset restarts the VM). */
	static const struct vm_config fz_cfg = { .name = "fuzz", .after = -1, .nr_vcpus = 1 };

	if (!vm->cfg)
		vm->cfg = &fz_cfg;
	vm->nr_vcpus = vm->cfg->nr_vcpus;
	vm->vcpus[0].vm = vm;
	uart_reset(&vm->uart);
	pic_reset(&vm->pic);
	ioapic_reset(&vm->ioapic, 1u << PCI_INTX_IRQ);
	platform_reset(&vm->plat);
	lapic_reset(&vm->vcpus[0].lapic, vm->vcpus[0].id);
	pci_init(&vm->pci, &vm->host_bridge);
	if (board_setup(vm))
		panic("fuzz: board_setup failed");
	platform_power_on(&vm->plat, fz_tsc);
}

void fz_check_devices(const struct vm *vm)
{
	const struct lapic *l = &vm->vcpus[0].lapic;
	unsigned int mode = (l->lvt[1] >> 17) & 3;

	if ((l->irr[0] | l->isr[0] | l->tmr[0]) & 0xffff)
		panic("local APIC: vectors 0-15 in IRR %#lx ISR %#lx TMR %#lx", l->irr[0], l->isr[0],
		      l->tmr[0]);
	if (l->svr > 0x1ff || l->tpr > 0xff)
		panic("local APIC: SVR %#x TPR %#x", l->svr, l->tpr);
	/* (LINT0 keeps the ExtINT of reset, virtual-wire mode, until written.) */
	if (!(l->svr & 0x100))
		for (int i = 0; i < 7; i++)
			if (!(l->lvt[i] & (1u << 16)) && !(i == 4 && l->lvt[i] == 0x700))
				panic("local APIC: LVT %d unmasked while software disabled", i);
	if ((l->apic_base & 0xffff0000000002ffULL) || (l->apic_base & 0xc00) == 0x400)
		panic("local APIC: IA32_APIC_BASE %#lx", l->apic_base);
	if (l->period && (!l->deadline || mode != 1))
		panic("local APIC: a period without a periodic timer armed");
	for (unsigned int p = 0; p < IOAPIC_PINS; p++) {
		uint64_t rte = vm->ioapic.rte[p];

		if (rte & ~(0xff0000000001afffULL | IOAPIC_RTE_REMOTE_IRR))
			panic("I/O APIC: RTE %u is %#lx", p, rte);
		if ((rte & IOAPIC_RTE_REMOTE_IRR) && !(rte & IOAPIC_RTE_LEVEL))
			panic("I/O APIC: remote IRR on edge pin %u", p);
	}
	if (vm->ioapic.id > 15)
		panic("I/O APIC: ID %u", vm->ioapic.id);
	for (int c = 0; c < 2; c++)
		if (vm->pic.chip[c].init_step > 3 || (vm->pic.chip[c].base & 7))
			panic("8259 %d: init step %u, base %#x", c, vm->pic.chip[c].init_step,
			      vm->pic.chip[c].base);
	if (vm->uart.ier > 0x0f || vm->uart.mcr > 0x1f || (vm->uart.fcr & ~0xc9))
		panic("16550: IER %#x MCR %#x FCR %#x", vm->uart.ier, vm->uart.mcr, vm->uart.fcr);
	for (int i = 0; i < 3; i++) {
		const struct pit_channel *c = &vm->plat.pit[i];

		if (c->mode > 5 || c->access < 1 || c->access > 3 || c->reload < 1 ||
		    c->reload > 0x10000)
			panic("PIT %d: mode %u access %u reload %u", i, c->mode, c->access, c->reload);
	}
}

void fz_tick(struct vcpu *v, uint64_t delta)
{
	uint64_t next;

	fz_tsc += delta;
	board_poll(v);
	next = vm_timers_tick(v, fz_tsc);
	if (next <= fz_tsc)
		panic("next timer at %#lx, not after now (%#lx)", next, fz_tsc);
	if (next != vm_next_timer(v))
		panic("vm_timers_tick() says %#lx, vm_next_timer() %#lx", next, vm_next_timer(v));
}

static int highest(const uint64_t *bm)
{
	for (int w = 3; w >= 0; w--)
		if (bm[w])
			return w * 64 + 63 - __builtin_clzll(bm[w]);
	return -1;
}

int fz_deliver(struct vcpu *v, bool if_set)
{
	bool from_pic;
	int vec, isr;

	if (lapic_nmi_pending(&v->lapic))
		lapic_nmi_ack(&v->lapic);
	vec = vcpu_irq_pending(v, &from_pic);
	if (vec < 0)
		return -1;
	v->halted = false; /* runnable(): a pending interrupt wakes the vCPU */
	if (!if_set)
		return -1;
	if (vec > 255 || (!from_pic && vec < 16))
		panic("interrupt vector %d pending (from the 8259: %d)", vec, from_pic);
	if (!from_pic) {
		isr = highest(v->lapic.isr);
		if (isr >= 0 && (vec & 0xf0) <= (isr & 0xf0))
			panic("vector %d delivered while %d is in service", vec, isr);
		if ((unsigned int)(vec & 0xf0) <= (v->lapic.tpr & 0xf0))
			panic("vector %d delivered at TPR %#x", vec, v->lapic.tpr);
	}
	vcpu_irq_ack(v, vec, from_pic);
	if (!from_pic && !(v->lapic.isr[vec / 64] & (1ULL << (vec % 64))))
		panic("vector %d delivered but not in service", vec);
	return vec;
}
