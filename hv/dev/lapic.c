/* SPDX-License-Identifier: MIT */
/*
 * x2APIC emulation (see lapic.h). Register numbers are the xAPIC MMIO
 * offsets >> 4 (SDM Table 11-6). Runs on MSR exits and before VM entries.
 */
#include <asm/tsc.h>
#include <hv/dev/lapic.h>
#include <hv/vcpu.h>
#include <string.h>

#define APIC_BASE_BSP (1ULL << 8)
#define APIC_BASE_EXTD (1ULL << 10)
#define APIC_BASE_EN (1ULL << 11)

#define REG_ID 0x02
#define REG_VERSION 0x03
#define REG_TPR 0x08
#define REG_PPR 0x0a
#define REG_EOI 0x0b
#define REG_LDR 0x0d
#define REG_DFR 0x0e
#define REG_SVR 0x0f
#define REG_ISR0 0x10
#define REG_TMR0 0x18
#define REG_IRR0 0x20
#define REG_ESR 0x28
#define REG_LVT_CMCI 0x2f
#define REG_ICR 0x30
#define REG_LVT_TIMER 0x32
#define REG_LVT_ERROR 0x37
#define REG_TIMER_INITIAL 0x38
#define REG_TIMER_CURRENT 0x39
#define REG_TIMER_DIVIDE 0x3e
#define REG_SELF_IPI 0x3f

#define LVT_MASKED (1u << 16)
#define LVT_TIMER_MODE(v) (((v) >> 17) & 3)
#define TIMER_ONESHOT 0
#define TIMER_PERIODIC 1
#define TIMER_DEADLINE 2
#define DM_EXTINT (7u << 8)
#define SVR_ENABLE (1u << 8)

enum { LVT_CMCI, LVT_TIMER, LVT_THERMAL, LVT_PMC, LVT_LINT0, LVT_LINT1, LVT_ERROR };

static int highest(const uint64_t *bm)
{
	for (int w = 3; w >= 0; w--)
		if (bm[w])
			return w * 64 + 63 - __builtin_clzll(bm[w]);
	return -1;
}

void lapic_reset(struct lapic *l, uint32_t apic_id)
{
	memset(l, 0, sizeof(*l));
	/* xAPIC mode, as firmware leaves it: Linux 6.1 without ACPI cannot start
	 * with x2APIC already on (its MP-table path reads the APIC ID through
	 * the xAPIC page before it picks an x2APIC driver). */
	l->apic_base = APIC_DEFAULT_BASE | APIC_BASE_BSP | APIC_BASE_EN;
	l->dfr = 0xffffffff;
	l->svr = 0xff;
	for (int i = 0; i < 7; i++)
		l->lvt[i] = LVT_MASKED;
	/* As firmware leaves it: virtual-wire mode, 8259 through LINT0. */
	l->lvt[LVT_LINT0] = DM_EXTINT;
}

static uint32_t ppr(const struct lapic *l)
{
	int isr = highest(l->isr);
	uint32_t isrv = isr < 0 ? 0 : (uint32_t)isr & 0xf0;

	return (l->tpr & 0xf0) >= isrv ? l->tpr & 0xff : isrv;
}

int lapic_pending(const struct lapic *l)
{
	int v = highest(l->irr);

	if (v < 0 || !(l->svr & SVR_ENABLE))
		return -1;
	return ((uint32_t)v & 0xf0) > (ppr(l) & 0xf0) ? v : -1;
}

void lapic_set_irr(struct lapic *l, uint8_t vector)
{
	if (vector >= 16)
		l->irr[vector / 64] |= 1ULL << (vector % 64);
}

void lapic_deliver(struct lapic *l, uint8_t vector, bool level)
{
	if (vector < 16)
		return;
	if (level)
		l->tmr[vector / 64] |= 1ULL << (vector % 64);
	else
		l->tmr[vector / 64] &= ~(1ULL << (vector % 64));
	lapic_set_irr(l, vector);
}

