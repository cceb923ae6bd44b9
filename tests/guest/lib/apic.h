/* SPDX-License-Identifier: MIT */
/*
 * Local APIC helpers of the APIC test guests (tests/apic.cfg): registers
 * through the xAPIC page or the x2APIC MSRs, MSR accesses that may fault,
 * interrupt gates, and bounded waits. Register offsets: SDM Vol. 3A Table
 * 11-1; x2APIC MSR = 0x800 + offset / 16.
 */
#ifndef GUEST_APIC_H
#define GUEST_APIC_H

#include "hvtest.h"

#define APIC_DEFAULT 0xfee00000ULL
#define MSR_APIC_BASE 0x1b
#define MSR_TSC_DEADLINE 0x6e0
#define APIC_BASE_BSP (1ULL << 8)
#define APIC_BASE_EXTD (1ULL << 10)
#define APIC_BASE_EN (1ULL << 11)

#define APIC_ID 0x20
#define APIC_VERSION 0x30
#define APIC_TPR 0x80
#define APIC_EOI 0xb0
#define APIC_LDR 0xd0
#define APIC_DFR 0xe0
#define APIC_SVR 0xf0
#define APIC_IRR0 0x200
#define APIC_ESR 0x280
#define APIC_ICR 0x300
#define APIC_ICR_HIGH 0x310
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_ERROR 0x370
#define APIC_TIMER_INIT 0x380
#define APIC_TIMER_CUR 0x390
#define APIC_TIMER_DIV 0x3e0

#define LVT_MASKED (1u << 16)
#define LVT_PERIODIC (1u << 17)
#define LVT_DEADLINE (2u << 17)
#define ICR_SELF (1u << 18)
#define ICR_ALL (2u << 18)
#define ICR_OTHERS (3u << 18)
#define ICR_LOGICAL (1u << 11)
#define ICR_ASSERT (1u << 14)
#define ICR_LEVEL (1u << 15)
#define ICR_NMI (4u << 8)
#define ICR_INIT (5u << 8)
#define ICR_SIPI (6u << 8)

/* Where the xAPIC page is now (tests that relocate it change this). */
static volatile uint64_t apic_base_va = APIC_DEFAULT;

static inline uint32_t apic_rd(uint32_t off)
{
	return *(volatile uint32_t *)(apic_base_va + off);
}

static inline void apic_wr(uint32_t off, uint32_t val)
{
	*(volatile uint32_t *)(apic_base_va + off) = val;
}

static inline uint32_t mem32(uint64_t pa)
{
	return *(volatile uint32_t *)pa;
}

/* RDMSR/WRMSR that may fault: 0, or the exception vector + 1 (#GP: 14). */
static inline int rdmsr_safe(uint32_t msr, uint64_t *val)
{
	uint32_t lo = 0, hi = 0;
	uint64_t rc;

	asm volatile("xorl %%edi, %%edi\n"
		     "1: rdmsr\n"
		     "jmp 3f\n"
		     "2: movq %%rax, %%rdi\n"
		     "3:\n"
		     ".pushsection .ex_table, \"a\"\n"
		     ".quad 1b, 2b\n"
		     ".popsection"
		     : "=a"(lo), "=d"(hi), "=D"(rc)
		     : "c"(msr)
		     : "memory");
	*val = rc ? 0 : ((uint64_t)hi << 32) | lo;
	return (int)rc;
}

static inline int wrmsr_safe(uint32_t msr, uint64_t val)
{
	uint64_t rc;
	uint32_t lo = (uint32_t)val;

	asm volatile("xorl %%edi, %%edi\n"
		     "1: wrmsr\n"
		     "jmp 3f\n"
		     "2: movq %%rax, %%rdi\n"
		     "3:\n"
		     ".pushsection .ex_table, \"a\"\n"
		     ".quad 1b, 2b\n"
		     ".popsection"
		     : "=D"(rc), "+a"(lo)
		     : "c"(msr), "d"((uint32_t)(val >> 32))
		     : "memory");
	return (int)rc;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint64_t v;
	int rc = rdmsr_safe(msr, &v);

	if (rc)
		test_fail("RDMSR %#x: exception %d", msr, rc - 1);
	return v;
}

static inline void wrmsr(uint32_t msr, uint64_t val)
{
	int rc = wrmsr_safe(msr, val);

	if (rc)
		test_fail("WRMSR %#x <- %#lx: exception %d", msr, val, rc - 1);
}

#define GP 14 /* vector 13 + 1, as the *_safe helpers return it */

struct interrupt_frame;

/* Install handler (an __attribute__((interrupt)) function) as the
 * interrupt gate of vector vec in the runtime's IDT. */
static inline void set_gate(unsigned int vec, void (*handler)(struct interrupt_frame *))
{
	idt_set_gate(vec, (const void *)handler);
}

static inline uint32_t cpuid_reg(uint32_t leaf, int reg)
{
	uint32_t r[4];

	cpuid(leaf, &r[0], &r[1], &r[2], &r[3]);
	return r[reg];
}

/* Interrupt handlers that count their vector and EOI (xAPIC page or MSR). */
static volatile uint64_t irq_hits[256];
static volatile bool irq_x2apic;

static inline void apic_eoi(void)
{
	if (irq_x2apic)
		wrmsr(0x80b, 0);
	else
		apic_wr(APIC_EOI, 0);
}

#define DEFINE_ISR(vec)                                                          \
	__attribute__((interrupt)) static void isr_##vec(struct interrupt_frame *f) \
	{                                                                        \
		irq_hits[vec]++;                                                 \
		apic_eoi();                                                      \
	}

/* Spin (interrupts as they are) until *flag reaches want or about max_tsc
 * ticks passed; returns whether it did. A guard against a hang, not a
 * timed assertion: the bound is far above what any run needs. */
static inline bool wait_for(volatile uint64_t *flag, uint64_t want, uint64_t max_tsc)
{
	uint64_t t0 = rdtsc();

	while (*flag < want) {
		if (rdtsc() - t0 > max_tsc)
			return false;
		asm volatile("pause");
	}
	return true;
}

/*
 * A timer period long against the cost of an exit on this machine (Bochs
 * counts one TSC tick per instruction, QEMU/TCG runs the TSC at its host's
 * rate and an exit costs a lot of it): 200 APIC register reads, at least
 * 50,000 ticks. With a shorter period an interrupt handler that writes EOI
 * would take longer than the period, on any machine.
 */
static inline uint64_t timer_ticks(void)
{
	uint64_t t0 = rdtsc(), per;

	for (int i = 0; i < 8; i++)
		(void)apic_rd(APIC_VERSION);
	per = (rdtsc() - t0) / 8;
	return per * 200 < 50000 ? 50000 : per * 200;
}

/* Let at least ticks TSC ticks pass. */
static inline void spin_tsc(uint64_t ticks)
{
	uint64_t t0 = rdtsc();

	while (rdtsc() - t0 < ticks)
		asm volatile("pause");
}

#endif /* GUEST_APIC_H */
