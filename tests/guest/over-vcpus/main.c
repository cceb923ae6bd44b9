/* SPDX-License-Identifier: MIT */
/*
 * over-vcpus (vcpus=4, tests/isolation.cfg): more vCPUs than host CPUs
 * (two in the SMP runs, one in the others). All four spin on computation
 * and hypercalls for a bounded amount of work; each step adds to counters
 * all of them share, by LOCK XADD, by a CMPXCHG loop, and under a
 * test-and-set lock around a hypercall and a plain read-modify-write (a
 * vCPU may lose its host CPU holding it: the others spin). The BSP recomputes
 * each vCPU's sequence and checks every total: an update lost, or a
 * register of a vCPU changed while it moved between host CPUs or waited
 * for one, shows in them.
 */
#include "apic.h"
#include "smp.h"

const char test_title[] = "over-vcpus: four vCPUs of work on fewer host CPUs, shared atomics";

#define NR_CPUS 4
#define ITERS 2000
#define MIX 32 /* xorshift steps per iteration: the computation */

static volatile uint64_t total, sum, cas_sum, plain, lock, finished;
static volatile uint64_t cas_retries[NR_CPUS], lock_spins[NR_CPUS], started;
static uint64_t version;

static uint64_t seed(unsigned int id)
{
	return 0x9e3779b97f4a7c15ULL * (id + 1);
}

static void work(unsigned int id)
{
	uint64_t x = seed(id);

	for (unsigned int i = 0; i < ITERS; i++) {
		uint64_t old;

		for (unsigned int k = 0; k < MIX; k++)
			xorshift64(&x);
		__atomic_fetch_add(&total, 1, __ATOMIC_SEQ_CST);
		__atomic_fetch_add(&sum, x & 0xffff, __ATOMIC_SEQ_CST);
		old = cas_sum;
		while (!__atomic_compare_exchange_n(&cas_sum, &old, old + ((x >> 16) & 0xff), false,
						    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			cas_retries[id]++;
		while (__atomic_exchange_n(&lock, 1, __ATOMIC_ACQUIRE)) {
			lock_spins[id]++;
			asm volatile("pause");
		}
		/* The hypercall is an exit, where a slice may end: its vCPU
		 * may lose its host CPU holding the lock, the others spin. */
		if (hypercall(HV_HC_GET_VERSION, 0, 0, 0, 0) != version)
			test_fail("vCPU %u: hypercall answer changed at step %u", id, i);
		plain = plain + 1;
		__atomic_store_n(&lock, 0, __ATOMIC_RELEASE);
	}
	__atomic_fetch_add(&finished, 1, __ATOMIC_SEQ_CST);
}

static void ap_main(unsigned int id)
{
	while (!started)
		asm volatile("pause");
	work(id);
	smp_ipi(0, SMP_WAKE_VECTOR);
}

void test_main(void)
{
	uint64_t want_sum = 0, want_cas = 0, retries = 0, spins = 0, t0;

	version = hypercall(HV_HC_GET_VERSION, 0, 0, 0, 0);
	apic_wr(APIC_SVR, 0x1ff);
	asm volatile("sti");
	for (unsigned int id = 1; id < NR_CPUS; id++)
		EXPECT(smp_start_ap(id, ap_main));
	gprintf("%u vCPUs up; %u steps of work each\n", NR_CPUS, ITERS);

	t0 = rdtsc();
	started = 1;
	work(0);
	EXPECT(smp_wait(&finished, NR_CPUS));

	for (unsigned int id = 0; id < NR_CPUS; id++) {
		uint64_t x = seed(id);

		for (unsigned int i = 0; i < ITERS; i++) {
			for (unsigned int k = 0; k < MIX; k++)
				xorshift64(&x);
			want_sum += x & 0xffff;
			want_cas += (x >> 16) & 0xff;
		}
		retries += cas_retries[id];
		spins += lock_spins[id];
	}
	EXPECT_EQ(total, NR_CPUS * ITERS);
	EXPECT_EQ(sum, want_sum);
	EXPECT_EQ(cas_sum, want_cas);
	EXPECT_EQ(plain, NR_CPUS * ITERS);
	gprintf("totals right after %lu M TSC ticks (CMPXCHG retries %lu, lock spins %lu)\n",
		(rdtsc() - t0) >> 20, retries, spins);
	test_end(test_failures() ? TEST_FAILURE : TEST_SUCCESS, NULL);
}
