/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: the device bus (hv/dev/bus.c), the I/O APIC (hv/dev/ioapic.c)
 * with the local APIC's EOI broadcast, the PIT and PM timer counts and the
 * PIT's IRQ 0 edges (hv/dev/platform.c) at given TSC values, the reset
 * ports, and the guest memory map (hv/load/memmap.c).
 */
#include "unit.h"
#include <asm/tsc.h>
#include <hv/load/memmap.h>
#include <hv/vm/vm.h>
#include <string.h>

/* A TSC at exactly 100 times the PIT clock. */
uint64_t tsc_hz = 1193182ULL * 100;

static unsigned int resets;
static const char *reset_how;

void vm_reset(struct vm *m, const char *how)
{
	resets++;
	reset_how = how;
}

static struct vm vm;
static struct vcpu *v = &vm.vcpus[0];

static void setup(void)
{
	memset(&vm, 0, sizeof(vm));
	vm.nr_vcpus = 1;
	v->vm = &vm;
	lapic_reset(&v->lapic, 0);
	ioapic_reset(&vm.ioapic, 1u << 11);
	platform_reset(&vm.plat);
}

/* ---- bus ---- */

static unsigned int hits;
static uint16_t last_port;

static void port_fn(struct vcpu *c, void *ctx, uint16_t port, unsigned int size, bool in,
		    uint32_t *val)
{
	hits += (unsigned int)(uintptr_t)ctx;
	last_port = port;
}

static bool mmio_fn(struct vcpu *c, void *ctx, uint64_t gpa, unsigned int size, bool write,
		    uint64_t *val)
{
	return true;
}

static bool never(struct vcpu *c, void *ctx, uint64_t gpa)
{
	return false;
}

START_TEST(bus_ranges)
{
	struct bus b;
	const struct bus_port_range *r;

	bus_init(&b);
	ck_assert_int_eq(bus_add_ports(&b, 0xcf9, 1, "reset", port_fn, (void *)1), 0);
	ck_assert_int_eq(bus_add_ports(&b, 0xcf8, 8, "pci", port_fn, (void *)10), 0);
	ck_assert_ptr_null(bus_find_port(&b, 0xcf7));
	ck_assert_str_eq(bus_find_port(&b, 0xcf9)->name, "reset"); /* first registered wins */
	ck_assert_str_eq(bus_find_port(&b, 0xcf8)->name, "pci");   /* a dword there: PCI */
	ck_assert_str_eq(bus_find_port(&b, 0xcff)->name, "pci");
	ck_assert_ptr_null(bus_find_port(&b, 0xd00));
	r = bus_find_port(&b, 0xcfc);
	r->fn(v, r->ctx, 0xcfc, 4, true, &(uint32_t){ 0 });
	ck_assert_uint_eq(hits, 10);
	ck_assert_uint_eq(last_port, 0xcfc);
	ck_assert_int_ne(bus_add_ports(&b, 0xffff, 2, "wraps", port_fn, NULL), 0);
	for (unsigned int i = 2; i < BUS_MAX_PORT_RANGES; i++)
		ck_assert_int_eq(bus_add_ports(&b, (uint16_t)(0x100 + i), 1, "x", port_fn, NULL), 0);
	ck_assert_int_ne(bus_add_ports(&b, 0x200, 1, "full", port_fn, NULL), 0);

	ck_assert_int_eq(bus_add_mmio(&b, 0xfec00000, 0x1000, "ioapic", mmio_fn, NULL, NULL), 0);
	ck_assert_int_eq(bus_add_mmio(&b, 0xfee00000, 0x1000, "lapic", mmio_fn, never, NULL), 0);
	ck_assert_str_eq(bus_find_mmio(&b, v, 0xfec00010, 4)->name, "ioapic");
	ck_assert_ptr_null(bus_find_mmio(&b, v, 0xfec00ffe, 4)); /* straddles the end */
	ck_assert_ptr_null(bus_find_mmio(&b, v, 0xfebffffc, 8));
	ck_assert_ptr_null(bus_find_mmio(&b, v, 0xfee00020, 4)); /* inactive */
}
END_TEST

/* ---- I/O APIC ---- */

static void rte(unsigned int pin, uint64_t val)
{
	uint64_t lo = (uint32_t)val, hi = val >> 32;

	ck_assert(ioapic_mmio(&vm.ioapic, v, 0, 4, true, &(uint64_t){ 0x11 + 2 * pin }));
	ck_assert(ioapic_mmio(&vm.ioapic, v, 0x10, 4, true, &hi));
	ck_assert(ioapic_mmio(&vm.ioapic, v, 0, 4, true, &(uint64_t){ 0x10 + 2 * pin }));
	ck_assert(ioapic_mmio(&vm.ioapic, v, 0x10, 4, true, &lo));
}

