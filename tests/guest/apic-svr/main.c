/* SPDX-License-Identifier: MIT */
/*
 * apic-svr: software disable through the spurious-interrupt vector
 * register (SDM Vol. 3A §11.4.7.2). Clearing SVR[8] masks every LVT entry
 * and keeps a pending interrupt in the IRR undelivered; setting it again
 * delivers it, but leaves the LVT entries masked until software unmasks
 * them; while disabled, LVT writes cannot unmask.
 */
#include "apic.h"

const char test_title[] = "apic-svr: software disable masks delivery, enable restores it";

static uint64_t N;
#define MAX_WAIT (1000 * N)

DEFINE_ISR(0x50)
DEFINE_ISR(0x51)

static bool irr_has(unsigned int vec)
{
	return apic_rd(APIC_IRR0 + 0x10 * (vec / 32)) & (1u << (vec % 32));
}

void test_main(void)
{
	set_gate(0x50, isr_0x50);
	set_gate(0x51, isr_0x51);
	apic_wr(APIC_SVR, 0x1ff);
	apic_wr(APIC_TIMER_DIV, 0xb);
	N = timer_ticks();
	apic_wr(APIC_LVT_TIMER, 0x51 | LVT_PERIODIC);
	apic_wr(APIC_LVT_ERROR, 0xfe);
	EXPECT_EQ(apic_rd(APIC_LVT_TIMER) & LVT_MASKED, 0);

	/* A self-IPI while interrupts are off waits in the IRR. */
	apic_wr(APIC_ICR, ICR_SELF | 0x50);
	EXPECT(irr_has(0x50));
	/* Software disable: every LVT masked, the pending vector held back. */
	apic_wr(APIC_SVR, 0xff);
	EXPECT_EQ(apic_rd(APIC_SVR), 0xff);
	EXPECT_EQ(apic_rd(APIC_LVT_TIMER) & LVT_MASKED, LVT_MASKED);
	EXPECT_EQ(apic_rd(APIC_LVT_ERROR) & LVT_MASKED, LVT_MASKED);
	apic_wr(APIC_LVT_TIMER, 0x51 | LVT_PERIODIC); /* cannot unmask now */
	EXPECT_EQ(apic_rd(APIC_LVT_TIMER) & LVT_MASKED, LVT_MASKED);
	apic_wr(APIC_TIMER_INIT, (uint32_t)N);
	asm volatile("sti");
	spin_tsc(4 * N);
	EXPECT_EQ(irq_hits[0x50], 0);
	EXPECT_EQ(irq_hits[0x51], 0);
	EXPECT(irr_has(0x50));
	gprintf("disabled: IRR holds 0x50, nothing delivered\n");

	/* Enable again: the held vector is delivered; the LVTs stay masked. */
	apic_wr(APIC_SVR, 0x1ff);
	EXPECT(wait_for(&irq_hits[0x50], 1, MAX_WAIT));
	EXPECT_EQ(irq_hits[0x50], 1);
	EXPECT_EQ(apic_rd(APIC_LVT_TIMER) & LVT_MASKED, LVT_MASKED);
	spin_tsc(4 * N);
	EXPECT_EQ(irq_hits[0x51], 0);
	/* Unmasked by software: the timer delivers again. */
	apic_wr(APIC_LVT_TIMER, 0x51 | LVT_PERIODIC);
	EXPECT(wait_for(&irq_hits[0x51], 2, MAX_WAIT));
	apic_wr(APIC_TIMER_INIT, 0);
	gprintf("enabled: 0x50 delivered once, timer %lu times after unmasking\n", irq_hits[0x51]);
	asm volatile("cli");
}
