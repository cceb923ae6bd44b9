/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the device models of a VM at register level, through
 * the VM's bus (hv/dev/board.c) and the local APIC's MSRs (guest_cpu.c): the 8259
 * pair, the I/O APIC, the local APIC in xAPIC mode (MMIO, any size and
 * alignment) and x2APIC mode (MSRs) with its timer and IPIs, the 16550, the
 * PC platform ports (PIT, port B, PM timer and PM1 blocks, CMOS, resets) and
 * PCI configuration. Each input is a program: register reads and writes
 * with values biased to what each device decodes (initialization
 * sequences, redirection entries, ICR values, LVTs), interrupt lines (ISA
 * IRQs, and I/O APIC and 8259 inputs of any number), time passing with the
 * timers ticked, interrupt delivery as a back end does it, and the guest's
 * EOIs.
 *
 * Checked besides ASan/UBSan (platform.h): every device's state within its
 * registers' definitions after each step; the next timer in the future and
 * the one vm_next_timer() gives; an interrupt delivered outranks the TPR and
 * everything in service, and is in service afterwards.
 */
#include "platform.h"

#include <asm/guest_cpu.h>
#include <hv/vcpu/cpu_model.h>
#include <asm/virt.h>
#include <base/console.h>
#include <hv/vm/vm.h>
#include <stdlib.h>
#include <string.h>

#define MEM_FRAMES 16

static struct vm vm;
static struct vcpu *const v = &vm.vcpus[0];
static bool guest_if;

static void fk_set_tsc_offset(struct vcpu *c, uint64_t offset)
{
}

static bool fk_inject_discard_fault(struct vcpu *c)
{
	return true;
}

static void fk_flush_gpt(struct vm *m)
{
}

static const struct virt_ops fk_ops = {
	.name = "fuzz",
	.fault_name = "EPT violation",
	.set_tsc_offset = fk_set_tsc_offset,
	.inject_discard_fault = fk_inject_discard_fault,
	.flush_gpt = fk_flush_gpt,
};

static uint64_t take(struct fz_in *in, unsigned int bytes)
{
	return fz_take(in, bytes);
}

#define PICK(in, list) ((list)[take(in, 1) % (sizeof(list) / sizeof((list)[0]))])

/* ---- values ---- */

/* An IPI (ICR low, and the destination for x2APIC's high half). */
static uint64_t icr(struct fz_in *in)
{
	uint64_t vec = take(in, 1) % 4 ? 0x20 + take(in, 1) % 0xe0 : take(in, 1);
	uint64_t mode = take(in, 1) % 8, sh = take(in, 1) % 4, k = take(in, 1);
	uint64_t dest = k % 4 == 0 ? 0 : k % 4 == 1 ? 0xffffffffULL : k % 4 == 2 ? take(in, 1) : 1;

	return vec | mode << 8 | (k & 0x10 ? 1u << 11 : 0) | (k & 0x20 ? 1u << 14 : 0) |
	       (k & 0x40 ? 1u << 15 : 0) | sh << 18 | dest << 32;
}

/* An LVT: vector, delivery mode, polarity, trigger, mask, timer mode. */
static uint64_t lvt(struct fz_in *in)
{
	return (0x20 + take(in, 1) % 0xe0) | (take(in, 1) % 8) << 8 | (take(in, 1) & 1) << 13 |
	       (take(in, 1) & 1) << 15 | (take(in, 1) % 4 ? 0 : 1u << 16) | (take(in, 1) % 4) << 17;
}

/* A value for xAPIC register reg (offset >> 4). */
static uint64_t apic_value(struct fz_in *in, unsigned int reg)
{
	if (take(in, 1) % 8 == 0)
		return take(in, 4);
	switch (reg) {
	case 0x08: /* TPR */
		return take(in, 1) & 0xf0;
	case 0x0b: /* EOI */
		return 0;
	case 0x0d: /* LDR */
	case 0x31: /* ICR high */
		return take(in, 1) << 24;
	case 0x0e: /* DFR */
		return take(in, 1) & 1 ? 0xffffffff : 0x0fffffff;
	case 0x0f: /* SVR */
		return take(in, 1) % 4 ? 0x1ff : 0xff;
	case 0x30:
		return icr(in);
	case 0x2f:
	case 0x32:
	case 0x33:
	case 0x34:
	case 0x35:
	case 0x36:
	case 0x37:
		return lvt(in);
	case 0x38: /* initial count */
		return take(in, 1) % 4 ? take(in, 2) : take(in, 4);
	case 0x3e: /* divide */
		return take(in, 1) & 0xb;
	default:
		return take(in, 1);
	}
}

/* A redirection entry: vector, delivery and destination modes, polarity,
 * trigger, mask, destination. */
