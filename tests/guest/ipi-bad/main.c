/* SPDX-License-Identifier: MIT */
/*
 * ipi-bad (vcpus=2, tests/isolation.cfg): IPIs the SDM calls reserved or
 * illegal, each answered as the hardware does, never a host panic, the VM
 * running on (SDM Vol. 3A §11.6.1, §11.5.3, §11.12.9, §9.4.4):
 *  - delivery modes 3 and 7 (reserved in the ICR), to AP 1 and to all
 *    including self: ignored;
 *  - INIT, SIPI, NMI and a fixed IPI to APIC ID 3, which no vCPU has:
 *    ignored, also while AP 1 waits for a SIPI;
 *  - a fixed or lowest-priority IPI with a vector below 16: not sent; the
 *    sender's ESR has "send illegal vector" (bit 5) once software writes
 *    the ESR to read it, and the error interrupt of its LVT Error entry
 *    fires once until that write rearms it;
 *  - AP 1 sends INIT to itself: it waits for a SIPI, and a SIPI alone
 *    from the BSP starts it again;
 *  - a SIPI with a vector in the reserved 0xA0-0xBF range: the AP starts at
 *    vector * 4096 like any other (docs/platform.md has the reading);
 *  - in x2APIC mode on both vCPUs, destination 0xffffffff (physical or
 *    logical) reaches every vCPU, 0xff only APIC ID 255 (nobody here), an
 *    illegal vector in SELF IPI sets the ESR as in xAPIC mode, and a
 *    non-zero ESR write raises #GP.
 */
#include "apic.h"
#include "smp.h"

const char test_title[] = "ipi-bad: reserved and illegal IPIs on two vCPUs";

#define V_TIMER 0x60
#define V_RSVD 0x70
#define V_ABSENT 0x71
#define V_BCAST 0x72 /* 0x72-0x75: the x2APIC broadcasts */
#define V_ERROR 0x7e
#define MSR_X2APIC_ESR 0x828
#define MSR_X2APIC_ICR 0x830
#define MSR_X2APIC_SELF_IPI 0x83f
#define ESR_SEND_ILLEGAL 0x20
#define ICR_BUSY (1u << 12)
#define MARK_OFF 0x800
#define MARK 0xa5

enum { C_PING = 1, C_INIT_SELF, C_X2APIC, C_BROADCAST };

static volatile uint64_t hits[2][256], nmis[2], boots, down;
static volatile uint64_t cmd, cmd_seq, ack_seq;
static uint32_t period;

static bool x2(void)
{
	return rdmsr(MSR_APIC_BASE) & APIC_BASE_EXTD;
}

static unsigned int my_id(void)
{
	return x2() ? (unsigned int)rdmsr(0x802) : apic_rd(APIC_ID) >> 24;
}

/* An IPI through whichever interface the APIC is in. */
static void send(uint32_t dest, uint32_t low)
{
	if (x2())
		wrmsr(MSR_X2APIC_ICR, (uint64_t)dest << 32 | low);
	else
		smp_ipi(dest, low);
}

static void eoi(void)
{
	if (x2())
		wrmsr(0x80b, 0);
	else
		apic_wr(APIC_EOI, 0);
}

/*
 * With interrupts on, one exit: its entry injects the highest interrupt
 * requested, the EOI and IRET of each handler the next, and the NMI first.
 * After it every IPI sent to us before has run its handler.
 */
static void quiesce(void)
{
	asm volatile("sti");
	(void)my_id();
}

#define COUNT_ISR(vec)                                                           \
	__attribute__((interrupt)) static void isr_##vec(struct interrupt_frame *f) \
	{                                                                        \
		hits[my_id() & 1][vec]++;                                        \
		eoi();                                                           \
	}
COUNT_ISR(0x40)
COUNT_ISR(0x60)
COUNT_ISR(0x70)
COUNT_ISR(0x71)
COUNT_ISR(0x72)
COUNT_ISR(0x73)
COUNT_ISR(0x74)
COUNT_ISR(0x75)
COUNT_ISR(0x7e)

__attribute__((interrupt)) static void isr_nmi(struct interrupt_frame *f)
{
	nmis[my_id() & 1]++;
}

/* AP 1: report that it (re)started, then do what the BSP asks. */
static void ap_main(unsigned int id)
{
	uint64_t seen = cmd_seq;

	boots++;
	send(0, SMP_WAKE_VECTOR);
	for (;;) {
		EXPECT(smp_wait(&cmd_seq, seen + 1));
		seen = cmd_seq;
		quiesce();
		switch (cmd) {
		case C_INIT_SELF:
			down = 1;
			send(0, SMP_WAKE_VECTOR);
			send(id, ICR_INIT | ICR_ASSERT);
			for (;;) /* until the INIT takes it (at once here) */
				asm volatile("pause");
		case C_X2APIC:
			wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_EXTD);
			break;
		case C_BROADCAST:
			send(0xffffffff, V_BCAST + 1);
			quiesce();
			break;
		}
		ack_seq = seen;
		send(0, SMP_WAKE_VECTOR);
	}
}

