/* SPDX-License-Identifier: MIT */
/*
 * ipi-storm (vcpus=4, tests/isolation.cfg): every vCPU sends IPIs to its
 * siblings as fast as it can for a bounded number of rounds: fixed by
 * physical ID, by logical flat ID, by the all-excluding-self shorthand,
 * lowest priority to a logical set, and NMIs. Fixed IPIs of one vector may
 * merge in the IRR (SDM Vol. 3A §11.8.4), NMIs while one is pending
 * (§6.7.1), all the more for a vCPU that waits for a host CPU (four vCPUs
 * on one or two), so the storm only asks that each vCPU got some of each
 * kind, never more than were sent, and that nothing stays pending when it
 * ends. Then what may not merge: one IPI of its own vector from each vCPU
 * to each sibling arrives exactly once. Last, with the storm over, single
 * IPIs of each kind reach exactly the vCPUs their destination names (lowest
 * priority: one of the set, SDM §11.6.2.4). The host stays responsive
 * throughout: the neighbour keeps its heartbeat.
 */
#include "apic.h"
#include "smp.h"

const char test_title[] = "ipi-storm: four vCPUs flood each other with IPIs and NMIs";

#define NR_CPUS 4
#define ROUNDS 900 /* a multiple of NR_CPUS - 1: each sibling named as often */

#define V_PHYS 0x50
#define V_LOGICAL 0x51
#define V_OTHERS 0x52
#define V_LOWEST 0x53
#define V_FINAL 0x54 /* 0x54 + sender: one vector per sender, never merged */
#define V_MASK (0xffu << (V_PHYS - 64)) /* 0x50-0x57 in IRR/ISR word 2 */
#define APIC_IRR2 0x220
#define APIC_ISR2 0x120
#define MSR_GS_BASE 0xc0000101
#define NR_PROBES 7

/* Per-vCPU counts, written by that vCPU's handlers only; GS points here. */
struct cpu {
	struct cpu *self;
	volatile uint64_t phys, logical, others, lowest, nmis, final, final_from[NR_CPUS];
	volatile uint64_t synced, sent_lowest, left_irr, left_isr;
} __attribute__((aligned(64)));

static struct cpu cpus[NR_CPUS];
static volatile uint64_t go, stormed, finished, probe_seq;

static inline struct cpu *me(void)
{
	struct cpu *c;

	asm volatile("movq %%gs:0, %0" : "=r"(c));
	return c;
}

#define COUNTER_ISR(name, field)                                                 \
	__attribute__((interrupt)) static void name(struct interrupt_frame *f)   \
	{                                                                        \
		me()->field++;                                                   \
		smp_eoi();                                                       \
	}
COUNTER_ISR(isr_phys, phys)
COUNTER_ISR(isr_logical, logical)
COUNTER_ISR(isr_others, others)
COUNTER_ISR(isr_lowest, lowest)

#define FINAL_ISR(n)                                                             \
	__attribute__((interrupt)) static void isr_final##n(struct interrupt_frame *f) \
	{                                                                        \
		struct cpu *c = me();                                            \
		c->final_from[n]++;                                              \
		c->final++;                                                      \
		smp_eoi();                                                       \
	}
FINAL_ISR(0)
FINAL_ISR(1)
FINAL_ISR(2)
FINAL_ISR(3)

__attribute__((interrupt)) static void isr_nmi(struct interrupt_frame *f)
{
	me()->nmis++;
}

/* This vCPU's APIC and counts: logical flat ID bit id, GS at its struct. */
static void cpu_setup(unsigned int id)
{
	cpus[id].self = &cpus[id];
	wrmsr(MSR_GS_BASE, (uint64_t)&cpus[id]);
	apic_wr(APIC_DFR, 0xffffffff);
	apic_wr(APIC_LDR, (1u << id) << 24);
}

/*
 * Let every interrupt that is requested for this vCPU run its handler:
 * interrupts on, and each IRR read is an exit whose entry injects the
 * highest one pending (an NMI goes in at the first of them). The counts
 * are final once no storm vector is requested or in service.
 */
static void quiesce(void)
{
	asm volatile("sti");
	for (unsigned int i = 0; i < 1000 && (apic_rd(APIC_IRR2) & V_MASK); i++)
		;
}