void lapic_ack(struct lapic *l, uint8_t vector)
{
	l->irr[vector / 64] &= ~(1ULL << (vector % 64));
	l->isr[vector / 64] |= 1ULL << (vector % 64);
}

bool lapic_accepts_extint(const struct lapic *l)
{
	return (l->lvt[LVT_LINT0] & (LVT_MASKED | (7u << 8))) == DM_EXTINT ||
	       !(l->svr & SVR_ENABLE); /* software-disabled APIC: PIC goes straight through */
}

/* Timer divide configuration → divisor (SDM Figure 11-10). */
static uint64_t divisor(uint32_t d)
{
	uint32_t code = ((d >> 1) & 4) | (d & 3);

	return code == 7 ? 1 : 2ULL << code;
}

/* The emulated APIC timer counts at the TSC rate divided by the divisor. */
static void arm_count(struct lapic *l, uint64_t now)
{
	uint32_t mode = LVT_TIMER_MODE(l->lvt[LVT_TIMER]);

	l->period = 0;
	l->deadline = 0;
	if (mode == TIMER_DEADLINE || !l->timer_initial)
		return;
	l->period = (uint64_t)l->timer_initial * divisor(l->timer_divide);
	l->deadline = now + l->period;
	if (mode != TIMER_PERIODIC)
		l->period = 0;
}

void lapic_tick(struct lapic *l, uint64_t now)
{
	if (!l->deadline || now < l->deadline)
		return;
	l->timer_fired++;
	if (!(l->lvt[LVT_TIMER] & LVT_MASKED))
		lapic_set_irr(l, (uint8_t)l->lvt[LVT_TIMER]);
	if (l->period) {
		/* Skip missed periods rather than firing a burst. */
		uint64_t late = now - l->deadline;

		l->deadline += l->period * (1 + late / l->period);
	} else {
		l->deadline = 0;
	}
}

uint64_t lapic_next_event(const struct lapic *l)
{
	return l->deadline ? l->deadline : UINT64_MAX;
}

static void eoi(struct vcpu *vc)
{
	struct lapic *l = &vc->lapic;
	int v = highest(l->isr);

	if (v < 0)
		return;
	l->isr[v / 64] &= ~(1ULL << (v % 64));
	if (l->tmr[v / 64] & (1ULL << (v % 64))) {
		/* Level-triggered: EOI broadcast to the I/O APIC (SVR bit 12,
		 * suppress EOI broadcast, is not offered). */
		l->tmr[v / 64] &= ~(1ULL << (v % 64));
		ioapic_eoi(&vc->vm->ioapic, vc, (uint8_t)v);
	}
}

static bool x2apic(const struct lapic *l)
{
	return (l->apic_base & (APIC_BASE_EN | APIC_BASE_EXTD)) == (APIC_BASE_EN | APIC_BASE_EXTD);
}