static uint64_t reg(unsigned int r)
{
	uint64_t val = 0;

	ck_assert(ioapic_mmio(&vm.ioapic, v, 0, 4, true, &(uint64_t){ r }));
	ck_assert(ioapic_mmio(&vm.ioapic, v, 0x10, 4, false, &val));
	return val;
}

static bool irr(uint8_t vec)
{
	return v->lapic.irr[vec / 64] & (1ULL << (vec % 64));
}

/* The vCPU takes the interrupt and its handler writes EOI. */
static void take_and_eoi(uint8_t vec)
{
	ck_assert_int_eq(lapic_pending(&v->lapic), vec);
	lapic_ack(&v->lapic, vec);
	ck_assert(lapic_mmio(v, 0xfee000b0, 4, true, &(uint64_t){ 0 }));
}

/*
 * A VM of three vCPUs: the I/O APIC delivers to the vCPU the RTE names, by
 * physical APIC ID or flat logical ID, not to vCPU 0 whatever the RTE says
 * (a Linux guest that gives a device's interrupt to CPU 1 never saw it);
 * lowest priority to one of those named; broadcast to all.
 */
static bool irr_of(unsigned int c, uint8_t vec)
{
	return vm.vcpus[c].lapic.irr[vec / 64] & (1ULL << (vec % 64));
}

START_TEST(ioapic_routes_to_the_named_vcpu)
{
	setup();
	vm.nr_vcpus = 3;
	for (unsigned int c = 0; c < 3; c++) {
		vm.vcpus[c].vm = &vm;
		vm.vcpus[c].id = c;
		lapic_reset(&vm.vcpus[c].lapic, c);
		vm.vcpus[c].lapic.svr = 0x1ff;
		vm.vcpus[c].lapic.dfr = 0xffffffff;            /* flat model */
		vm.vcpus[c].lapic.ldr = (1u << c) << 24;        /* logical ID bit c */
	}
	rte(4, 0x40 | 1ULL << 56);                             /* physical, APIC ID 1 */
	ioapic_set_irq(&vm.ioapic, v, 4, true);
	ck_assert(irr_of(1, 0x40) && !irr_of(0, 0x40) && !irr_of(2, 0x40));
	rte(5, 0x41 | IOAPIC_RTE_LOGICAL | 4ULL << 56);        /* logical bit 2: vCPU 2 */
	ioapic_set_irq(&vm.ioapic, v, 5, true);
	ck_assert(irr_of(2, 0x41) && !irr_of(0, 0x41) && !irr_of(1, 0x41));
	rte(6, 0x42 | 1u << 8 | IOAPIC_RTE_LOGICAL | 6ULL << 56); /* lowest priority of 1, 2 */
	ioapic_set_irq(&vm.ioapic, v, 6, true);
	ck_assert_uint_eq(irr_of(0, 0x42) + irr_of(1, 0x42) + irr_of(2, 0x42), 1);
	ck_assert(!irr_of(0, 0x42));
	rte(7, 0x43 | 0xffULL << 56);                          /* physical broadcast */
	ioapic_set_irq(&vm.ioapic, v, 7, true);
	ck_assert(irr_of(0, 0x43) && irr_of(1, 0x43) && irr_of(2, 0x43));
	rte(8, 0x44 | 3ULL << 56);                             /* no such APIC ID */
	ioapic_set_irq(&vm.ioapic, v, 8, true);
	ck_assert(!irr_of(0, 0x44) && !irr_of(1, 0x44) && !irr_of(2, 0x44));
	ck_assert_uint_eq(vm.ioapic.delivered, 4);
}
END_TEST

