/* SPDX-License-Identifier: MIT */
/* Unit tests: the local APIC model (hv/dev/lapic.c), both interfaces. */
#include "unit.h"
#include <asm/tsc.h>
#include <hv/vm/vcpu.h>
#include <string.h>

static struct vm vm;
static struct vcpu *v = &vm.vcpus[0];
static struct lapic *l = &vm.vcpus[0].lapic;

static void setup(void)
{
	memset(&vm, 0, sizeof(vm));
	vm.nr_vcpus = 1;
	v->vm = &vm;
	lapic_reset(l, 0);
}

static uint64_t mmio_rd(uint32_t off)
{
	uint64_t val = 0;

	ck_assert(lapic_mmio(v, 0xfee00000 + off, 4, false, &val));
	return val;
}

static void mmio_wr(uint32_t off, uint64_t val)
{
	ck_assert(lapic_mmio(v, 0xfee00000 + off, 4, true, &val));
}

START_TEST(xapic_at_reset)
{
	uint64_t base;

	ck_assert(lapic_msr_read(v, MSR_IA32_APIC_BASE, &base));
	ck_assert_uint_eq(base, 0xfee00900); /* enabled, BSP, xAPIC mode */
	ck_assert(lapic_mmio_owns(l, 0xfee00020));
	ck_assert(!lapic_mmio_owns(l, 0xfee01000));
	ck_assert_uint_eq(mmio_rd(0x30), 0x00050014); /* version */
	ck_assert(!lapic_msr_read(v, 0x803, &base));  /* x2APIC MSRs #GP in xAPIC mode */
	ck_assert(lapic_accepts_extint(l));           /* LINT0: virtual wire */
}
END_TEST

START_TEST(switch_to_x2apic)
{
	uint64_t val;

	ck_assert(lapic_msr_write(v, MSR_IA32_APIC_BASE, 0xfee00000 | (1 << 8) | (1 << 11) | (1 << 10)));
	ck_assert(!lapic_mmio_owns(l, 0xfee00020));
	ck_assert(lapic_msr_read(v, 0x803, &val));
	ck_assert_uint_eq(val, 0x00050014);
	/* x2APIC -> xAPIC is illegal (#GP); EXTD without EN too. */
	ck_assert(!lapic_msr_write(v, MSR_IA32_APIC_BASE, 0xfee00000 | (1 << 8) | (1 << 11)));
	ck_assert(!lapic_msr_write(v, MSR_IA32_APIC_BASE, 0xfee00000 | (1 << 10)));
}
END_TEST

START_TEST(priority_isr_and_eoi)
{
	mmio_wr(0xf0, 0x1ff); /* software enable, spurious vector 0xff */
	lapic_set_irr(l, 0x41);
	lapic_set_irr(l, 0x81);
	ck_assert_int_eq(lapic_pending(l), 0x81);
	lapic_ack(l, 0x81);
	ck_assert_int_eq(lapic_pending(l), -1); /* 0x41 is below the in-service class */
	mmio_wr(0xb0, 0);                        /* EOI */
	ck_assert_int_eq(lapic_pending(l), 0x41);
	mmio_wr(0x80, 0x50); /* TPR above 0x41's class */
	ck_assert_int_eq(lapic_pending(l), -1);
	mmio_wr(0x80, 0);
	ck_assert_int_eq(lapic_pending(l), 0x41);
	lapic_set_irr(l, 7); /* vectors below 16 are illegal: ignored */
	lapic_ack(l, 0x41);
	mmio_wr(0xb0, 0);
	ck_assert_int_eq(lapic_pending(l), -1);
}
END_TEST

/* What vcpu_irq_pending() answered before its shortcut for "nothing
 * requested": the APIC first, then the 8259 through LINT0. */
static int irq_pending_by_scan(bool *from_pic)
{
	int vec = lapic_pending(l);

	*from_pic = false;
	if (vec >= 0 || !lapic_accepts_extint(l))
		return vec;
	vec = pic_pending(&vm.pic);
	*from_pic = vec >= 0;
	return vec;
}

/* The shortcut answers as the scan does, with and without requests on
 * either controller, LINT0 as ExtINT or masked, the APIC on or off. */
