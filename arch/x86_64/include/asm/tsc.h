/* SPDX-License-Identifier: MIT */
/* TSC frequency, for turning milliseconds of guest time into ticks. */
#ifndef ASM_TSC_H
#define ASM_TSC_H

#include <asm/cpu.h>
#include <types.h>

extern uint64_t tsc_hz;
void tsc_init(void);

/* The guest sees the host TSC (no offset): device models use this clock. */
static inline uint64_t rdtsc_now(void)
{
	return rdtsc();
}

static inline uint64_t ms_to_tsc(uint64_t ms)
{
	return tsc_hz / 1000 * ms;
}

#endif /* ASM_TSC_H */