/* Register reg (xAPIC offset >> 4) as both interfaces share it. */
static bool reg_read(struct vcpu *v, uint32_t reg, uint64_t *val)
{
	struct lapic *l = &v->lapic;

	if (reg >= REG_ISR0 && reg < REG_ISR0 + 8) {
		*val = (uint32_t)(l->isr[(reg - REG_ISR0) / 2] >> (32 * ((reg - REG_ISR0) % 2)));
		return true;
	}
	if (reg >= REG_TMR0 && reg < REG_TMR0 + 8) {
		*val = (uint32_t)(l->tmr[(reg - REG_TMR0) / 2] >> (32 * ((reg - REG_TMR0) % 2)));
		return true;
	}
	if (reg >= REG_IRR0 && reg < REG_IRR0 + 8) {
		*val = (uint32_t)(l->irr[(reg - REG_IRR0) / 2] >> (32 * ((reg - REG_IRR0) % 2)));
		return true;
	}
	if (reg >= REG_LVT_CMCI && reg <= REG_LVT_ERROR && reg != REG_ICR && reg != REG_ICR + 1) {
		*val = l->lvt[reg == REG_LVT_CMCI ? LVT_CMCI : reg - REG_LVT_TIMER + LVT_TIMER];
		return true;
	}
	switch (reg) {
	case REG_ID:
		*val = x2apic(l) ? v->id : v->id << 24;
		return true;
	case REG_VERSION:
		*val = 0x00050014; /* version 0x14, 6 LVT entries */
		return true;
	case REG_TPR:
		*val = l->tpr;
		return true;
	case REG_PPR:
		*val = ppr(l);
		return true;
	case REG_LDR:
		*val = l->ldr;
		return true;
	case REG_SVR:
		*val = l->svr;
		return true;
	case REG_ESR:
		*val = l->esr;
		return true;
	case REG_ICR:
		*val = l->icr_low;
		return true;
	case REG_ICR + 1:
		*val = x2apic(l) ? 0 : l->icr_high;
		return x2apic(l) ? false : true;
	case REG_DFR:
		*val = x2apic(l) ? 0 : l->dfr;
		return !x2apic(l);
	case REG_TIMER_INITIAL:
		*val = l->timer_initial;
		return true;
	case REG_TIMER_CURRENT: {
		uint64_t now = rdtsc_now(), d = divisor(l->timer_divide);

		*val = l->deadline > now && LVT_TIMER_MODE(l->lvt[LVT_TIMER]) != TIMER_DEADLINE
			       ? MIN((l->deadline - now) / d, 0xffffffffULL)
			       : 0;
		return true;
	}
	case REG_TIMER_DIVIDE:
		*val = l->timer_divide;
		return true;
	default:
		return false; /* reserved or write-only (EOI, SELF IPI): #GP */
	}
}

static bool reg_write(struct vcpu *v, uint32_t reg, uint64_t val)
{
	struct lapic *l = &v->lapic;

	if (reg >= REG_LVT_CMCI && reg <= REG_LVT_ERROR && reg != REG_ICR && reg != REG_ICR + 1) {
		unsigned int i = reg == REG_LVT_CMCI ? LVT_CMCI : reg - REG_LVT_TIMER + LVT_TIMER;
		uint32_t old = l->lvt[i];

		l->lvt[i] = (uint32_t)val & (i == LVT_TIMER ? 0x700ff : 0x1a7ff);
		if (!(l->svr & SVR_ENABLE))
			l->lvt[i] |= LVT_MASKED;
		if (i == LVT_TIMER && LVT_TIMER_MODE(old) != LVT_TIMER_MODE(l->lvt[i])) {
			l->deadline = 0; /* mode change disarms (SDM §11.5.4.1) */
			l->period = 0;
		}
		return true;
	}
	switch (reg) {
	case REG_TPR:
		l->tpr = (uint32_t)val & 0xff;
		return true;
	case REG_EOI:
		eoi(v);
		return true;
	case REG_SVR:
		l->svr = (uint32_t)val & 0x1ff;
		if (!(l->svr & SVR_ENABLE))
			for (int i = 0; i < 7; i++)
				l->lvt[i] |= LVT_MASKED;
		return true;
	case REG_ESR:
		l->esr = 0;
		return true;
	case REG_ICR: {
		/* Fixed interrupts to ourselves (self shorthand or our ID). */
		uint32_t dest = x2apic(l) ? (uint32_t)(val >> 32) : l->icr_high >> 24;

		l->icr_low = (uint32_t)val & ~(1u << 12); /* delivered at once: never pending */
		if (((val >> 18) & 3) == 1 || (((val >> 18) & 3) == 0 && dest == v->id)) {
			if (((val >> 8) & 7) == 0)
				lapic_set_irr(l, (uint8_t)val);
		}
		return true;
	}
	case REG_ICR + 1:
		if (x2apic(l))
			return false;
		l->icr_high = (uint32_t)val & 0xff000000;
		return true;
	case REG_LDR:
		if (x2apic(l))
			return false;
		l->ldr = (uint32_t)val & 0xff000000;
		return true;
	case REG_DFR:
		if (x2apic(l))
			return false;
		l->dfr = (uint32_t)val | 0x0fffffff;
		return true;
	case REG_ID:
		return !x2apic(l); /* writable in xAPIC mode; we keep the ID */
	case REG_TIMER_INITIAL:
		l->timer_initial = (uint32_t)val;
		arm_count(l, rdtsc_now());
		return true;
	case REG_TIMER_DIVIDE:
		l->timer_divide = (uint32_t)val & 0xb;
		return true;
	case REG_SELF_IPI:
		if (!x2apic(l))
			return false;
		lapic_set_irr(l, (uint8_t)val);
		return true;
	default:
		return false;
	}
}

