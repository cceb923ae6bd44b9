/* SPDX-License-Identifier: MIT */
/*
 * The run loop of a vCPU (hv/vcpu/run.c). Host context, interrupts off.
 */
#ifndef HV_VCPU_RUN_H
#define HV_VCPU_RUN_H

#include <types.h>

struct vcpu;

/* Run v until its VM stops, it halts, or the slice (TSC ticks) ends. */
void vcpu_run(struct vcpu *v, uint64_t slice);
/* With several host CPUs, right after an exit (the back end calls it before
 * it decodes the exit): the exit's TSC, flushes other CPUs asked for, and
 * vm_lock taken again. */
void vcpu_exited_smp(struct vcpu *v);

#endif /* HV_VCPU_RUN_H */