START_TEST(irq_pending_shortcut)
{
	static const uint32_t svr[] = { 0xff, 0x1ff };
	static const uint32_t lint0[] = { 7u << 8, 1u << 16 };

	for (unsigned int i = 0; i < 64; i++) {
		bool from_pic, ref_from_pic;
		int ref;

		setup();
		pic_reset(&vm.pic);
		vm.pic.chip[0].base = 0x30;
		vm.pic.chip[0].imr = i & 1 ? 0 : 0xff;
		mmio_wr(0xf0, svr[(i >> 1) & 1]);
		mmio_wr(0x350, lint0[(i >> 2) & 1]);
		if (i & 8)
			pic_set_irq(&vm.pic, 4, true);
		if (i & 16)
			lapic_set_irr(l, 0x61);
		if (i & 32)
			ck_assert(lapic_msr_write(v, MSR_IA32_APIC_BASE, 0xfee00000 | (1 << 8)));
		ref = irq_pending_by_scan(&ref_from_pic);
		ck_assert_int_eq(vcpu_irq_pending(v, &from_pic), ref);
		ck_assert_int_eq(from_pic, ref_from_pic);
	}
}
END_TEST

START_TEST(tsc_deadline_timer)
{
	uint64_t now = rdtsc_now();

	mmio_wr(0xf0, 0x1ff);
	mmio_wr(0x320, 0xec | (2u << 17)); /* LVT timer: vector 0xec, TSC-deadline */
	ck_assert(lapic_msr_write(v, MSR_IA32_TSC_DEADLINE, now + 1000000));
	ck_assert_uint_eq(lapic_next_event(l), now + 1000000);
	lapic_tick(l, now + 999999);
	ck_assert_int_eq(lapic_pending(l), -1);
	lapic_tick(l, now + 1000000);
	ck_assert_int_eq(lapic_pending(l), 0xec);
	ck_assert_uint_eq(lapic_next_event(l), UINT64_MAX); /* one shot */
	/* Masked timer: fires, delivers nothing. */
	lapic_ack(l, 0xec);
	mmio_wr(0xb0, 0);
	mmio_wr(0x320, 0xec | (2u << 17) | (1u << 16));
	ck_assert(lapic_msr_write(v, MSR_IA32_TSC_DEADLINE, now + 5));
	lapic_tick(l, now + 10);
	ck_assert_int_eq(lapic_pending(l), -1);
}
END_TEST

START_TEST(periodic_timer_skips_missed_periods)
{
	uint64_t first;

	mmio_wr(0xf0, 0x1ff);
	mmio_wr(0x3e0, 0xb);                 /* divide by 1 */
	mmio_wr(0x320, 0x30 | (1u << 17));   /* periodic */
	mmio_wr(0x380, 1000);                /* initial count */
	first = lapic_next_event(l);
	lapic_tick(l, first + 3500);         /* 3.5 periods late */
	ck_assert_int_eq(lapic_pending(l), 0x30);
	ck_assert_uint_eq(lapic_next_event(l), first + 4000);
}
END_TEST

START_TEST(self_ipi_and_soft_disable)
{
	mmio_wr(0xf0, 0x1ff);
	mmio_wr(0x310, 0);                    /* destination: ourselves */
	mmio_wr(0x300, 0x4099 & ~0x4000);     /* fixed, vector 0x99 */
	ck_assert_int_eq(lapic_pending(l), 0x99);
	mmio_wr(0xf0, 0xff);                  /* software disable masks every LVT */
	ck_assert_uint_eq(mmio_rd(0x350) & (1u << 16), 1u << 16);
	ck_assert_int_eq(lapic_pending(l), -1);
	ck_assert(!lapic_mmio(v, 0xfee00021, 4, false, &(uint64_t){ 0 })); /* misaligned */
}
END_TEST