bool lapic_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	struct lapic *l = &v->lapic;

	if (msr == MSR_IA32_APIC_BASE) {
		*val = l->apic_base;
		return true;
	}
	if (msr == MSR_IA32_TSC_DEADLINE) {
		*val = LVT_TIMER_MODE(l->lvt[LVT_TIMER]) == TIMER_DEADLINE ? l->deadline : 0;
		return true;
	}
	if (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST || !x2apic(l))
		return false;
	if (msr - MSR_X2APIC_FIRST == REG_ICR) {
		*val = l->icr_low;
		return true;
	}
	return reg_read(v, msr - MSR_X2APIC_FIRST, val);
}

bool lapic_msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
	struct lapic *l = &v->lapic;

	if (msr == MSR_IA32_APIC_BASE) {
		uint64_t mode = val & (APIC_BASE_EN | APIC_BASE_EXTD);

		/* xAPIC -> x2APIC is allowed; leaving x2APIC or disabling is not emulated. */
		if ((val & ~(APIC_BASE_EN | APIC_BASE_EXTD | APIC_BASE_BSP)) != APIC_DEFAULT_BASE ||
		    !(mode & APIC_BASE_EN) || (x2apic(l) && mode != (APIC_BASE_EN | APIC_BASE_EXTD)))
			return false;
		if (mode & APIC_BASE_EXTD && !x2apic(l))
			l->ldr = v->id; /* x2APIC LDR is derived from the ID */
		l->apic_base = (l->apic_base & ~(APIC_BASE_EN | APIC_BASE_EXTD)) | mode;
		return true;
	}
	if (msr == MSR_IA32_TSC_DEADLINE) {
		if (LVT_TIMER_MODE(l->lvt[LVT_TIMER]) == TIMER_DEADLINE)
			l->deadline = val;
		return true;
	}
	if (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST || !x2apic(l))
		return false;
	return reg_write(v, msr - MSR_X2APIC_FIRST, val);
}

bool lapic_mmio_owns(const struct lapic *l, uint64_t gpa)
{
	return (l->apic_base & APIC_BASE_EN) && !(l->apic_base & APIC_BASE_EXTD) &&
	       (gpa & ~0xfffULL) == (l->apic_base & ~0xfffULL);
}

bool lapic_mmio(struct vcpu *v, uint64_t gpa, unsigned int size, bool write, uint64_t *val)
{
	uint32_t off = (uint32_t)(gpa & 0xfff);

	/* Registers are 32 bits wide on 16-byte boundaries (SDM §11.4.1). */
	if (size != 4 || (off & 0xf))
		return false;
	if (write)
		return reg_write(v, off >> 4, *val & 0xffffffff) || true; /* writes to junk: ignored */
	if (!reg_read(v, off >> 4, val))
		*val = 0;
	return true;
}

uint8_t lapic_tpr(const struct lapic *l)
{
	return (uint8_t)l->tpr;
}

void lapic_set_tpr(struct lapic *l, uint8_t tpr)
{
	l->tpr = tpr;
}
