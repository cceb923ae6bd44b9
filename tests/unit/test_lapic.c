/* SPDX-License-Identifier: MIT */
/* Unit tests: the local APIC model (hv/dev/lapic.c), both interfaces. */
#include "unit.h"
#include <asm/tsc.h>
#include <hv/vcpu.h>
#include <string.h>

static struct vm vm;
static struct vcpu *v = &vm.vcpu;
static struct lapic *l = &vm.vcpu.lapic;

static void setup(void)
{
	memset(&vm, 0, sizeof(vm));
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
	/* Leaving x2APIC mode or moving the base is not emulated: #GP. */
	ck_assert(!lapic_msr_write(v, MSR_IA32_APIC_BASE, 0xfee00000 | (1 << 8) | (1 << 11)));
	ck_assert(!lapic_msr_write(v, MSR_IA32_APIC_BASE, 0xfed00000 | (1 << 11) | (1 << 10)));
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

Suite *lapic_suite(void)
{
	Suite *s = suite_create("lapic");
	TCase *t = tcase_create("model");

	tcase_add_checked_fixture(t, setup, NULL);
	tcase_add_test(t, xapic_at_reset);
	tcase_add_test(t, switch_to_x2apic);
	tcase_add_test(t, priority_isr_and_eoi);
	tcase_add_test(t, tsc_deadline_timer);
	tcase_add_test(t, periodic_timer_skips_missed_periods);
	tcase_add_test(t, self_ipi_and_soft_disable);
	suite_add_tcase(s, t);
	return s;
}
