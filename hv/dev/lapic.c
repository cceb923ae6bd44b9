/* SPDX-License-Identifier: MIT */
/*
 * Local APIC emulation (see lapic.h). Register numbers are the xAPIC MMIO
 * offsets >> 4 (SDM Table 11-6). Runs on MSR and MMIO exits and before VM
 * entries. Modes and their transitions: SDM Vol. 3A §11.4.3 (global
 * disable), §11.12.5 (x2APIC state transitions, Figure 11-27).
 */
#include <asm/tsc.h>
#include <hv/dev/lapic.h>
#include <hv/vm/vcpu.h>
#include <hv/vm/vm.h>
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
#define ESR_SEND_ILLEGAL (1u << 5)
/* IA32_APIC_BASE bits that must be 0: 0-7, 9, and 48-63 (we do not look up
 * the CPU's MAXPHYADDR; a base above it is unreachable for the guest). */
#define APIC_BASE_RESERVED (0xffULL | (1ULL << 9) | (0xffffULL << 48))

enum { LVT_CMCI, LVT_TIMER, LVT_THERMAL, LVT_PMC, LVT_LINT0, LVT_LINT1, LVT_ERROR };

static int highest(const uint64_t *bm)
{
	for (int w = 3; w >= 0; w--)
		if (bm[w])
			return w * 64 + 63 - __builtin_clzll(bm[w]);
	return -1;
}

/* The register state of power-up and of a re-enable after a global disable
 * (SDM §11.4.7.1): software disabled, every LVT masked; the counters stay. */
static void power_up_state(struct lapic *l)
{
	l->tpr = l->esr = l->esr_new = l->ldr = l->icr_low = l->icr_high = 0;
	l->error_irq_sent = false;
	l->dfr = 0xffffffff;
	l->svr = 0xff;
	for (int i = 0; i < 7; i++)
		l->lvt[i] = LVT_MASKED;
	l->timer_initial = l->timer_divide = 0;
	l->deadline = l->period = 0;
	memset(l->irr, 0, sizeof(l->irr));
	memset(l->isr, 0, sizeof(l->isr));
	memset(l->tmr, 0, sizeof(l->tmr));
	l->nmi_pending = false;
}

void lapic_reset(struct lapic *l, uint32_t apic_id)
{
	memset(l, 0, sizeof(*l));
	power_up_state(l);
	/* xAPIC mode, as firmware leaves it: Linux 6.1 without ACPI cannot start
	 * with x2APIC already on (its MP-table path reads the APIC ID through
	 * the xAPIC page before it picks an x2APIC driver). */
	l->apic_base = APIC_DEFAULT_BASE | APIC_BASE_BSP | APIC_BASE_EN;
	/* As firmware leaves it: virtual-wire mode, 8259 through LINT0. */
	l->lvt[LVT_LINT0] = DM_EXTINT;
}

bool lapic_enabled(const struct lapic *l)
{
	return l->apic_base & APIC_BASE_EN;
}

uint8_t lapic_get_tpr(const struct lapic *l)
{
	return (uint8_t)l->tpr;
}

void lapic_set_tpr(struct lapic *l, uint8_t tpr)
{
	l->tpr = tpr;
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

	if (v < 0 || !(l->svr & SVR_ENABLE) || !lapic_enabled(l))
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
	if (vector < 16 || !lapic_enabled(l) || !(l->svr & SVR_ENABLE))
		return; /* a disabled APIC accepts no fixed interrupts */
	lapic_set_irr(l, vector);
	if (level)
		l->tmr[vector / 64] |= 1ULL << (vector % 64);
	else
		l->tmr[vector / 64] &= ~(1ULL << (vector % 64));
}

void lapic_nmi_ack(struct lapic *l)
{
	l->nmi_pending = false;
	l->nmis++;
}

void lapic_ack(struct lapic *l, uint8_t vector)
{
	l->irr[vector / 64] &= ~(1ULL << (vector % 64));
	l->isr[vector / 64] |= 1ULL << (vector % 64);
}