START_TEST(ioapic_edge_level)
{
	setup();
	v->lapic.svr = 0x1ff;
	ck_assert_uint_eq(reg(1), 0x170011);
	ck_assert_uint_eq(reg(0x10) & IOAPIC_RTE_MASKED, IOAPIC_RTE_MASKED);
	/* Edge: one interrupt per rising edge; a masked edge is lost. */
	rte(4, 0x40);
	ioapic_set_irq(&vm.ioapic, v, 4, true);
	ck_assert(irr(0x40));
	take_and_eoi(0x40);
	ioapic_set_irq(&vm.ioapic, v, 4, true); /* still high: no edge */
	ck_assert(!irr(0x40));
	ioapic_set_irq(&vm.ioapic, v, 4, false);
	rte(4, 0x40 | IOAPIC_RTE_MASKED);
	ioapic_set_irq(&vm.ioapic, v, 4, true);
	rte(4, 0x40);
	ck_assert(!irr(0x40));

	/* Level, active low on the PCI pin: remote IRR until the EOI. */
	rte(11, 0x51 | IOAPIC_RTE_LEVEL | IOAPIC_RTE_ACTIVE_LOW);
	ck_assert(!irr(0x51)); /* deasserted active-low line: quiet */
	ioapic_set_irq(&vm.ioapic, v, 11, true);
	ck_assert(irr(0x51));
	ck_assert(reg(0x10 + 22) & IOAPIC_RTE_REMOTE_IRR);
	lapic_ack(&v->lapic, 0x51);
	ck_assert(!irr(0x51));
	ioapic_set_irq(&vm.ioapic, v, 11, true);
	ck_assert(!irr(0x51)); /* remote IRR blocks */
	ck_assert(lapic_mmio(v, 0xfee000b0, 4, true, &(uint64_t){ 0 })); /* EOI: still asserted */
	ck_assert(irr(0x51));
	ck_assert(reg(0x10 + 22) & IOAPIC_RTE_REMOTE_IRR);
	ioapic_set_irq(&vm.ioapic, v, 11, false);
	take_and_eoi(0x51);
	ck_assert(!(reg(0x10 + 22) & IOAPIC_RTE_REMOTE_IRR));
	ck_assert(!irr(0x51));
	ck_assert_uint_eq(vm.ioapic.delivered, 3);

	/* The wrong polarity for the wire: the idle line reads asserted. */
	rte(11, 0x52 | IOAPIC_RTE_LEVEL);
	ck_assert(irr(0x52));
	/* Logical destination 0 names no CPU; physical 1 is not ours. */
	rte(5, 0x60 | IOAPIC_RTE_LOGICAL);
	ioapic_set_irq(&vm.ioapic, v, 5, true);
	rte(6, 0x61 | 1ULL << 56);
	ioapic_set_irq(&vm.ioapic, v, 6, true);
	ck_assert(!irr(0x60) && !irr(0x61));
}
END_TEST

/* A pin the I/O APIC does not have changes nothing (also past bit 31 of
 * its pin masks: no shift beyond the width, which UBSan catches here). */
START_TEST(ioapic_no_such_pin)
{
	setup();
	v->lapic.svr = 0x1ff;
	rte(4, 0x40);
	for (unsigned int pin = IOAPIC_PINS; pin < 300; pin += 7)
		ioapic_set_irq(&vm.ioapic, v, pin, true);
	ck_assert_uint_eq(vm.ioapic.wire, 1u << 11);
	ck_assert_uint_eq(vm.ioapic.delivered, 0);
}
END_TEST

/* ---- PIT and PM timer ---- */

static void pit_out(uint16_t port, uint8_t val)
{
	platform_pit_io(v, &vm.plat, port, 1, false, &(uint32_t){ val });
}

START_TEST(pit_counts)
{
	const uint64_t t0 = 1000000;

	setup();
	vm.plat.pit[0].mode = 2;
	vm.plat.pit[0].reload = 1000;
	vm.plat.pit[0].start = t0;
	ck_assert_uint_eq(platform_pit_count(&vm.plat, 0, t0), 1000);
	ck_assert_uint_eq(platform_pit_count(&vm.plat, 0, t0 + 100 * 10), 990);
	ck_assert_uint_eq(platform_pit_count(&vm.plat, 0, t0 + 100 * 999), 1);
	ck_assert_uint_eq(platform_pit_count(&vm.plat, 0, t0 + 100 * 1000), 1000); /* reloaded */
	vm.plat.pit[0].mode = 3;
	ck_assert_uint_eq(platform_pit_count(&vm.plat, 0, t0 + 100 * 10), 980);
	ck_assert_uint_eq(platform_pit_count(&vm.plat, 0, t0 + 100 * 10) & 1, 0);
	/* Channel 2 holds while its gate (port 0x61 bit 0) is low. */
	pit_out(0x43, 0xb0);
	pit_out(0x42, 0x34);
	pit_out(0x42, 0x12);
	ck_assert_uint_eq(vm.plat.pit[2].reload, 0x1234);
	ck_assert_uint_eq(platform_pit_count(&vm.plat, 2, UINT64_MAX / 2), 0x1234);
	/* A count of 0 is 65536. */
	pit_out(0x43, 0x34);
	pit_out(0x40, 0);
	pit_out(0x40, 0);
	ck_assert_uint_eq(vm.plat.pit[0].reload, 0x10000);
	/* PM timer: 24 bits at 3.579545 MHz, from 0 at the VM's power-on. */
	ck_assert_uint_eq(platform_pm_timer(&vm.plat, tsc_hz), 3579545);
	ck_assert_uint_eq(platform_pm_timer(&vm.plat, tsc_hz * 5), (5 * 3579545) & 0xffffff);
	platform_power_on(&vm.plat, tsc_hz * 7);
	ck_assert_uint_eq(platform_pm_timer(&vm.plat, tsc_hz * 7), 0);
	ck_assert_uint_eq(platform_pm_timer(&vm.plat, tsc_hz * 8), 3579545);
	ck_assert_uint_eq(platform_pm_timer(&vm.plat, tsc_hz * 12), (5 * 3579545) & 0xffffff);
}
END_TEST

