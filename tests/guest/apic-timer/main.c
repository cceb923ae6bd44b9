/* SPDX-License-Identifier: MIT */
/*
 * apic-timer: the three LVT timer modes (SDM Vol. 3A §11.5.4). One-shot
 * counts down and fires once; periodic reloads and fires again and again
 * until masked; TSC-deadline (shown in CPUID.1:ECX[24]) fires once the TSC
 * passes IA32_TSC_DEADLINE, which then reads 0, and a write of 0 disarms it.
 */
#include "apic.h"

const char test_title[] = "apic-timer: one-shot, periodic and TSC-deadline timer modes";

static uint64_t N;         /* timer ticks (divide by 1: TSC ticks), timer_ticks() */
#define MAX_WAIT (1000 * N) /* hang guard only */

DEFINE_ISR(0x40)
DEFINE_ISR(0x41)
DEFINE_ISR(0x42)

static void one_shot(void)
{
	uint32_t cur, cur2;

	apic_wr(APIC_LVT_TIMER, 0x40);
	apic_wr(APIC_TIMER_INIT, (uint32_t)N);
	cur = apic_rd(APIC_TIMER_CUR);
	cur2 = apic_rd(APIC_TIMER_CUR);
	gprintf("one-shot: initial %lu, current count read back %u, then %u\n", N, cur, cur2);
	EXPECT(cur <= N);
	EXPECT(cur2 <= cur && (cur2 < cur || cur == 0)); /* counts down */
	EXPECT_EQ(apic_rd(APIC_TIMER_INIT), N);
	EXPECT(wait_for(&irq_hits[0x40], 1, MAX_WAIT));
	EXPECT_EQ(apic_rd(APIC_TIMER_CUR), 0);
	spin_tsc(4 * N);
	EXPECT_EQ(irq_hits[0x40], 1); /* once only */
}

static void periodic(void)
{
	uint64_t seen;

	apic_wr(APIC_LVT_TIMER, 0x41 | LVT_PERIODIC);
	apic_wr(APIC_TIMER_INIT, (uint32_t)N);
	EXPECT(wait_for(&irq_hits[0x41], 3, MAX_WAIT));
	EXPECT(apic_rd(APIC_TIMER_CUR) > 0); /* reloaded after each period */
	gprintf("periodic: %lu interrupts\n", irq_hits[0x41]);
	apic_wr(APIC_LVT_TIMER, 0x41 | LVT_PERIODIC | LVT_MASKED);
	seen = irq_hits[0x41];
	spin_tsc(4 * N);
	EXPECT_EQ(irq_hits[0x41], seen); /* masked: counts on, delivers nothing */
	EXPECT(apic_rd(APIC_TIMER_CUR) > 0);
	apic_wr(APIC_TIMER_INIT, 0); /* stops it */
	EXPECT_EQ(apic_rd(APIC_TIMER_CUR), 0);
}

static void tsc_deadline(void)
{
	uint64_t dl;

	if (!(cpuid_reg(1, 2) & (1u << 24))) {
		test_fail("CPUID.1:ECX.TSC_DEADLINE not shown");
		return;
	}
	apic_wr(APIC_LVT_TIMER, 0x42 | LVT_DEADLINE);
	apic_wr(APIC_TIMER_INIT, 1000); /* ignored in this mode */
	EXPECT_EQ(apic_rd(APIC_TIMER_CUR), 0);
	/* Armed, then disarmed by writing 0: nothing fires. */
	wrmsr(MSR_TSC_DEADLINE, rdtsc() + N);
	wrmsr(MSR_TSC_DEADLINE, 0);
	spin_tsc(4 * N);
	EXPECT_EQ(irq_hits[0x42], 0);
	dl = rdtsc() + N;
	wrmsr(MSR_TSC_DEADLINE, dl);
	EXPECT_EQ(rdmsr(MSR_TSC_DEADLINE), dl);
	EXPECT(wait_for(&irq_hits[0x42], 1, MAX_WAIT));
	EXPECT(rdtsc() >= dl);
	EXPECT_EQ(rdmsr(MSR_TSC_DEADLINE), 0); /* fired: disarmed */
	spin_tsc(4 * N);
	EXPECT_EQ(irq_hits[0x42], 1);
	/* A deadline in the past fires at once. */
	wrmsr(MSR_TSC_DEADLINE, 1);
	EXPECT(wait_for(&irq_hits[0x42], 2, MAX_WAIT));
	gprintf("TSC-deadline: fired %lu times\n", irq_hits[0x42]);
	/* Leaving the mode disarms: back to one-shot, nothing pending. */
	wrmsr(MSR_TSC_DEADLINE, rdtsc() + N);
	apic_wr(APIC_LVT_TIMER, 0x42);
	spin_tsc(4 * N);
	EXPECT_EQ(irq_hits[0x42], 2);
}

void test_main(void)
{
	set_gate(0x40, isr_0x40);
	set_gate(0x41, isr_0x41);
	set_gate(0x42, isr_0x42);
	apic_wr(APIC_SVR, 0x1ff);
	apic_wr(APIC_TPR, 0);
	apic_wr(APIC_TIMER_DIV, 0xb); /* divide by 1 */
	N = timer_ticks();
	gprintf("timer period: %lu TSC ticks\n", N);
	asm volatile("sti");
	one_shot();
	periodic();
	tsc_deadline();
	asm volatile("cli");
}
