/* SPDX-License-Identifier: MIT */
/*
 * A VM's whole platform for the harnesses that run exit handling and the
 * device models (fuzz_exit, fuzz_devices): its devices set up as vm_create()
 * does, the checks of their state, and what a back end's run loop does
 * between exits (timers, interrupt delivery), on the clock of fake_hw.h.
 */
#ifndef FUZZ_PLATFORM_H
#define FUZZ_PLATFORM_H

#include "shim.h"

/* Reset every device of vm and register them on its bus (hv/dev/board.c), the PM
 * timer powered on now. Aborts on failure. */
void fz_platform_init(struct vm *vm);
/* Abort unless every device's state is within its registers' definitions:
 * local APIC (no vector 0-15 in IRR, ISR or TMR; LVTs masked while software
 * disabled; a timer period only when periodic), I/O APIC (no reserved or
 * delivery-status RTE bits, remote IRR only on level pins), 8259s, 16550,
 * PIT channels. */
void fz_check_devices(const struct vm *vm);
/* Time passes by delta TSC ticks: the device work before an entry, the
 * timers ticked (the next one must be in the future, and the one
 * vm_next_timer() gives). */
void fz_tick(struct vcpu *v, uint64_t delta);
/* Deliver interrupts as a back end does before an entry: a pending NMI,
 * then the highest pending interrupt if the guest takes interrupts (if_set),
 * which must outrank the TPR and every vector in service. A pending
 * interrupt ends a halt. Returns the vector delivered, or -1. */
int fz_deliver(struct vcpu *v, bool if_set);

#endif /* FUZZ_PLATFORM_H */