void lapic_unack(struct lapic *l, uint8_t vector)
{
	l->isr[vector / 64] &= ~(1ULL << (vector % 64));
	l->irr[vector / 64] |= 1ULL << (vector % 64);
}

void lapic_nmi_unack(struct lapic *l)
{
	l->nmi_pending = true;
	l->nmis--;
}

bool lapic_accepts_extint(const struct lapic *l)
{
	/* A disabled APIC (globally or by software): the PIC goes straight through. */
	return (l->lvt[LVT_LINT0] & (LVT_MASKED | (7u << 8))) == DM_EXTINT ||
	       !(l->svr & SVR_ENABLE) || !lapic_enabled(l);
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

static void eoi(struct vcpu *vc, struct lapic *l)
{
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

/*
 * An error the APIC detected (SDM Vol. 3A §11.5.3): collected at once and
 * readable in the ESR after the next write to it, which publishes the
 * errors since the write before (back-to-back writes clear it); and, if
 * LVT Error is unmasked (errors are collected whatever the mask), one
 * error interrupt, not another until an ESR write rearms it.
 */
static void apic_error(struct lapic *l, uint32_t bit)
{
	l->esr_new |= bit;
	if (!(l->lvt[LVT_ERROR] & LVT_MASKED) && !l->error_irq_sent) {
		l->error_irq_sent = true;
		lapic_set_irr(l, (uint8_t)l->lvt[LVT_ERROR]);
	}
}

static bool x2apic(const struct lapic *l)
{
	return (l->apic_base & (APIC_BASE_EN | APIC_BASE_EXTD)) == (APIC_BASE_EN | APIC_BASE_EXTD);
}

/* Does the IPI destination dest (physical or logical) name this APIC? */
bool lapic_match_dest(const struct vcpu *v, uint32_t dest, bool logical)
{
	const struct lapic *l = &v->lapic;

	if (x2apic(l)) {
		if (dest == 0xffffffff)
			return true;
		if (!logical)
			return dest == v->id;
		return (dest >> 16) == (l->ldr >> 16) && (dest & l->ldr & 0xffff);
	}
	dest &= 0xff;
	if (dest == 0xff)
		return true;
	if (!logical)
		return dest == v->id;
	if ((l->dfr >> 28) == 0xf) /* flat model */
		return (l->ldr >> 24) & dest;
	return (dest >> 4) == (l->ldr >> 28) && (dest & (l->ldr >> 24) & 0xf); /* cluster */
}

/* Does the ICR's destination (low: its low word) name vCPU t? */
static bool ipi_target(const struct vcpu *v, const struct vcpu *t, uint32_t low, uint32_t dest)
{
	switch ((low >> 18) & 3) {
	case 0:
		return lapic_match_dest(t, dest, low & (1u << 11));
	case 1:
		return t == v && ((low >> 8) & 7) == 0; /* self: fixed only */
	case 2:
		return true;
	default:
		return t != v;
	}
}

struct vcpu *lapic_lower_priority(struct vcpu *best, struct vcpu *t)
{
	const struct lapic *tl = &t->lapic;

	if (!lapic_enabled(tl) || !(tl->svr & SVR_ENABLE))
		return best;
	return !best || (tl->tpr & 0xf0) < (best->lapic.tpr & 0xf0) ? t : best;
}

/* The vCPU a lowest-priority IPI goes to, of those its destination names;
 * NULL: none of them accepts it. */
static struct vcpu *lowest_priority(struct vcpu *v, uint32_t low, uint32_t dest)
{
	struct vm *vm = v->vm;
	struct vcpu *best = NULL;

	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		if (ipi_target(v, &vm->vcpus[i], low, dest))
			best = lapic_lower_priority(best, &vm->vcpus[i]);
	return best;
}

/*
 * An IPI this vCPU sends (SDM §11.6.1) to the vCPUs of its VM that the
 * destination names. Fixed: the vector, to every one named; lowest
 * priority: to one of them (lowest_priority()). NMI: a pending NMI. INIT
 * (assert): the vCPU enters wait-for-SIPI. SIPI: recognized only in
 * wait-for-SIPI, once. The self shorthand is for fixed interrupts only;
 * INIT level de-assert, SMI and ExtINT IPIs are ignored. Another vCPU is
 * kicked to take the event at once.
 */
static void send_ipi(struct vcpu *v, struct lapic *l, uint32_t low, uint32_t dest)
{
	uint32_t mode = (low >> 8) & 7;
	struct vcpu *lowest = NULL;
	struct vm *vm = v->vm;

	if (mode <= 1 && (uint8_t)low < 16) {
		apic_error(l, ESR_SEND_ILLEGAL); /* and nothing is sent */
		return;
	}
	if (mode == 1 && !(lowest = lowest_priority(v, low, dest)))
		return;
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *t = &vm->vcpus[i];
		struct lapic *tl = &t->lapic;

		if (!ipi_target(v, t, low, dest) || (lowest && t != lowest))
			continue;
		switch (mode) {
		case 0: /* fixed */
		case 1: /* lowest priority: lowest alone */
			lapic_deliver(tl, (uint8_t)low, false);
			break;
		case 4: /* NMI */
			tl->nmi_pending = true;
			break;
		case 5: /* INIT; level de-assert (level 0, trigger level) is a no-op */
			if ((low & (1u << 14)) || !(low & (1u << 15)))
				tl->init_received = true;
			break;
		case 6: /* SIPI, any vector (0xA0-0xBF: docs/platform.md) */
			if (tl->init_received && !tl->sipi_received) {
				tl->sipi_received = true;
				tl->sipi_vector = (uint8_t)low;
			}
			tl->sipis++;
			break;
		default:
			continue;
		}
		if (t != v)
			vcpu_kick(t);
	}
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

		uint64_t left = 0;

		if (LVT_TIMER_MODE(l->lvt[LVT_TIMER]) == TIMER_DEADLINE || !l->deadline)
			left = 0;
		else if (l->deadline > now)
			left = l->deadline - now;
		else if (l->period) /* periodic, not ticked yet: it has reloaded */
			left = l->period - (now - l->deadline) % l->period;
		*val = MIN(left / d, 0xffffffffULL);
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
		if (x2apic(l) && val)
			return false; /* x2APIC: a non-zero EOI write raises #GP */
		eoi(v, l);
		return true;
	case REG_SVR:
		l->svr = (uint32_t)val & 0x1ff;
		if (!(l->svr & SVR_ENABLE))
			for (int i = 0; i < 7; i++)
				l->lvt[i] |= LVT_MASKED;
		return true;
	case REG_ESR:
		if (x2apic(l) && val)
			return false; /* x2APIC: only 0 may be written (SDM Table 11-6) */
		l->esr = l->esr_new;
		l->esr_new = 0;
		l->error_irq_sent = false;
		return true;
	case REG_ICR:
		if (x2apic(l)) {
			if (val & 0xfff32000ULL)
				return false; /* reserved bits of the x2APIC ICR: #GP, no change */
			l->icr_high = (uint32_t)(val >> 32);
		}
		l->icr_low = (uint32_t)val & ~(1u << 12); /* delivered at once: never pending */
		send_ipi(v, l, l->icr_low, x2apic(l) ? l->icr_high : l->icr_high >> 24);
		return true;
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
		if (LVT_TIMER_MODE(l->lvt[LVT_TIMER]) == TIMER_DEADLINE)
			return true; /* ignored in TSC-deadline mode (SDM §11.5.4.1) */
		l->timer_initial = (uint32_t)val;
		arm_count(l, rdtsc_now());
		return true;
	case REG_TIMER_DIVIDE:
		l->timer_divide = (uint32_t)val & 0xb;
		return true;
	case REG_SELF_IPI:
		if (!x2apic(l) || (val & ~0xffULL))
			return false;
		if ((uint8_t)val < 16)
			apic_error(l, ESR_SEND_ILLEGAL);
		else
			lapic_deliver(l, (uint8_t)val, false);
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
	if (msr - MSR_X2APIC_FIRST == REG_ICR) { /* one 64-bit register (SDM §11.12.9) */
		*val = l->icr_low | (uint64_t)l->icr_high << 32;
		return true;
	}
	return reg_read(v, msr - MSR_X2APIC_FIRST, val);
}

/*
 * WRMSR IA32_APIC_BASE. States: disabled (EN 0, EXTD 0), xAPIC (EN 1),
 * x2APIC (EN 1, EXTD 1). Allowed: disabled -> xAPIC, xAPIC -> x2APIC, and
 * any -> disabled; #GP for EXTD without EN, x2APIC -> xAPIC, disabled ->
 * x2APIC and reserved bits (SDM §11.12.5). A global disable loses the
 * register state (a re-enable finds the power-up state). The base may move
 * to any page that is not guest RAM (RAM behind the APIC is not emulated:
 * #GP); the BSP bit is read-only.
 */
static bool apic_base_write(struct vcpu *v, uint64_t val)
{
	struct lapic *l = &v->lapic;
	uint64_t mode = val & (APIC_BASE_EN | APIC_BASE_EXTD);
	uint64_t old = l->apic_base & (APIC_BASE_EN | APIC_BASE_EXTD);
	uint64_t base = val & ~0xfffULL & ~APIC_BASE_RESERVED;

	if ((val & APIC_BASE_RESERVED) || mode == APIC_BASE_EXTD)
		return false;
	if (old == (APIC_BASE_EN | APIC_BASE_EXTD) && mode == APIC_BASE_EN)
		return false; /* x2APIC -> xAPIC */
	if (!old && mode == (APIC_BASE_EN | APIC_BASE_EXTD))
		return false; /* disabled -> x2APIC */
	if (vm_is_ram(v->vm, base, PAGE_SIZE))
		return false; /* over guest RAM (the default page never is: ABI §8) */
	if (!mode && old)
		power_up_state(l);
	if (mode == (APIC_BASE_EN | APIC_BASE_EXTD) && old == APIC_BASE_EN) {
		/* x2APIC logical ID: cluster in 31:16, one bit of 15:0 (§11.12.10.2). */
		l->ldr = ((v->id >> 4) << 16) | (1u << (v->id & 15));
	}
	l->apic_base = base | (l->apic_base & APIC_BASE_BSP) | mode;
	return true;
}

bool lapic_msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
	struct lapic *l = &v->lapic;

	if (msr == MSR_IA32_APIC_BASE)
		return apic_base_write(v, val);
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

	/* Registers are 32 bits wide on 16-byte boundaries (SDM §11.4.1); other
	 * accesses are undefined there. Narrower reads inside a register's
	 * dword get its bytes, narrower writes are dropped, the 12 bytes after
	 * each register read 0; 8-byte accesses and accesses across a dword
	 * are refused. */
	if (size != 1 && size != 2 && size != 4)
		return false;
	if ((off & 3) + size > 4)
		return false;
	if (off & 0xc) { /* the reserved 12 bytes after each register */
		if (!write)
			*val = 0;
		return true;
	}
	if (size != 4) {
		uint64_t dword;

		if (write)
			return true;
		if (!reg_read(v, off >> 4, &dword))
			dword = 0;
		*val = (dword >> (8 * (off & 3))) & ((1ULL << (8 * size)) - 1);
		return true;
	}
	if (write)
		return reg_write(v, off >> 4, *val & 0xffffffff) || true; /* writes to junk: ignored */
	if (!reg_read(v, off >> 4, val))
		*val = 0;
	return true;
}

