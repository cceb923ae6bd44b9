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

#endif /* HV_VCPU_RUN_H */