static uint64_t rte(struct fz_in *in)
{
	if (take(in, 1) % 8 == 0)
		return take(in, 8);
	return (0x20 + take(in, 1) % 0xe0) | (take(in, 1) % 8 ? 0 : (take(in, 1) % 8) << 8) |
	       (take(in, 1) % 8 ? 0 : 1u << 11) | (take(in, 1) & 1) << 13 | (take(in, 1) & 1) << 15 |
	       (take(in, 1) % 4 ? 0 : 1u << 16) | (take(in, 1) % 4 ? 0 : take(in, 1)) << 56;
}

static const uint16_t ports[] = {
	0x20,  0x21,  0xa0,  0xa1,  0x4d0, 0x4d1, 0x40,	 0x41,	0x42,  0x43,  0x61,  0x92,
	0xcf9, 0x64,  0x70,  0x71,  0x80,  0x22,  0x23,	 0x3f8, 0x3f9, 0x3fa, 0x3fb, 0x3fc,
	0x3fd, 0x3fe, 0x3ff, 0x600, 0x601, 0x602, 0x604, 0x608, 0x609, 0xcf8, 0xcfc, 0xcfd,
	0xe9,  0xc000, 0xc010, 0xc012, 0xc013,
};

static uint32_t port_value(struct fz_in *in, uint16_t port)
{
	static const uint8_t pic_cmd[] = { 0x11, 0x10, 0x13, 0x20, 0x60, 0x62, 0x0a, 0x0b, 0x08 };
	static const uint8_t pit_cmd[] = { 0x34, 0x36, 0x30, 0x38, 0x3a, 0xb6, 0xb0, 0x00, 0x40,
					   0x80, 0xd2, 0xe2, 0xc2, 0xde, 0x74, 0x14, 0x24, 0x7c };

	if (take(in, 1) % 8 == 0)
		return (uint32_t)take(in, 4);
	switch (port) {
	case 0x20:
	case 0xa0:
		return PICK(in, pic_cmd) | (uint32_t)(take(in, 1) & 7);
	case 0x43:
		return PICK(in, pit_cmd);
	case 0x604:
		return take(in, 1) % 4 ? 0x0001 : (uint32_t)take(in, 2) & ~0x2000u;
	case 0x92:
	case 0xcf9:
		return (uint32_t)take(in, 1) & 0xfa; /* not a reset: it stops the VM */
	case 0x64:
		return (uint32_t)take(in, 1) == 0xfe ? 0 : 0xd1;
	case 0xcf8:
		return 0x80000000u | (uint32_t)take(in, 2);
	default:
		return (uint32_t)take(in, 1);
	}
}

/* ---- the checks of the MSR interface ---- */

/*
 * WRMSR as the exit handler does it: one the guest gets #GP for has no
 * effect (the instruction did not execute), and the x2APIC ICR, a 64-bit
 * register (SDM Vol. 3A §11.12.9), reads back what was written (bit 12,
 * delivery status, does not exist in x2APIC mode).
 */
static void wrmsr_checked(uint32_t msr, uint64_t val)
{
	struct lapic before = v->lapic;
	uint64_t back;

	if (!guest_wrmsr(v, msr, val)) {
		if (memcmp(&before, &v->lapic, sizeof(before)))
			panic("WRMSR %#x, %#lx: #GP, but the local APIC changed", msr, val);
		return;
	}
	if (msr == 0x830 && guest_rdmsr(v, msr, &back) && back != (val & ~(1ULL << 12)))
		panic("x2APIC ICR written with %#lx reads %#lx", val, back);
}

/* ---- the program ---- */