/* Everyone waits here until all NR_CPUS arrived; the last one wakes them. */
static void barrier(volatile uint64_t *count)
{
	if (__atomic_add_fetch(count, 1, __ATOMIC_SEQ_CST) == NR_CPUS)
		apic_wr(APIC_ICR, ICR_OTHERS | SMP_WAKE_VECTOR);
	else
		EXPECT(smp_wait(count, NR_CPUS));
}

static void storm(unsigned int id)
{
	uint32_t others = 0xfu & ~(1u << id);
	struct cpu *c = &cpus[id];

	asm volatile("sti");
	for (unsigned int r = 0; r < ROUNDS; r++) {
		unsigned int to = (id + 1 + r % (NR_CPUS - 1)) % NR_CPUS;

		smp_ipi(to, V_PHYS);
		smp_ipi(others, SMP_ICR_LOGICAL | V_LOGICAL);
		smp_ipi(0, SMP_ICR_OTHERS | V_OTHERS);
		smp_ipi(others, SMP_ICR_LOGICAL | SMP_ICR_LOWEST | V_LOWEST);
		c->sent_lowest++;
		smp_ipi(to, SMP_ICR_NMI | SMP_ICR_ASSERT);
	}
	barrier(&stormed);

	/* One IPI per sender and sibling, each sender its own vector. */
	for (unsigned int to = 0; to < NR_CPUS; to++)
		if (to != id)
			smp_ipi(to, V_FINAL + id);
	EXPECT(smp_wait(&c->final, NR_CPUS - 1));
	quiesce();
	c->left_irr = apic_rd(APIC_IRR2) & V_MASK;
	c->left_isr = apic_rd(APIC_ISR2) & V_MASK;
	barrier(&finished);
}

/* An AP: the storm, then a count report for each probe the BSP sends. */
static void ap_main(unsigned int id)
{
	uint64_t seen = 0;

	cpu_setup(id);
	__atomic_add_fetch(&go, 1, __ATOMIC_SEQ_CST); /* up: the BSP may start */
	smp_ipi(0, SMP_WAKE_VECTOR);
	EXPECT(smp_wait(&go, NR_CPUS));
	storm(id);
	while (seen < NR_PROBES) {
		EXPECT(smp_wait(&probe_seq, seen + 1));
		seen = probe_seq;
		quiesce();
		cpus[id].synced = seen;
		smp_ipi(0, SMP_WAKE_VECTOR);
	}
}

/* The count at offset off (AT(field)) of vCPU id. */
#define AT(field) offsetof(struct cpu, field)
static uint64_t count_of(unsigned int id, size_t off)
{
	return *(volatile uint64_t *)((char *)&cpus[id] + off);
}

/*
 * One IPI from the BSP with the storm over: each vCPU's count at off must
 * grow by want[id]; with any_one, one vCPU of those want names gets it
 * (lowest priority). The APs report once every request for them has been
 * handled (quiesce()).
 */
static void probe(const char *what, size_t off, uint32_t dest, uint32_t low,
		  const uint64_t want[NR_CPUS], bool any_one)
{
	static uint64_t seq;
	uint64_t before[NR_CPUS], got = 0;

	for (unsigned int id = 0; id < NR_CPUS; id++)
		before[id] = count_of(id, off);
	smp_ipi(dest, low);
	probe_seq = ++seq;
	for (unsigned int id = 1; id < NR_CPUS; id++)
		smp_ipi(id, SMP_WAKE_VECTOR);
	quiesce();
	for (unsigned int id = 1; id < NR_CPUS; id++)
		EXPECT(smp_wait(&cpus[id].synced, seq));
	for (unsigned int id = 0; id < NR_CPUS; id++) {
		uint64_t d = count_of(id, off) - before[id];

		got += d;
		if (!any_one && d != want[id])
			test_fail("%s: vCPU %u got %lu, expected %lu", what, id, d, want[id]);
		if (any_one && d && !want[id])
			test_fail("%s: vCPU %u got it, outside the destination", what, id);
	}
	if (any_one && got != 1)
		test_fail("%s: %lu deliveries, expected one", what, got);
}