START_TEST(global_disable_and_relocation)
{
	uint64_t base;

	vm.mem_bytes = 16 << 20;
	mmio_wr(0xf0, 0x1ff);
	mmio_wr(0x80, 0x30);
	lapic_set_irr(l, 0x99);
	/* Disable: no registers in the page, no interrupts, state lost. */
	ck_assert(lapic_msr_write(v, MSR_IA32_APIC_BASE, 0xfee00000 | (1 << 8)));
	ck_assert(!lapic_enabled(l));
	ck_assert(!lapic_mmio_owns(l, 0xfee00030));
	ck_assert_int_eq(lapic_pending(l), -1);
	ck_assert(lapic_accepts_extint(l));
	/* disabled -> x2APIC: #GP; reserved bits: #GP. */
	ck_assert(!lapic_msr_write(v, MSR_IA32_APIC_BASE, 0xfee00000 | (1 << 11) | (1 << 10)));
	ck_assert(!lapic_msr_write(v, MSR_IA32_APIC_BASE, 0xfee00000 | (1 << 11) | (1 << 9)));
	/* Re-enabled somewhere else, in the power-up state (software disabled). */
	ck_assert(lapic_msr_write(v, MSR_IA32_APIC_BASE, 0xfed00000 | (1 << 11)));
	ck_assert(lapic_msr_read(v, MSR_IA32_APIC_BASE, &base));
	ck_assert_uint_eq(base, 0xfed00900);
	ck_assert(lapic_mmio_owns(l, 0xfed00080));
	ck_assert(!lapic_mmio_owns(l, 0xfee00080));
	ck_assert(lapic_mmio(v, 0xfed00080, 4, false, &base));
	ck_assert_uint_eq(base, 0);                        /* TPR lost */
	ck_assert(lapic_mmio(v, 0xfed000f0, 4, false, &base));
	ck_assert_uint_eq(base, 0xff);                     /* SVR: software disabled */
	ck_assert_uint_eq(l->irr[2], 0);
	/* Not over RAM. */
	ck_assert(!lapic_msr_write(v, MSR_IA32_APIC_BASE, 0x100000 | (1 << 11)));
	/* x2APIC from xAPIC, then disabled from x2APIC: both legal. */
	ck_assert(lapic_msr_write(v, MSR_IA32_APIC_BASE, 0xfed00000 | (1 << 11) | (1 << 10)));
	ck_assert(lapic_msr_read(v, 0x80d, &base));
	ck_assert_uint_eq(base, 1);                        /* x2APIC LDR of ID 0 */
	ck_assert(lapic_msr_write(v, MSR_IA32_APIC_BASE, 0xfed00000));
	ck_assert(!lapic_enabled(l));
}
END_TEST

