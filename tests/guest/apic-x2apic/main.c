/* SPDX-License-Identifier: MIT */
/*
 * apic-x2apic: the guest switches its APIC to x2APIC mode at run time (SDM
 * Vol. 3A §11.12). The registers keep their values and move to MSRs 0x800+,
 * the xAPIC page is gone, the ID is 32 bits and the logical ID derived from
 * it, SELF IPI and the 64-bit ICR deliver (the ICR reads back whole), and
 * the illegal accesses and mode transitions raise #GP without an effect. x2APIC -> disabled -> xAPIC is the way back.
 */
#include "apic.h"

const char test_title[] = "apic-x2apic: run-time switch to x2APIC mode and back through disabled";

#define MAX_WAIT 2000000000ULL

DEFINE_ISR(0x70)
DEFINE_ISR(0x71)
DEFINE_ISR(0x72)

void test_main(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE), v, period;
	uint32_t version = apic_rd(APIC_VERSION);

	set_gate(0x70, isr_0x70);
	set_gate(0x71, isr_0x71);
	set_gate(0x72, isr_0x72);
	if (!(cpuid_reg(1, 2) & (1u << 21)))
		test_end(TEST_FAILURE, "CPUID.1:ECX.x2APIC not shown");
	EXPECT_EQ(rdmsr_safe(0x803, &v), GP); /* x2APIC MSRs #GP in xAPIC mode */
	apic_wr(APIC_SVR, 0x1ff);
	apic_wr(APIC_TPR, 0x20);
	apic_wr(APIC_LVT_TIMER, 0x72 | LVT_MASKED);

	EXPECT_EQ(wrmsr_safe(MSR_APIC_BASE, (base & ~APIC_BASE_EN) | APIC_BASE_EXTD), GP);
	wrmsr(MSR_APIC_BASE, base | APIC_BASE_EXTD);
	irq_x2apic = true;
	EXPECT_EQ(rdmsr(MSR_APIC_BASE), base | APIC_BASE_EXTD);
	/* The same registers, through MSRs. */
	EXPECT_EQ(rdmsr(0x803), version);
	EXPECT_EQ(rdmsr(0x808), 0x20);           /* TPR kept */
	EXPECT_EQ(rdmsr(0x80f), 0x1ff);          /* SVR kept */
	EXPECT_EQ(rdmsr(0x832), 0x72 | LVT_MASKED);
	EXPECT_EQ(rdmsr(0x802), 0);              /* 32-bit x2APIC ID */
	EXPECT_EQ(rdmsr(0x80d), 1);              /* LDR: cluster 0, bit 0 */
	/* The xAPIC page is gone. */
	EXPECT_EQ(mem32(APIC_DEFAULT + APIC_VERSION), 0xffffffff);
	/* Illegal accesses. */
	EXPECT_EQ(rdmsr_safe(0x83f, &v), GP);         /* SELF IPI is write-only */
	EXPECT_EQ(rdmsr_safe(0x80b, &v), GP);         /* EOI is write-only */
	EXPECT_EQ(rdmsr_safe(0x831, &v), GP);         /* no ICR high half */
	EXPECT_EQ(rdmsr_safe(0x80e, &v), GP);         /* no DFR */
	EXPECT_EQ(wrmsr_safe(0x802, 5), GP);          /* ID read-only */
	EXPECT_EQ(wrmsr_safe(0x80d, 5), GP);          /* LDR read-only */
	EXPECT_EQ(wrmsr_safe(0x80b, 1), GP);          /* EOI: non-zero */
	EXPECT_EQ(wrmsr_safe(0x83f, 0x170), GP);      /* SELF IPI: reserved bits */
	EXPECT_EQ(wrmsr_safe(MSR_APIC_BASE, base), GP); /* x2APIC -> xAPIC */
	EXPECT_EQ(wrmsr_safe(MSR_APIC_BASE, (base & ~APIC_BASE_EN) | APIC_BASE_EXTD), GP);

	/* Self-IPIs: SELF IPI and the ICR with our 32-bit ID. */
	wrmsr(0x808, 0);
	asm volatile("sti");
	wrmsr(0x83f, 0x70);
	EXPECT(wait_for(&irq_hits[0x70], 1, MAX_WAIT));
	wrmsr(0x830, 0x71);                           /* fixed, physical, destination 0 */
	EXPECT(wait_for(&irq_hits[0x71], 1, MAX_WAIT));
	wrmsr(0x830, (1ULL << 32) | 0x71);            /* destination 1: not us */
	/* The ICR is one 64-bit register (SDM §11.12.9): it reads back as
	 * written; a write with a reserved bit raises #GP and changes nothing. */
	EXPECT_EQ(rdmsr(0x830), (1ULL << 32) | 0x71);
	EXPECT_EQ(wrmsr_safe(0x830, (2ULL << 32) | (1u << 13) | 0x71), GP);
	EXPECT_EQ(rdmsr(0x830), (1ULL << 32) | 0x71);
	/* The timer through MSRs. */
	wrmsr(0x83e, 0xb);
	wrmsr(0x832, 0x72);
	period = timer_ticks();
	wrmsr(0x838, (uint32_t)period);
	/* The hang guard scales with the period, as in apic-timer: the period
	 * is sized from the cost of an exit, which a loaded host raises. */
	EXPECT(wait_for(&irq_hits[0x72], 1, MAX_WAIT + 1000 * period));
	spin_tsc(100000);
	EXPECT_EQ(irq_hits[0x71], 1);
	asm volatile("cli");
	gprintf("x2APIC: SELF IPI %lu, ICR %lu, timer %lu\n", irq_hits[0x70], irq_hits[0x71],
		irq_hits[0x72]);

	/* Back: x2APIC -> disabled -> xAPIC, in the power-up state. */
	wrmsr(MSR_APIC_BASE, base & ~APIC_BASE_EN);
	irq_x2apic = false;
	EXPECT_EQ(rdmsr_safe(0x803, &v), GP);
	wrmsr(MSR_APIC_BASE, base);
	EXPECT_EQ(apic_rd(APIC_VERSION), version);
	EXPECT_EQ(apic_rd(APIC_SVR), 0xff);
	EXPECT_EQ(apic_rd(APIC_ID), 0);
}
