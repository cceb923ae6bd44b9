/* SPDX-License-Identifier: MIT */
/*
 * The host's local APIC: the one-shot timer of the SVM time slice and the
 * IPIs that start other CPUs (see host_timer.h). Register offsets and
 * the x2APIC MSR mapping: SDM Vol. 3A §11.4.1 table 11-1, §11.5.4 (timer),
 * §11.12.1. BSP, boot time and the SVM run loop.
 */
#include <asm/cpu.h>
#include <asm/host_timer.h>
#include <asm/pcpu.h>
#include <asm/trap.h>
#include <asm/tsc.h>
#include <base/console.h>

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_EN (1ULL << 11)
#define APIC_BASE_X2 (1ULL << 10)
#define APIC_ID 0x20
#define APIC_EOI 0xb0
#define APIC_ICR 0x300
#define APIC_ICR2 0x310
#define ICR_PENDING (1u << 12)
#define APIC_SVR 0xf0
#define APIC_SVR_ENABLE (1u << 8)
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_MASKED (1u << 16)
#define APIC_TIMER_INIT 0x380
#define APIC_TIMER_CUR 0x390
#define APIC_TIMER_DIV 0x3e0
#define APIC_DIV_1 0xb
#define PIC1_DATA 0x21
#define PIC2_DATA 0xa1

extern void host_timer_stub(void);
extern void host_spurious_stub(void);
extern void host_kick_stub(void);

/* The state of this CPU's timer is in its struct pcpu (apic_mmio,
 * apic_per_tsc, timer_irqs). */

static uint32_t apic_read(uint32_t reg)
{
	volatile uint32_t *mmio = this_cpu()->apic_mmio;

	return mmio ? mmio[reg / 4] : (uint32_t)rdmsr(0x800 + (reg >> 4));
}

static void apic_write(uint32_t reg, uint32_t val)
{
	volatile uint32_t *mmio = this_cpu()->apic_mmio;

	if (mmio)
		mmio[reg / 4] = val;
	else
		wrmsr(0x800 + (reg >> 4), val);
}

void host_apic_acked(uint8_t vector)
{
	if (vector == HOST_SPURIOUS_VECTOR)
		return;
	if (vector == HOST_KICK_VECTOR)
		this_cpu()->kicks++;
	else if (vector == HOST_TIMER_VECTOR)
		this_cpu()->timer_irqs++;
	apic_write(APIC_EOI, 0);
}

/* Enable this CPU's local APIC (as firmware left it: xAPIC or x2APIC) and
 * its spurious vector; the 8259s stay masked. false without an APIC. */
bool host_apic_init(void)
{
	struct pcpu *p = this_cpu();
	uint64_t base = rdmsr(MSR_APIC_BASE);

	if (!(cpuid(1, 0).edx & (1u << 9)))
		return false;
	if (!(base & APIC_BASE_EN)) {
		base |= APIC_BASE_EN;
		wrmsr(MSR_APIC_BASE, base);
	}
	/* Identity-mapped by paging_init (below 4 GiB). */
	p->apic_mmio = base & APIC_BASE_X2 ? NULL : (volatile uint32_t *)(uintptr_t)(base & 0xfffff000ULL);
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
	cpu_set_irq_gate(HOST_SPURIOUS_VECTOR, host_spurious_stub);
	cpu_set_irq_gate(HOST_KICK_VECTOR, host_kick_stub);
	apic_write(APIC_SVR, APIC_SVR_ENABLE | HOST_SPURIOUS_VECTOR);
	return true;
}

uint32_t host_apic_id(void)
{
	uint32_t id = apic_read(APIC_ID);

	return this_cpu()->apic_mmio ? id >> 24 : id;
}

void host_apic_ipi(uint32_t apic_id, uint32_t icr)
{
	struct pcpu *p = this_cpu();

	if (!p->apic_mmio) {
		wrmsr(0x830, (uint64_t)apic_id << 32 | icr); /* x2APIC ICR, SDM §11.12.9 */
		return;
	}
	p->apic_mmio[APIC_ICR2 / 4] = apic_id << 24;
	p->apic_mmio[APIC_ICR / 4] = icr;
	for (unsigned int i = 0; i < 100000 && (p->apic_mmio[APIC_ICR / 4] & ICR_PENDING); i++)
		cpu_relax();
}

/* Another CPU's timer: the same bus clock as the boot CPU's, calibrated
 * there. */
void host_timer_cpu_init(uint64_t apic_per_tsc)
{
	struct pcpu *p = this_cpu();

	p->apic_per_tsc = apic_per_tsc;
	cpu_set_irq_gate(HOST_TIMER_VECTOR, host_timer_stub);
	apic_write(APIC_TIMER_DIV, APIC_DIV_1);
	apic_write(APIC_TIMER_INIT, 0);
	apic_write(APIC_LVT_TIMER, HOST_TIMER_VECTOR); /* one-shot, unmasked */
}

int host_timer_init(void)
{
	struct pcpu *p = this_cpu();
	uint64_t t0, t1;
	uint32_t c0, c1;

	/* Nothing but our timer may interrupt: the 8259s stay masked. */
	if (!host_apic_init())
		return -1;
	cpu_set_irq_gate(HOST_TIMER_VECTOR, host_timer_stub);
	apic_write(APIC_TIMER_DIV, APIC_DIV_1);
	apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | HOST_TIMER_VECTOR);

	/* Calibrate over 2 ms of TSC time, counting down from the top. */
	apic_write(APIC_TIMER_INIT, 0xffffffff);
	c0 = apic_read(APIC_TIMER_CUR);
	t0 = rdtsc();
	while ((t1 = rdtsc()) - t0 < tsc_hz / 500)
		cpu_relax();
	c1 = apic_read(APIC_TIMER_CUR);
	apic_write(APIC_TIMER_INIT, 0);
	if (c1 >= c0)
		return -1; /* the timer does not count */
	p->apic_per_tsc = ((uint64_t)(c0 - c1) << 32) / (t1 - t0);
	apic_write(APIC_LVT_TIMER, HOST_TIMER_VECTOR); /* one-shot, unmasked */
	printk("host timer: local APIC (%s), %lu kHz\n", p->apic_mmio ? "xAPIC" : "x2APIC",
	       (uint64_t)((p->apic_per_tsc * (tsc_hz / 1000)) >> 32));
	return 0;
}

void host_timer_arm(uint64_t tsc_ticks)
{
	uint64_t count = (uint64_t)(((unsigned __int128)tsc_ticks * this_cpu()->apic_per_tsc) >> 32);

	apic_write(APIC_TIMER_INIT, (uint32_t)MIN(MAX(count, 1ULL), 0xffffffffULL));
}

void host_timer_stop(void)
{
	apic_write(APIC_TIMER_INIT, 0);
}