static void cmd_ap(uint64_t c)
{
	cmd = c;
	cmd_seq++;
	send(1, SMP_WAKE_VECTOR);
	EXPECT(smp_wait(&ack_seq, cmd_seq));
}

/* Halt until *v >= want or our one-shot APIC timer fired. */
static bool wait_a_while(volatile uint64_t *v, uint64_t want)
{
	uint64_t fired = hits[0][V_TIMER];

	apic_wr(APIC_TIMER_INIT, period);
	for (;;) {
		asm volatile("cli");
		if (*v >= want || hits[0][V_TIMER] != fired)
			break;
		asm volatile("sti; hlt" ::: "memory");
	}
	asm volatile("sti");
	return *v >= want;
}

/*
 * SIPIs alone until AP 1 has started again (it must be in wait-for-SIPI by
 * then; one that comes while it still runs is ignored, so try again after
 * a while), and its ap_main() has taken its first look at cmd_seq.
 */
static bool sipi_until_up(uint8_t vector)
{
	uint64_t up = smp_up[1], b = boots;

	for (unsigned int i = 0; i < 200 && smp_up[1] == up; i++) {
		smp_ipi(1, ICR_SIPI | vector);
		wait_a_while(&smp_up[1], up + 1);
	}
	return smp_up[1] > up && smp_wait(&boots, b + 1);
}

static void nothing_delivered(const char *what, uint8_t vec)
{
	quiesce();
	cmd_ap(C_PING);
	if (hits[0][vec] || hits[1][vec] || nmis[0] || nmis[1])
		test_fail("%s: vector %#x delivered %lu/%lu times, NMIs %lu/%lu", what, vec,
			  hits[0][vec], hits[1][vec], nmis[0], nmis[1]);
}

/* Write the ESR (publishing the errors since the last write), read it. */
static uint32_t esr(void)
{
	if (x2()) {
		wrmsr(MSR_X2APIC_ESR, 0);
		return (uint32_t)rdmsr(MSR_X2APIC_ESR);
	}
	apic_wr(APIC_ESR, 0);
	return apic_rd(APIC_ESR);
}

/*
 * At vector * 4096, real mode, CS = vector << 8: mark the page, then on to
 * the trampoline of smp.c at 0x9000 (CS 0x900), as any start-up code
 * would go on to the OS's.
 */
static const uint8_t sipi_stub[] = {
	0x2e, 0xc6, 0x06, MARK_OFF & 0xff, MARK_OFF >> 8, MARK, /* movb $MARK, %cs:MARK_OFF */
	0xea, 0x00, 0x00, (SMP_TRAMP_GPA >> 4) & 0xff, SMP_TRAMP_GPA >> 12, /* ljmp $0x900, $0 */
};