/* Channel 0's OUT edges as IRQ 0: TSC = 100 x PIT ticks here. */
START_TEST(pit_irq0_edges)
{
	struct pit_channel *c = &vm.plat.pit[0];
	const uint64_t t0 = 1000000;

	setup();
	ck_assert_uint_eq(platform_pit_next_irq0(&vm.plat), UINT64_MAX); /* nothing loaded */
	c->mode = 2;
	c->reload = 1000;
	c->start = t0;
	ck_assert_uint_eq(platform_pit_next_irq0(&vm.plat), t0 + 100000);
	ck_assert(!platform_pit_irq0(&vm.plat, t0 + 99999));
	ck_assert(platform_pit_irq0(&vm.plat, t0 + 100000));
	ck_assert(!platform_pit_irq0(&vm.plat, t0 + 100001)); /* consumed */
	ck_assert_uint_eq(platform_pit_next_irq0(&vm.plat), t0 + 200000);
	/* Edges missed while the VM did not run come as one. */
	ck_assert(platform_pit_irq0(&vm.plat, t0 + 550000));
	ck_assert(!platform_pit_irq0(&vm.plat, t0 + 550000));
	ck_assert_uint_eq(platform_pit_next_irq0(&vm.plat), t0 + 600000);
	/* Mode 3 rises once per period too. */
	c->mode = 3;
	ck_assert(platform_pit_irq0(&vm.plat, t0 + 600000));
	ck_assert_uint_eq(platform_pit_next_irq0(&vm.plat), t0 + 700000);
	/* Mode 0: once, at terminal count. */
	c->mode = 0;
	c->edges = 0;
	ck_assert(!platform_pit_irq0(&vm.plat, t0 + 99999));
	ck_assert(platform_pit_irq0(&vm.plat, t0 + 100000));
	ck_assert_uint_eq(platform_pit_next_irq0(&vm.plat), UINT64_MAX);
	ck_assert(!platform_pit_irq0(&vm.plat, t0 + 10000000));
	/* Mode 4: when the strobe ends, one tick after terminal count. */
	c->mode = 4;
	c->edges = 0;
	ck_assert_uint_eq(platform_pit_next_irq0(&vm.plat), t0 + 100100);
	/* Mode 1 waits for a gate edge that channel 0 never gets. */
	c->mode = 1;
	c->edges = 0;
	ck_assert_uint_eq(platform_pit_next_irq0(&vm.plat), UINT64_MAX);
	/* Through the ports: a control word stops the count, loading starts it. */
	pit_out(0x43, 0x34);
	ck_assert_uint_eq(platform_pit_next_irq0(&vm.plat), UINT64_MAX);
	pit_out(0x40, 0x10);
	ck_assert_uint_eq(platform_pit_next_irq0(&vm.plat), UINT64_MAX); /* half loaded */
	pit_out(0x40, 0x00);
	ck_assert_uint_eq(c->reload, 0x10);
	ck_assert_uint_eq(platform_pit_next_irq0(&vm.plat), c->start + 0x10 * 100);
}
END_TEST

/* ---- memory map ---- */

static void misc_out(uint16_t port, uint32_t val)
{
	platform_misc_io(v, &vm.plat, port, 1, false, &val);
}

static uint32_t misc_in(uint16_t port)
{
	uint32_t val = 0;

	platform_misc_io(v, &vm.plat, port, 1, true, &val);
	return val;
}

/* 0xcf9 RST (bit 2), port A fast reset (bit 0), keyboard controller 0xfe:
 * each asks the VM for a reset (hv/vm/vm.c decides: restart or stop); the
 * other bits read back and reset nothing. */
