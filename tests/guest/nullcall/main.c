/* SPDX-License-Identifier: MIT */
/*
 * nullcall: the cost of the exit path in TSC ticks (instructions under
 * Bochs with clock: sync=none): a null hypercall (GET_VERSION) and CPUID,
 * each the mean of 1000 round trips.
 */
#include "hvtest.h"

const char test_title[] = "nullcall: round trips of the exit path";

void test_main(void)
{
	uint32_t a, b, c, d;
	uint64_t t0 = rdtsc();

	for (int i = 0; i < 1000; i++)
		hypercall(HV_HC_GET_VERSION, 0, 0, 0, 0);
	gprintf("BENCH null_hypercall_tsc=%lu\n", (rdtsc() - t0) / 1000);
	t0 = rdtsc();
	for (int i = 0; i < 1000; i++)
		cpuid(0, &a, &b, &c, &d);
	gprintf("BENCH cpuid_tsc=%lu\n", (rdtsc() - t0) / 1000);
}
