/* SPDX-License-Identifier: MIT */
/*
 * The host's local APIC timer in one-shot mode: the time slice of a back end
 * without a preemption timer (SVM). Its interrupt makes the running guest
 * exit (INTR intercept) and is then taken and acknowledged by the host.
 * BSP, interrupts off except inside the back end's VMRUN window.
 */
#ifndef ASM_HOST_TIMER_H
#define ASM_HOST_TIMER_H

#define HOST_TIMER_VECTOR 0xf0
#define HOST_SPURIOUS_VECTOR 0xff
#define HOST_KICK_VECTOR 0xf1

#ifndef __ASSEMBLER__
#include <types.h>

/* This CPU's local APIC enabled (xAPIC or x2APIC, as firmware left it),
 * the 8259s masked; false without an APIC. */
bool host_apic_init(void);
/* This CPU's local APIC ID. */
uint32_t host_apic_id(void);
/* Send an IPI: icr is the ICR's low word (vector, delivery mode, level). */
void host_apic_ipi(uint32_t apic_id, uint32_t icr);
/* A host interrupt taken (trap_entry.S's stubs) or acknowledged by the CPU
 * itself (VT-x: "acknowledge interrupt on exit"): counted, and its EOI. */
void host_apic_acked(uint8_t vector);
/* Another CPU's timer, with the boot CPU's calibration. */
void host_timer_cpu_init(uint64_t apic_per_tsc);
/* Enable the local APIC (xAPIC or x2APIC, as firmware left it), mask the
 * 8259s, install the vectors, calibrate against the TSC. 0, or -1 without a
 * usable APIC. */
int host_timer_init(void);
/* Fire once, tsc_ticks TSC ticks from now (at least one APIC tick). */
void host_timer_arm(uint64_t tsc_ticks);
/* Disarm; an interrupt already pending is still taken at the next window. */
void host_timer_stop(void);

#endif /* __ASSEMBLER__ */
#endif /* ASM_HOST_TIMER_H */
