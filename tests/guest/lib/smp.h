/* SPDX-License-Identifier: MIT */
/*
 * Several vCPUs in a test guest (vcpus= in the config): start an AP with
 * INIT-SIPI-SIPI (SDM Vol. 3A §8.4.4) at a real-mode trampoline that goes
 * straight to long mode on the BSP's page tables, GDT and IDT; IPIs through
 * the xAPIC ICR; waits that halt instead of spinning, so that a vCPU that
 * waits gives its host CPU to the one it waits for.
 */
#ifndef GUEST_SMP_H
#define GUEST_SMP_H

#include "hvtest.h"

#define SMP_MAX_CPUS 4
#define SMP_TRAMP_GPA 0x9000 /* below the image, above the boot page tables */
#define SMP_WAKE_VECTOR 0x40 /* an AP that came up sends it to the BSP */

#define SMP_ICR_SELF (1u << 18)
#define SMP_ICR_ALL (2u << 18)
#define SMP_ICR_OTHERS (3u << 18)
#define SMP_ICR_LOGICAL (1u << 11)
#define SMP_ICR_ASSERT (1u << 14)
#define SMP_ICR_LOWEST (1u << 8)
#define SMP_ICR_NMI (4u << 8)
#define SMP_ICR_INIT (5u << 8)
#define SMP_ICR_SIPI (6u << 8)

/* APIC ID of the calling vCPU (the MADT's: 0 to vcpus - 1). */
unsigned int smp_id(void);
/* Software-enable the calling vCPU's local APIC (SVR = 0x1ff). */
void smp_apic_on(void);
/* Send an IPI: destination APIC ID (or logical ID) and the ICR's low word. */
void smp_ipi(unsigned int dest, uint32_t low);
/* End of interrupt, for handlers of IPIs. */
void smp_eoi(void);
/*
 * Start AP id: it runs fn(id) on its own stack, local APIC enabled, and
 * halts with interrupts off if fn returns. Returns whether it came up
 * (smp_up[id] counts its starts) before a guard time that no run needs.
 * Installs a handler for SMP_WAKE_VECTOR (EOI only) the first time; a
 * test may install its own afterwards. Also starts an AP again that ran.
 */
bool smp_start_ap(unsigned int id, void (*fn)(unsigned int id));
extern volatile uint64_t smp_up[SMP_MAX_CPUS];
/*
 * Halt until *v >= want (interrupts on while halted: an IPI from the vCPU
 * that changes *v must follow the change), or the guard time passed.
 */
bool smp_wait(volatile uint64_t *v, uint64_t want);

#endif /* GUEST_SMP_H */
