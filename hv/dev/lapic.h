/* SPDX-License-Identifier: MIT */
/*
 * Local APIC of a vCPU: xAPIC (MMIO page at 0xfee00000, SDM Vol. 3A §11.4)
 * or x2APIC (MSRs, §11.12) interface, the timer in TSC-deadline, one-shot and
 * periodic modes, and the vCPU's pending-interrupt state that the 8259 feeds
 * through LINT0.
 */
#ifndef HV_DEV_LAPIC_H
#define HV_DEV_LAPIC_H

#include <types.h>

#define MSR_IA32_APIC_BASE 0x1b
/* The xAPIC page at reset; it is a hole in guest RAM. IA32_APIC_BASE can
 * move the APIC to another page that is not RAM. */
#define APIC_DEFAULT_BASE 0xfee00000ULL
#define MSR_IA32_TSC_DEADLINE 0x6e0
#define MSR_X2APIC_FIRST 0x800
#define MSR_X2APIC_LAST 0x8ff

struct vcpu;

struct lapic {
	uint64_t apic_base;
	uint32_t tpr, svr, esr, ldr, dfr, icr_low, icr_high;
	uint32_t esr_new;         /* errors since the last ESR write, which publishes them */
	bool error_irq_sent;      /* an error interrupt since that write: not rearmed yet */
	uint32_t lvt[7];          /* CMCI, timer, thermal, PMC, LINT0, LINT1, error */
	uint32_t timer_initial, timer_divide;
	uint64_t deadline;        /* TSC value at which the timer fires, 0: disarmed */
	uint64_t period;          /* periodic mode: TSC ticks per period */
	uint64_t irr[4], isr[4];  /* 256-bit vectors */
	uint64_t tmr[4];          /* level-triggered vectors (from the I/O APIC) */
	bool nmi_pending;         /* an NMI IPI waits for delivery */
	bool init_received;       /* INIT: the vCPU is in wait-for-SIPI */
	bool sipi_received;       /* ... and a SIPI came, with sipi_vector */
	uint8_t sipi_vector;
	uint64_t timer_fired, nmis, sipis; /* counters for the stats */
};

/* Reset state: enabled in xAPIC mode by "firmware", LINT0 as ExtINT. */
void lapic_reset(struct lapic *l, uint32_t apic_id);
/* RDMSR/WRMSR of IA32_APIC_BASE, TSC_DEADLINE or an x2APIC register.
 * false: not an APIC MSR, or an access the hardware would #GP. */
bool lapic_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val);
bool lapic_msr_write(struct vcpu *v, uint32_t msr, uint64_t val);
/* Is gpa in the xAPIC register page (xAPIC mode only, at IA32_APIC_BASE)? */
bool lapic_mmio_owns(const struct lapic *l, uint64_t gpa);
/* An access to the register page (32-bit; narrower reads inside a register
 * get its bytes, narrower writes are dropped); false: malformed access. */
bool lapic_mmio(struct vcpu *v, uint64_t gpa, unsigned int size, bool write, uint64_t *val);
/* Fire the timer if its time has come (now: host TSC = guest TSC). */
void lapic_tick(struct lapic *l, uint64_t now);
/* TSC value of the next timer event, or UINT64_MAX. */
static inline uint64_t lapic_next_event(const struct lapic *l)
{
	return l->deadline ? l->deadline : UINT64_MAX;
}
/* Does a message to dest (physical: an APIC ID; logical: flat or cluster
 * per the LDR and DFR, or an x2APIC logical ID) reach vCPU v's APIC? */
bool lapic_match_dest(const struct vcpu *v, uint32_t dest, bool logical);
/*
 * Lowest-priority arbitration (SDM §11.6.2.4), for the ICR and the I/O APIC:
 * of best (NULL: none yet) and t, both named by a message, the vCPU that
 * gets it: the lower task priority, ties to the lower APIC ID (call in ID
 * order); never one whose APIC does not accept fixed interrupts (disabled,
 * globally or by software).
 */
struct vcpu *lapic_lower_priority(struct vcpu *best, struct vcpu *t);
/* Raise a fixed interrupt. */
void lapic_set_irr(struct lapic *l, uint8_t vector);
/* A fixed interrupt from outside (the I/O APIC, an IPI): accepted only by an
 * enabled APIC, vectors 16-255; level-triggered ones are marked in the TMR,
 * and their EOI is broadcast back to the I/O APIC. */
void lapic_deliver(struct lapic *l, uint8_t vector, bool level);
/* IA32_APIC_BASE.EN: CPUID.1:EDX.APIC follows it. */
bool lapic_enabled(const struct lapic *l);
/* The task-priority register (bits 7:0), as MOV to/from CR8 reaches it
 * (CR8[3:0] = TPR[7:4], SDM Vol. 3A §10.8.6.1). */
uint8_t lapic_get_tpr(const struct lapic *l);
void lapic_set_tpr(struct lapic *l, uint8_t tpr);
/* A self-NMI (ICR) waits for delivery; lapic_nmi_ack once injected. */
static inline bool lapic_nmi_pending(const struct lapic *l)
{
	return l->nmi_pending;
}
void lapic_nmi_ack(struct lapic *l);
/* The injected NMI did not reach the guest (an exception raised during its
 * delivery goes first): it waits for delivery again. */
void lapic_nmi_unack(struct lapic *l);
/* Highest pending vector the processor priority allows, or -1. */
int lapic_pending(const struct lapic *l);
/* No vector requested at all: lapic_pending() is -1 (checked before every
 * VM entry, so without the priority scan). */
static inline bool lapic_irr_empty(const struct lapic *l)
{
	return !(l->irr[0] | l->irr[1] | l->irr[2] | l->irr[3]);
}
/* The vector was injected: move it from IRR to ISR. */
void lapic_ack(struct lapic *l, uint8_t vector);
/* Undo lapic_ack() of vector, whose delivery did not reach the guest: it is
 * requested again (IRR), no longer in service. */
void lapic_unack(struct lapic *l, uint8_t vector);
/* Does LINT0 take 8259 interrupts (ExtINT, unmasked)? */
bool lapic_accepts_extint(const struct lapic *l);

#endif /* HV_DEV_LAPIC_H */
