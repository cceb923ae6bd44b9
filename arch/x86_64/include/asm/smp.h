/* SPDX-License-Identifier: MIT */
/*
 * The host's other CPUs (smp.c): found in the ACPI MADT, started with
 * INIT-SIPI-SIPI through a trampoline below 1 MiB, each with its own struct
 * pcpu, the virtualization back end enabled on it. Boot CPU, boot time.
 */
#ifndef ASM_SMP_H
#define ASM_SMP_H

#include <boot_info.h>

/* Read the MADT early, before host memory is handed out (the multiboot2
 * RSDP is a copy in the boot loader's information). */
void smp_find_cpus(const struct boot_info *bi);
/*
 * Start the CPUs the MADT lists, at most max_cpus in all with the boot CPU
 * (0: every one, up to PCPU_MAX); after virt_init(). Each one started enables
 * the back end and waits, interrupts off, for work (none yet: the VMs run on
 * the boot CPU). Prints what runs; returns nr_pcpus.
 */
unsigned int smp_start(const struct boot_info *bi, unsigned int max_cpus);

/* The CPUs started wait for this: each runs work() (the scheduler) once
 * it is given, then waits again. */
void smp_release(void (*work)(void));
/* Make CPU index leave its guest now (an exit at once), or wake it. */
void smp_kick(unsigned int index);
/* Wake the CPUs that wait in smp_idle_wait() with idle set. */
void smp_kick_idle(void);
/* Nothing to run here: halt until an interrupt (a kick) or ticks TSC ticks
 * (the host APIC timer, where calibrated). Interrupts off again after. */
void smp_idle_wait(uint64_t ticks);

#endif /* ASM_SMP_H */
