/* SPDX-License-Identifier: MIT */
/*
 * cli-spin (vcpus=2, tests/isolation.cfg): AP 1 spins for ever with
 * interrupts off, counting in memory, so that it never exits by itself.
 * The BSP goes on working beside it: it prints, makes hypercalls, halts
 * until its own APIC timer fires, and sends the spinner an NMI (IF does not
 * mask NMIs), whose handler answers with an IPI. The spinner's count grows
 * meanwhile: both vCPUs got CPU time, on one host CPU or two. Then both
 * with interrupts off: AP 1 halts, the BSP sends it an NMI and halts at
 * once, and AP 1's handler wakes the BSP with an NMI of its own (each halt
 * waits for an NMI pending or on its way: the VM goes on). Last the BSP
 * ends the VM while AP 1 spins again: the whole VM stops, and the host,
 * the neighbour among the others, never waited for the spinner.
 */
#include "apic.h"
#include "smp.h"

const char test_title[] = "cli-spin: one vCPU spins with interrupts off, its sibling works";

#define ROUNDS 16
#define V_TIMER 0x60

static volatile uint64_t spins, spinning, park, parked, answer_nmi, nmis, bsp_nmis, timer_hits;

struct interrupt_frame {
	uint64_t ip, cs, flags, sp, ss;
};

/*
 * Halt with interrupts off until an NMI has come (bsp_nmis > 0): one that
 * comes between the check and the HLT makes its handler step over the HLT
 * (bsp_hlt), so that it cannot be lost.
 */
static void hlt_for_nmi(void)
{
	asm volatile("cli\n"
		     "cmpq $0, %0\n"
		     "jne 1f\n"
		     ".globl bsp_hlt\n"
		     "bsp_hlt: hlt\n"
		     "1: sti" ::"m"(bsp_nmis)
		     : "memory");
}
extern const char bsp_hlt[];

/* AP 1: interrupts off and a loop with no exit in it, for ever; while the
 * BSP asks it to park, a halt that only an NMI ends instead. */
static void spinner(unsigned int id)
{
	(void)id;
	asm volatile("cli");
	spinning = 1;
	for (;;) {
		if (park) {
			parked++;
			asm volatile("hlt" ::: "memory");
		}
		spins++;
	}
}

/* NMIs: on AP 1, answer the BSP with an IPI, or with an NMI while the BSP
 * waits with interrupts off; on the BSP, count. */
__attribute__((interrupt)) static void isr_nmi(struct interrupt_frame *f)
{
	if (smp_id() == 0) {
		bsp_nmis++;
		if (f->ip == (uint64_t)bsp_hlt)
			f->ip++; /* HLT is one byte */
		return;
	}
	nmis++;
	smp_ipi(0, answer_nmi ? SMP_ICR_NMI | SMP_ICR_ASSERT : SMP_WAKE_VECTOR);
}

__attribute__((interrupt)) static void isr_timer(struct interrupt_frame *f)
{
	timer_hits++;
	apic_eoi();
}

void test_main(void)
{
	uint64_t version = hypercall(HV_HC_GET_VERSION, 0, 0, 0, 0), s0, s1;

	apic_wr(APIC_SVR, 0x1ff);
	set_gate(2, isr_nmi);
	set_gate(V_TIMER, isr_timer);
	asm volatile("sti");
	EXPECT(smp_start_ap(1, spinner));
	while (!spinning)
		asm volatile("pause");
	s0 = spins;

	/* Work of our own: console output and hypercalls, each an exit. */
	for (unsigned int r = 0; r < ROUNDS; r++) {
		for (unsigned int i = 0; i < 64; i++)
			EXPECT_EQ(hypercall(HV_HC_GET_VERSION, 0, 0, 0, 0), version);
		gprintf("round %u: 64 hypercalls beside the spinner\n", r);
	}

	/* A halt that only our own timer ends, the spinner running. */
	apic_wr(APIC_TIMER_DIV, 0xb);
	apic_wr(APIC_LVT_TIMER, V_TIMER);
	apic_wr(APIC_TIMER_INIT, (uint32_t)timer_ticks());
	EXPECT(smp_wait(&timer_hits, 1));
	gprintf("our APIC timer woke us from HLT\n");

	/* An NMI reaches the spinner through its CLI. */
	smp_ipi(1, SMP_ICR_NMI | SMP_ICR_ASSERT);
	EXPECT(smp_wait(&nmis, 1));
	s1 = spins;
	EXPECT(s1 > s0);
	gprintf("the spinner took an NMI; it counted %s while we worked\n",
		s1 > s0 ? "on" : "nothing");

	/*
	 * Both with interrupts off: AP 1 parks in HLT, we send it an NMI and
	 * halt at once, and its handler's NMI ends our halt. Each halt waits
	 * for an NMI that is pending or on its way: not the end of the VM
	 * (which it was on one host CPU, before AP 1 could run).
	 */
	park = 1;
	while (!parked)
		asm volatile("pause");
	timer_hits = 0;
	apic_wr(APIC_TIMER_INIT, (uint32_t)timer_ticks());
	EXPECT(smp_wait(&timer_hits, 1)); /* AP 1 has had time to halt */
	park = 0;
	answer_nmi = 1;
	smp_ipi(1, SMP_ICR_NMI | SMP_ICR_ASSERT);
	hlt_for_nmi();
	EXPECT_EQ(bsp_nmis, 1);
	EXPECT_EQ(nmis, 2);
	gprintf("NMI for NMI with interrupts off on both vCPUs; the spinner spins on\n");
	test_end(test_failures() ? TEST_FAILURE : TEST_SUCCESS, "ending the VM, AP 1 still spinning");
}