static void step(struct fz_in *in)
{
	uint32_t val32;
	uint64_t val;

	switch (take(in, 1) % 16) {
	case 0:
	case 1:
	case 2: { /* port I/O */
		uint16_t port = take(in, 1) % 16 ? PICK(in, ports) : (uint16_t)take(in, 2);
		unsigned int size = (unsigned int[]){ 1, 1, 2, 4 }[take(in, 1) % 4];
		bool rd = take(in, 1) & 1;

		val32 = rd ? 0 : port_value(in, port);
		(void)board_io(v, port, size, rd, &val32);
		break;
	}
	case 3:
	case 4:
	case 5: { /* xAPIC registers, any size and alignment */
		unsigned int reg = take(in, 1) % 8 ? (unsigned int)take(in, 1) % 0x40 : 0x30;
		uint64_t gpa = (v->lapic.apic_base & 0xfffffffff000ULL) + (reg << 4);
		static const unsigned int sizes[] = { 1, 2, 8, 4 };
		unsigned int size = take(in, 1) % 8 ? 4 : PICK(in, sizes);
		bool wr = take(in, 1) & 1;

		if (take(in, 1) % 16 == 0)
			gpa += take(in, 1) % 16;
		if (take(in, 1) % 16 == 0)
			gpa = APIC_DEFAULT_BASE + (reg << 4); /* the old page after a move */
		val = wr ? apic_value(in, reg) : 0;
		if (board_mmio_owns(v, gpa))
			(void)board_mmio(v, gpa, size, wr, &val);
		if (wr && reg == 0x30) /* ICR low after ICR high, as drivers write it */
			(void)fz_deliver(v, guest_if);
		break;
	}
	case 6:
	case 7: { /* x2APIC and APIC MSRs */
		static const uint32_t msrs[] = { 0x802, 0x803, 0x808, 0x80a, 0x80b, 0x80d, 0x80e,
						 0x80f, 0x810, 0x818, 0x820, 0x828, 0x82f, 0x830,
						 0x830, 0x831, 0x832, 0x833, 0x834, 0x835, 0x836,
						 0x837, 0x838, 0x839, 0x83e, 0x83f, 0x6e0, 0x10,
						 0x3b };
		uint32_t msr = take(in, 1) % 16 ? PICK(in, msrs) : 0x800 + (uint32_t)take(in, 1);
		bool wr = take(in, 1) & 1;

		if (msr == 0x830) /* an IPI, or any bits */
			val = take(in, 1) % 8 ? icr(in) : take(in, 8);
		else if (msr == 0x6e0)
			val = fz_tsc + take(in, 3);
		else
			val = apic_value(in, msr - 0x800);
		if (wr)
			wrmsr_checked(msr, val);
		else
			(void)guest_rdmsr(v, msr, &val);
		break;
	}
	case 8: { /* IA32_APIC_BASE: move, disable, x2APIC */
		static const uint64_t bases[] = { 0xfee00900, 0xfee00d00, 0xfee00000, 0xfed00900,
						  0xfee00800, 0x10000900, 0xfee00400 };

		val = take(in, 1) % 16 ? PICK(in, bases) : take(in, 8);
		wrmsr_checked(MSR_IA32_APIC_BASE, val);
		break;
	}
	case 9: { /* I/O APIC: select a register, read or write it */
		unsigned int reg =
			(unsigned int)(take(in, 1) % 8 ? 0x10 + take(in, 1) % 48 : take(in, 1));
		bool wr = take(in, 1) % 4 != 0;
		uint64_t r = rte(in);

		val = reg;
		(void)board_mmio(v, IOAPIC_BASE, 4, true, &val);
		val = reg & 1 ? r >> 32 : (uint32_t)r;
		(void)board_mmio(v, IOAPIC_BASE + (take(in, 1) % 16 ? 0x10 : take(in, 1) & 0xfc),
			      take(in, 1) % 16 ? 4 : 1, wr, &val);
		break;
	}
	case 10:
	case 11: { /* interrupt lines */
		unsigned int k = (unsigned int)take(in, 1);
		bool level = take(in, 1) & 1;

		if (k < 200)
			board_set_irq(&vm, k % 16, level);
		else if (k < 230)
			ioapic_set_irq(&vm.ioapic, v, (unsigned int)take(in, 1), level);
		else
			pic_set_irq(&vm.pic, (unsigned int)take(in, 1), level);
		break;
	}
	case 12:
	case 13: { /* time passes; the guest takes interrupts */
		static const uint64_t steps[] = { 1, 100, 1677, 1678, 10000, 16760, 1000000, 60000000 };

		fz_tick(v, take(in, 1) % 4 ? PICK(in, steps) : take(in, 4));
		guest_if = take(in, 1) % 4 != 0;
		(void)fz_deliver(v, guest_if);
		break;
	}
	default: { /* the guest's EOI: local APIC (either interface) or 8259 */
		unsigned int k = (unsigned int)take(in, 1) % 4;

		val = 0;
		if (k == 0 && lapic_mmio_owns(&v->lapic, v->lapic.apic_base & 0xfffffffff000ULL))
			(void)board_mmio(v, (v->lapic.apic_base & 0xfffffffff000ULL) + 0xb0, 4, true, &val);
		else if (k == 1)
			(void)guest_wrmsr(v, 0x80b, 0);
		else {
			val32 = 0x20;
			(void)board_io(v, k == 2 ? 0x20 : 0xa0, 1, false, &val32);
		}
		break;
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };

	virt = &fk_ops;
	fz_tsc = 1000000000;
	fz_vm_create(&vm, MEM_FRAMES * PAGE_SIZE, false);
	vm.state = VM_RUNNING;
	fz_platform_init(&vm);
	guest_cpu_init(v);
	guest_if = true;
	for (unsigned int n = 0; in.n && n < 256 && vm.state != VM_STOPPED; n++) {
		step(&in);
		fz_check_devices(&vm);
	}
	vm_console_flush(&vm);
	fz_vm_destroy(&vm);
	return 0;
}