START_TEST(ipis_nmi_init_sipi)
{
	uint64_t val = 0;

	mmio_wr(0xf0, 0x1ff);
	mmio_wr(0x300, (2u << 18) | 0x61);    /* all including self, fixed */
	ck_assert_int_eq(lapic_pending(l), 0x61);
	lapic_ack(l, 0x61);
	mmio_wr(0xb0, 0);
	mmio_wr(0x300, (3u << 18) | 0x62);    /* all excluding self: nobody */
	ck_assert_int_eq(lapic_pending(l), -1);
	mmio_wr(0x310, 0x01000000);           /* physical destination 1: not us */
	mmio_wr(0x300, 0x63);
	ck_assert_int_eq(lapic_pending(l), -1);
	mmio_wr(0xd0, 0x01000000);            /* logical ID bit 0, flat model */
	mmio_wr(0x300, (1u << 11) | 0x64);    /* logical destination 0x01 */
	ck_assert_int_eq(lapic_pending(l), 0x64);
	lapic_ack(l, 0x64);
	mmio_wr(0xb0, 0);
	mmio_wr(0x300, (1u << 18) | 0x05);    /* illegal vector: ESR bit 5 */
	ck_assert_int_eq(lapic_pending(l), -1);
	mmio_wr(0x280, 0);
	ck_assert_uint_eq(mmio_rd(0x280), 0x20); /* the write publishes it */
	mmio_wr(0x280, 0);
	ck_assert_uint_eq(mmio_rd(0x280), 0);    /* back to back: cleared */
	mmio_wr(0x310, 0);
	mmio_wr(0x300, (4u << 8) | (1u << 14)); /* NMI to our ID */
	ck_assert(lapic_nmi_pending(l));
	lapic_nmi_ack(l);
	ck_assert(!lapic_nmi_pending(l));
	mmio_wr(0x300, (1u << 18) | (4u << 8)); /* NMI by the self shorthand: illegal, ignored */
	ck_assert(!lapic_nmi_pending(l));
	mmio_wr(0x300, (6u << 8) | 0x10);     /* SIPI while running: ignored */
	ck_assert(!l->sipi_received && !l->init_received);
	mmio_wr(0x300, (5u << 8) | (1u << 15)); /* INIT level de-assert: no-op */
	ck_assert(!l->init_received);
	mmio_wr(0x300, (5u << 8) | (1u << 14)); /* INIT */
	ck_assert(l->init_received);
	mmio_wr(0x300, (6u << 8) | 0x10);     /* SIPI: recorded with its vector */
	ck_assert(l->sipi_received);
	ck_assert_uint_eq(l->sipi_vector, 0x10);
	l->init_received = l->sipi_received = false;
	mmio_wr(0x300, (5u << 8) | (1u << 14));
	mmio_wr(0x300, (6u << 8) | 0xa0);     /* a vector the MP spec reserves: taken */
	ck_assert(l->sipi_received);
	ck_assert_uint_eq(l->sipi_vector, 0xa0);
	/* Byte reads inside a register; byte writes dropped. */
	mmio_wr(0x80, 0x5a);
	ck_assert(lapic_mmio(v, 0xfee00080, 1, false, &val));
	ck_assert_uint_eq(val, 0x5a);
	val = 0x11;
	ck_assert(lapic_mmio(v, 0xfee00080, 1, true, &val));
	ck_assert_uint_eq(mmio_rd(0x80), 0x5a);
	ck_assert(!lapic_mmio(v, 0xfee00080, 8, false, &val));
}
END_TEST

/* A VM of n vCPUs, each APIC software-enabled, flat logical ID bit c. */
static void vcpus_up(unsigned int n)
{
	vm.nr_vcpus = n;
	for (unsigned int c = 0; c < n; c++) {
		vm.vcpus[c].vm = &vm;
		vm.vcpus[c].id = c;
		lapic_reset(&vm.vcpus[c].lapic, c);
		vm.vcpus[c].lapic.svr = 0x1ff;
		vm.vcpus[c].lapic.ldr = (1u << c) << 24;
	}
}

static unsigned int irr_of(unsigned int c, uint8_t vec)
{
	return !!(vm.vcpus[c].lapic.irr[vec / 64] & (1ULL << (vec % 64)));
}

/* Lowest priority is one interrupt for one vCPU of the set (SDM
 * §11.6.2.4): the one at the lowest task priority that accepts it. A
 * storm of them (tests/guest/ipi-storm) gave it to every vCPU named. */
START_TEST(lowest_priority_ipi_to_one)
{
	vcpus_up(3);
	mmio_wr(0x310, 0x06000000);                       /* logical 1|2 */
	mmio_wr(0x300, (1u << 11) | (1u << 8) | 0x61);
	ck_assert_uint_eq(irr_of(0, 0x61) + irr_of(1, 0x61) + irr_of(2, 0x61), 1);
	ck_assert(irr_of(1, 0x61));                       /* a tie: the lowest ID */
	vm.vcpus[1].lapic.tpr = 0x20;                      /* vCPU 1 busier */
	mmio_wr(0x300, (1u << 11) | (1u << 8) | 0x62);
	ck_assert(irr_of(2, 0x62) && !irr_of(1, 0x62) && !irr_of(0, 0x62));
	mmio_wr(0x300, (3u << 18) | (1u << 8) | 0x63);    /* all excluding self */
	ck_assert_uint_eq(irr_of(0, 0x63) + irr_of(1, 0x63) + irr_of(2, 0x63), 1);
	ck_assert(irr_of(2, 0x63));
	vm.vcpus[2].lapic.svr = 0xff;                      /* software disabled: passed over */
	mmio_wr(0x300, (1u << 11) | (1u << 8) | 0x64);
	ck_assert(irr_of(1, 0x64) && !irr_of(2, 0x64));
	vm.vcpus[1].lapic.svr = 0xff;                      /* nobody left to take it */
	mmio_wr(0x300, (1u << 11) | (1u << 8) | 0x65);
	ck_assert_uint_eq(irr_of(0, 0x65) + irr_of(1, 0x65) + irr_of(2, 0x65), 0);
	vm.vcpus[1].lapic.svr = vm.vcpus[2].lapic.svr = 0x1ff;
	mmio_wr(0x300, (1u << 11) | 0x66);                /* fixed: every one named */
	ck_assert(irr_of(1, 0x66) && irr_of(2, 0x66) && !irr_of(0, 0x66));
}
END_TEST