/* MIN and MAX evaluate each argument once, also nested: the timer
 * arithmetic before each VM entry passes calls to them. */
static unsigned int calls;

static uint64_t counted(uint64_t val)
{
	calls++;
	return val;
}

START_TEST(min_max_evaluate_once)
{
	uint64_t now = 50, deadline = 100;

	ck_assert_uint_eq(MIN(deadline, MAX(counted(70), now)), 70);
	ck_assert_uint_eq(calls, 1);
	ck_assert_uint_eq(MIN(deadline, MAX(counted(UINT64_MAX), now)), 100);
	ck_assert_uint_eq(calls, 2);
	ck_assert_uint_eq(MAX(MIN(counted(3), 5u), MIN(counted(9), 7u)), 7);
	ck_assert_uint_eq(calls, 4);
	ck_assert_int_eq(MIN(-1, 2), -1); /* signed stays signed */
}
END_TEST

START_TEST(reset_ports)
{
	resets = 0;
	misc_out(0xcf9, 0x02);
	ck_assert_uint_eq(misc_in(0xcf9), 0x02);
	misc_out(0x92, 0x02);
	ck_assert_uint_eq(misc_in(0x92), 0x02);
	misc_out(0x64, 0xd1); /* another command */
	ck_assert_uint_eq(resets, 0);
	misc_out(0xcf9, 0x06);
	ck_assert_uint_eq(resets, 1);
	ck_assert_str_eq(reset_how, "port 0xcf9");
	misc_out(0x92, 0x03);
	ck_assert_uint_eq(resets, 2);
	ck_assert_str_eq(reset_how, "port 0x92");
	misc_out(0x64, 0xfe);
	ck_assert_uint_eq(resets, 3);
	ck_assert_str_eq(reset_how, "keyboard controller");
}
END_TEST

START_TEST(memmap_holes)
{
	struct memmap_entry m[MEMMAP_MAX];
	unsigned int n;

	memset(&vm, 0, sizeof(vm));
	vm.mem_bytes = 4ULL << 20;
	n = vm_memmap(&vm, m);
	ck_assert_uint_eq(n, 5);
	ck_assert(m[0].base == 0 && m[0].len == 0x9fc00 && m[0].type == MEMMAP_RAM);
	ck_assert(m[1].base == 0x9fc00 && m[1].type == MEMMAP_RESERVED);
	ck_assert(m[2].base == 0x100000 && m[2].len == 0x300000 && m[2].type == MEMMAP_RAM);
	ck_assert(m[3].base == IOAPIC_BASE && m[3].type == MEMMAP_RESERVED);
	ck_assert(m[4].base == APIC_DEFAULT_BASE && m[4].type == MEMMAP_RESERVED);

	vm.mem_bytes = 5ULL << 30;
	n = vm_memmap(&vm, m);
	ck_assert_uint_eq(n, 7);
	ck_assert(m[2].base == 0x100000 && m[2].base + m[2].len == IOAPIC_BASE);
	ck_assert(m[4].base == IOAPIC_BASE + 0x1000 && m[4].base + m[4].len == APIC_DEFAULT_BASE);
	ck_assert(m[6].base == APIC_DEFAULT_BASE + 0x1000 && m[6].base + m[6].len == 5ULL << 30);
	/* The holes are what vm_is_ram() refuses, nothing else. */
	for (unsigned int i = 0; i < n; i++)
		ck_assert(m[i].type != MEMMAP_RAM || vm_is_ram(&vm, m[i].base, m[i].len));
	ck_assert(!vm_is_ram(&vm, IOAPIC_BASE + 0x800, 4));
	ck_assert(!vm_is_ram(&vm, IOAPIC_BASE - 4, 8));
	ck_assert(!vm_is_ram(&vm, APIC_DEFAULT_BASE, 1));
}
END_TEST

Suite *platform_suite(void)
{
	Suite *s = suite_create("platform");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, bus_ranges);
	tcase_add_test(tc, ioapic_edge_level);
	tcase_add_test(tc, ioapic_routes_to_the_named_vcpu);
	tcase_add_test(tc, ioapic_no_such_pin);
	tcase_add_test(tc, pit_counts);
	tcase_add_test(tc, pit_irq0_edges);
	tcase_add_test(tc, min_max_evaluate_once);
	tcase_add_test(tc, reset_ports);
	tcase_add_test(tc, memmap_holes);
	suite_add_tcase(s, tc);
	return s;
}