void test_main(void)
{
	uint64_t sent_lowest = 0, got_lowest = 0, t0;

	apic_wr(APIC_SVR, 0x1ff);
	cpu_setup(0);
	set_gate(V_PHYS, isr_phys);
	set_gate(V_LOGICAL, isr_logical);
	set_gate(V_OTHERS, isr_others);
	set_gate(V_LOWEST, isr_lowest);
	set_gate(V_FINAL + 0, isr_final0);
	set_gate(V_FINAL + 1, isr_final1);
	set_gate(V_FINAL + 2, isr_final2);
	set_gate(V_FINAL + 3, isr_final3);
	set_gate(2, isr_nmi);
	asm volatile("sti");

	__atomic_add_fetch(&go, 1, __ATOMIC_SEQ_CST);
	for (unsigned int id = 1; id < NR_CPUS; id++)
		EXPECT(smp_start_ap(id, ap_main));
	EXPECT(smp_wait(&go, NR_CPUS));
	apic_wr(APIC_ICR, ICR_OTHERS | SMP_WAKE_VECTOR); /* go */
	gprintf("%u vCPUs up; %u rounds of 4 IPIs and an NMI each\n", NR_CPUS, ROUNDS);

	t0 = rdtsc();
	storm(0);
	EXPECT(smp_wait(&finished, NR_CPUS));
	for (unsigned int id = 0; id < NR_CPUS; id++) {
		struct cpu *c = &cpus[id];

		gprintf("vCPU %u got: physical %lu, logical %lu, others %lu, lowest %lu, NMIs %lu\n",
			id, c->phys, c->logical, c->others, c->lowest, c->nmis);
		EXPECT(c->phys > 0 && c->phys <= ROUNDS);
		EXPECT(c->logical > 0 && c->logical <= (NR_CPUS - 1) * ROUNDS);
		EXPECT(c->others > 0 && c->others <= (NR_CPUS - 1) * ROUNDS);
		EXPECT(c->nmis > 0 && c->nmis <= ROUNDS);
		EXPECT_EQ(c->final, NR_CPUS - 1);
		for (unsigned int s = 0; s < NR_CPUS; s++)
			EXPECT_EQ(c->final_from[s], s != id);
		EXPECT_EQ(c->left_irr, 0);
		EXPECT_EQ(c->left_isr, 0);
		sent_lowest += c->sent_lowest;
		got_lowest += c->lowest;
	}
	/* One lowest-priority IPI is one interrupt, to one vCPU of the set. */
	EXPECT(got_lowest > 0 && got_lowest <= sent_lowest);
	gprintf("storm over in %lu M TSC ticks; each vCPU got one IPI from each sibling once\n",
		(rdtsc() - t0) >> 20);

	probe("physical to 2", AT(phys), 2, V_PHYS, (const uint64_t[]){ 0, 0, 1, 0 }, false);
	probe("logical 1|3", AT(logical), 0xa, SMP_ICR_LOGICAL | V_LOGICAL,
	      (const uint64_t[]){ 0, 1, 0, 1 }, false);
	probe("logical broadcast", AT(logical), 0xff, SMP_ICR_LOGICAL | V_LOGICAL,
	      (const uint64_t[]){ 1, 1, 1, 1 }, false);
	probe("all excluding self", AT(others), 0, SMP_ICR_OTHERS | V_OTHERS,
	      (const uint64_t[]){ 0, 1, 1, 1 }, false);
	probe("lowest priority 1|2|3", AT(lowest), 0xe, SMP_ICR_LOGICAL | SMP_ICR_LOWEST | V_LOWEST,
	      (const uint64_t[]){ 0, 1, 1, 1 }, true);
	probe("lowest priority 2", AT(lowest), 2, SMP_ICR_LOWEST | V_LOWEST,
	      (const uint64_t[]){ 0, 0, 1, 0 }, false);
	probe("NMI to 3", AT(nmis), 3, SMP_ICR_NMI | SMP_ICR_ASSERT, (const uint64_t[]){ 0, 0, 0, 1 },
	      false);
	gprintf("single IPIs after the storm: each reached exactly its destination\n");
	test_end(test_failures() ? TEST_FAILURE : TEST_SUCCESS, NULL);
}