/*
 * The ESR as software reads it (SDM §11.5.3): write it, then read the
 * errors since the write before; LVT Error, when unmasked, raises one
 * interrupt until an ESR write rearms it. A guest that wrote the ESR
 * before reading it (tests/guest/ipi-bad), as the SDM asks, read 0 after
 * an illegal vector, and never got an error interrupt.
 */
START_TEST(esr_write_publishes_errors)
{
	uint64_t val;

	mmio_wr(0xf0, 0x1ff);
	mmio_wr(0x370, 0x7e);                 /* LVT Error: vector 0x7e */
	mmio_wr(0x280, 0);
	mmio_wr(0x300, (1u << 18) | 0x05);    /* illegal vector */
	ck_assert_uint_eq(mmio_rd(0x280), 0); /* not before the next write */
	ck_assert_int_eq(lapic_pending(l), 0x7e);
	lapic_ack(l, 0x7e);
	mmio_wr(0xb0, 0);
	mmio_wr(0x300, (1u << 18) | 0x06);    /* a second error: no interrupt yet */
	ck_assert_int_eq(lapic_pending(l), -1);
	mmio_wr(0x280, 0);                    /* publishes and rearms */
	ck_assert_uint_eq(mmio_rd(0x280), 0x20);
	ck_assert_uint_eq(mmio_rd(0x280), 0x20); /* reads do not clear */
	mmio_wr(0x300, (1u << 18) | 0x07);
	ck_assert_int_eq(lapic_pending(l), 0x7e);
	lapic_ack(l, 0x7e);
	mmio_wr(0xb0, 0);
	/* Masked: collected all the same, no interrupt. */
	mmio_wr(0x280, 0);
	mmio_wr(0x370, 0x1007e);
	mmio_wr(0x300, (1u << 18) | 0x08);
	ck_assert_int_eq(lapic_pending(l), -1);
	mmio_wr(0x280, 0);
	ck_assert_uint_eq(mmio_rd(0x280), 0x20);
	/* x2APIC: SELF IPI with an illegal vector; only 0 may be written. */
	ck_assert(lapic_msr_write(v, MSR_IA32_APIC_BASE, 0xfee00000 | (1 << 8) | (1 << 11) | (1 << 10)));
	ck_assert(lapic_msr_write(v, 0x828, 0));
	ck_assert(lapic_msr_write(v, 0x83f, 0x09));
	ck_assert(!lapic_msr_write(v, 0x828, 1));          /* #GP, nothing published */
	ck_assert(lapic_msr_read(v, 0x828, &val));
	ck_assert_uint_eq(val, 0);
	ck_assert(lapic_msr_write(v, 0x828, 0));
	ck_assert(lapic_msr_read(v, 0x828, &val));
	ck_assert_uint_eq(val, 0x20);
}
END_TEST