void test_main(void)
{
	uint64_t up, b;

	apic_wr(APIC_SVR, 0x1ff);
	set_gate(2, isr_nmi);
	set_gate(V_TIMER, isr_0x60);
	set_gate(V_RSVD, isr_0x70);
	set_gate(V_ABSENT, isr_0x71);
	set_gate(V_BCAST, isr_0x72);
	set_gate(V_BCAST + 1, isr_0x73);
	set_gate(V_BCAST + 2, isr_0x74);
	set_gate(V_BCAST + 3, isr_0x75);
	set_gate(V_ERROR, isr_0x7e);
	apic_wr(APIC_TIMER_DIV, 0xb);
	apic_wr(APIC_LVT_TIMER, V_TIMER);
	period = (uint32_t)timer_ticks();
	asm volatile("sti");
	EXPECT(smp_start_ap(1, ap_main));
	set_gate(SMP_WAKE_VECTOR, isr_0x40); /* its EOI in either APIC mode */
	EXPECT(smp_wait(&boots, 1));

	/* Reserved delivery modes 3 and 7: nothing happens anywhere. */
	smp_ipi(1, (3u << 8) | V_RSVD);
	smp_ipi(1, (7u << 8) | V_RSVD);
	apic_wr(APIC_ICR, ICR_ALL | (3u << 8) | V_RSVD);
	apic_wr(APIC_ICR, ICR_ALL | (7u << 8) | V_RSVD);
	EXPECT_EQ(apic_rd(APIC_ICR) & ICR_BUSY, 0);
	nothing_delivered("delivery modes 3 and 7", V_RSVD);
	gprintf("delivery modes 3 and 7: ignored\n");

	/* APIC ID 3: nobody. */
	smp_ipi(3, ICR_INIT | ICR_ASSERT);
	smp_ipi(3, ICR_SIPI | (SMP_TRAMP_GPA >> 12));
	smp_ipi(3, ICR_NMI | ICR_ASSERT);
	smp_ipi(3, V_ABSENT);
	nothing_delivered("APIC ID 3", V_ABSENT);
	EXPECT_EQ(boots, 1);
	gprintf("INIT, SIPI, NMI and fixed to absent APIC ID 3: ignored\n");

	/* Illegal vectors: ESR bit 5 after the write, one error interrupt. */
	apic_wr(APIC_LVT_ERROR, V_ERROR);
	apic_wr(APIC_ESR, 0);
	apic_wr(APIC_ESR, 0); /* back to back: nothing logged */
	EXPECT_EQ(apic_rd(APIC_ESR), 0);
	smp_ipi(1, 0x05);
	smp_ipi(1, ICR_LOGICAL | (1u << 8) | 0x0f);
	quiesce();
	EXPECT_EQ(hits[0][V_ERROR], 1); /* the second error: not rearmed yet */
	EXPECT_EQ(esr(), ESR_SEND_ILLEGAL);
	EXPECT_EQ(esr(), 0);
	EXPECT_EQ(apic_rd(APIC_ICR) & ICR_BUSY, 0);
	apic_wr(APIC_ICR, ICR_OTHERS | 0x02);
	quiesce();
	EXPECT_EQ(hits[0][V_ERROR], 2); /* rearmed by the ESR writes */
	EXPECT_EQ(esr(), ESR_SEND_ILLEGAL);
	cmd_ap(C_PING); /* AP 1 took no exception 5, 15 or 2 */
	EXPECT_EQ(nmis[1], 0);
	gprintf("vectors below 16: not sent, ESR %#x, %lu error interrupts\n", ESR_SEND_ILLEGAL,
		hits[0][V_ERROR]);

	/* AP 1 sends itself an INIT; SIPIs alone start it again. */
	b = boots;
	cmd = C_INIT_SELF;
	cmd_seq++;
	smp_ipi(1, SMP_WAKE_VECTOR);
	EXPECT(smp_wait(&down, 1));
	EXPECT(sipi_until_up(SMP_TRAMP_GPA >> 12));
	EXPECT_EQ(boots, b + 1);
	cmd_ap(C_PING);
	gprintf("AP 1 sent itself INIT; a SIPI started it again (boot %lu)\n", boots);

	/* INIT from here, a SIPI to ID 3 (AP 1 waits on), then one with a
	 * vector in the reserved range: AP 1 starts at vector * 4096. */
	for (unsigned int i = 0; i < 2; i++) {
		uint8_t vec = i ? 0xbf : 0xa0;
		volatile uint8_t *page = (volatile uint8_t *)((uintptr_t)vec << 12);

		for (unsigned int k = 0; k < sizeof(sipi_stub); k++)
			page[k] = sipi_stub[k];
		page[MARK_OFF] = 0;
		up = smp_up[1];
		smp_ipi(1, ICR_INIT | ICR_ASSERT);
		smp_ipi(3, ICR_SIPI | vec);
		EXPECT(!wait_a_while(&smp_up[1], up + 1));
		EXPECT(sipi_until_up(vec));
		EXPECT_EQ(page[MARK_OFF], MARK);
		cmd_ap(C_PING);
		gprintf("SIPI vector %#x: AP 1 ran from %#x (boot %lu)\n", vec, vec << 12, boots);
	}

	/* x2APIC on both: 0xffffffff is everyone, physical or logical. */
	cmd_ap(C_X2APIC);
	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_EXTD);
	send(0xffffffff, V_BCAST);
	quiesce();
	cmd_ap(C_BROADCAST);
	quiesce();
	wrmsr(MSR_X2APIC_ICR, 0xffffffffULL << 32 | ICR_LOGICAL | (V_BCAST + 2));
	send(0xff, V_BCAST + 3); /* APIC ID 255, not a broadcast in x2APIC mode */
	quiesce();
	cmd_ap(C_PING);
	for (unsigned int id = 0; id < 2; id++)
		for (unsigned int k = 0; k < 4; k++)
			if (hits[id][V_BCAST + k] != (k < 3))
				test_fail("x2APIC %s %u: vCPU %u got it %lu times",
					  k == 2 ? "logical" : "physical", k == 3 ? 0xff : 0xffffffff,
					  id, hits[id][V_BCAST + k]);
	EXPECT_EQ(esr(), 0);
	EXPECT_EQ(wrmsr_safe(MSR_X2APIC_ESR, 1), GP); /* only 0 may be written */
	wrmsr(MSR_X2APIC_SELF_IPI, 0x05);
	quiesce();
	EXPECT_EQ(esr(), ESR_SEND_ILLEGAL);
	EXPECT_EQ(hits[0][V_ERROR], 3);
	gprintf("x2APIC: 0xffffffff reached both vCPUs, 0xff neither; SELF IPI 5: ESR %#x\n",
		ESR_SEND_ILLEGAL);
	test_end(test_failures() ? TEST_FAILURE : TEST_SUCCESS, NULL);
}