START_TEST(x2apic_msrs)
{
	uint64_t val;

	ck_assert(lapic_msr_write(v, MSR_IA32_APIC_BASE, 0xfee00000 | (1 << 8) | (1 << 11) | (1 << 10)));
	ck_assert(lapic_msr_write(v, 0x80f, 0x1ff));
	ck_assert(lapic_msr_write(v, 0x83f, 0x70));       /* SELF IPI */
	ck_assert_int_eq(lapic_pending(l), 0x70);
	ck_assert(!lapic_msr_write(v, 0x83f, 0x170));     /* reserved bits: #GP */
	ck_assert(!lapic_msr_read(v, 0x83f, &val));       /* write-only */
	ck_assert(!lapic_msr_write(v, 0x80b, 1));         /* EOI must be 0 */
	ck_assert(lapic_msr_write(v, 0x80b, 0));
	ck_assert(!lapic_msr_write(v, 0x831, 0));         /* no ICR high in x2APIC */
	ck_assert(!lapic_msr_write(v, 0x802, 0));         /* ID read-only */
	ck_assert(!lapic_msr_write(v, 0x80d, 0));         /* LDR read-only */
	ck_assert(lapic_msr_write(v, 0x830, 0x71));       /* ICR, physical dest 0 = us */
	ck_assert_int_eq(lapic_pending(l), 0x71);
	ck_assert(lapic_msr_write(v, 0x830, (1ULL << 32) | 0x72)); /* dest 1: not us */
	ck_assert_uint_eq(l->irr[1] & (1ULL << (0x72 - 64)), 0);
	/* One 64-bit register: it reads back whole; a #GP write changes nothing. */
	ck_assert(lapic_msr_read(v, 0x830, &val));
	ck_assert_uint_eq(val, (1ULL << 32) | 0x72);
	ck_assert(!lapic_msr_write(v, 0x830, (2ULL << 32) | (1u << 13) | 0x72));
	ck_assert(lapic_msr_read(v, 0x830, &val));
	ck_assert_uint_eq(val, (1ULL << 32) | 0x72);
}
END_TEST

START_TEST(timer_modes)
{
	uint64_t now, val;

	mmio_wr(0xf0, 0x1ff);
	mmio_wr(0x3e0, 0xb);                  /* divide by 1 */
	mmio_wr(0x320, 0x40);                 /* one-shot */
	mmio_wr(0x380, 1000000);
	now = rdtsc_now();
	ck_assert(lapic_next_event(l) > now && lapic_next_event(l) <= now + 1000000);
	val = mmio_rd(0x390);
	ck_assert(val > 0 && val <= 1000000);
	lapic_tick(l, lapic_next_event(l));
	ck_assert_int_eq(lapic_pending(l), 0x40);
	ck_assert_uint_eq(lapic_next_event(l), UINT64_MAX); /* one shot only */
	ck_assert_uint_eq(mmio_rd(0x390), 0);
	/* TSC-deadline mode: the initial count is ignored, the MSR arms it. */
	mmio_wr(0x320, 0x41 | (2u << 17));
	mmio_wr(0x380, 5);
	ck_assert_uint_eq(mmio_rd(0x380), 1000000);
	ck_assert_uint_eq(lapic_next_event(l), UINT64_MAX);
	ck_assert(lapic_msr_write(v, MSR_IA32_TSC_DEADLINE, 12345));
	ck_assert(lapic_msr_read(v, MSR_IA32_TSC_DEADLINE, &val));
	ck_assert_uint_eq(val, 12345);
	lapic_tick(l, 12345);
	ck_assert(lapic_msr_read(v, MSR_IA32_TSC_DEADLINE, &val));
	ck_assert_uint_eq(val, 0);            /* fired: disarmed */
	ck_assert_uint_eq(l->irr[1] & (1ULL << 1), 1ULL << 1);
}
END_TEST

Suite *lapic_suite(void)
{
	Suite *s = suite_create("lapic");
	TCase *t = tcase_create("model");

	tcase_add_checked_fixture(t, setup, NULL);
	tcase_add_test(t, xapic_at_reset);
	tcase_add_test(t, switch_to_x2apic);
	tcase_add_test(t, priority_isr_and_eoi);
	tcase_add_test(t, irq_pending_shortcut);
	tcase_add_test(t, tsc_deadline_timer);
	tcase_add_test(t, periodic_timer_skips_missed_periods);
	tcase_add_test(t, self_ipi_and_soft_disable);
	tcase_add_test(t, global_disable_and_relocation);
	tcase_add_test(t, ipis_nmi_init_sipi);
	tcase_add_test(t, lowest_priority_ipi_to_one);
	tcase_add_test(t, esr_write_publishes_errors);
	tcase_add_test(t, x2apic_msrs);
	tcase_add_test(t, timer_modes);
	suite_add_tcase(s, t);
	return s;
}
