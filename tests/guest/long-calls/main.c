/* SPDX-License-Identifier: MIT */
/*
 * long-calls: the hypercalls whose work grows with guest RAM, in a guest
 * of 5 GiB (tests/isolation.cfg; populated lazily): SET_RANGE_STATE over
 * almost all of RAM, REGISTER_TABLE (the host takes over every byte of the
 * table), GET_STATS with the table registered (a count over every
 * byte) and RESET (every byte read once more; the table registered again
 * afterwards). The host must do each in bounded parts, entering the guest again
 * at the same VMCALL between them (ABI §3, long calls): here each call
 * completes as one, with every register but RAX preserved, and the whole
 * range has its state afterwards; the APIC timer's interrupts, periodic
 * from the second call on (a period of 1/16 of the first call's TSC span),
 * arrive between the parts, with the VMCALL as their return address. The bound itself is on the host's side (expect): the largest
 * number of gfns one exit of this VM walked, in the end-of-run stats, has
 * at most five digits (the host's chunk is 16,384 gfns; done in one exit,
 * the range alone is 1.3 million), and the calls were continued.
 */
#include "apic.h"
#include <string.h>

const char test_title[] = "long-calls: calls over 5 GiB done in bounded parts, each completes";

#define JUNK 0x5a /* what the guest leaves in the table before registering it */
#define TIMER_VEC 0x40

struct frame {
	uint64_t rip, cs, rflags, rsp, ss;
};

static volatile uint64_t ticks, at_vmcall;

/* The timer: counts, and counts those whose return address is a VMCALL. */
__attribute__((interrupt)) static void timer(struct interrupt_frame *f)
{
	const volatile uint8_t *ip = (const volatile uint8_t *)((struct frame *)f)->rip;

	ticks++;
	if (ip[0] == 0x0f && ip[1] == 0x01 && ip[2] == 0xc1)
		at_vmcall++;
	apic_eoi();
}

/* A hypercall that fails the test if it returns with any register but RAX changed. */
static uint64_t call(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t r8 asm("r8") = 0x0808080808080808ULL;
	register uint64_t r15 asm("r15") = 0x1515151515151515ULL;
	uint64_t rax = nr, rbx = a0, rcx = a1, rdx = a2, rsi = a3, rdi = 0xd1d1d1d1d1d1d1d1ULL;

	asm volatile("vmcall"
		     : "+a"(rax), "+b"(rbx), "+c"(rcx), "+d"(rdx), "+S"(rsi), "+D"(rdi), "+r"(r8),
		       "+r"(r15)
		     :
		     : "memory");
	if (rbx != a0 || rcx != a1 || rdx != a2 || rsi != a3 || rdi != 0xd1d1d1d1d1d1d1d1ULL ||
	    r8 != 0x0808080808080808ULL || r15 != 0x1515151515151515ULL)
		test_fail("call %lu changed registers: rbx %#lx rcx %#lx rdx %#lx rsi %#lx rdi %#lx",
			  nr, rbx, rcx, rdx, rsi, rdi);
	return rax;
}

/* Pages of guest state s (any host state), as GET_STATS reports them. */
static uint64_t in_state(unsigned int s)
{
	struct hv_vm_stats st;
	int64_t r;

	memset(&st, 0, sizeof(st));
	r = (int64_t)call(HV_HC_GET_STATS, (uint64_t)&st, sizeof(st), 0, 0);
	if (r != (int64_t)sizeof(st))
		test_fail("GET_STATS returned %ld", r);
	return st.pages[s][HV_HOST_RESIDENT] + st.pages[s][HV_HOST_PRESERVED] +
	       st.pages[s][HV_HOST_ZERO];
}

/* Table bytes of [first, first + n) that are not b. */
static uint64_t bytes_not(const volatile uint8_t *table, uint64_t first, uint64_t n, uint8_t b)
{
	uint64_t bad = 0;

	for (uint64_t g = first; g < first + n; g++)
		bad += table[g] != b;
	return bad;
}

void test_main(void)
{
	uint64_t frames = ram_frames(), tpages = (frames + PAGE_SIZE - 1) >> PAGE_SHIFT;
	volatile uint8_t *table = (volatile uint8_t *)gfn_ptr(alloc_frames(tpages));
	uint64_t first = alloc_frames(1), count = frames - first, span, period;
	int64_t r;

	if (frames < (4ULL << 30) >> PAGE_SHIFT)
		test_end(TEST_ERROR, "needs at least 4 GiB of RAM");
	gprintf("%lu frames; hinting [%#lx, %#lx)\n", frames, first, frames);
	/* Without a table: every page of the range, one call. */
	span = rdtsc();
	r = (int64_t)call(HV_HC_SET_RANGE_STATE, first, count, HV_PAGE_UNUSED, 0);
	span = rdtsc() - span;
	EXPECT_EQ(r, count);

	/* From now on a timer that fires several times in a call like that. */
	period = span / 16 > timer_ticks() ? span / 16 : timer_ticks();
	if (period > 0xffffffffULL)
		period = 0xffffffffULL;
	set_gate(TIMER_VEC, timer);
	apic_wr(APIC_SVR, 0x1ff); /* software enabled */
	apic_wr(APIC_TPR, 0);
	apic_wr(APIC_TIMER_DIV, 0xb); /* divide by 1 */
	apic_wr(APIC_LVT_TIMER, TIMER_VEC | LVT_PERIODIC);
	apic_wr(APIC_TIMER_INIT, (uint32_t)period);
	asm volatile("sti");
	EXPECT_EQ(in_state(HV_PAGE_UNUSED), count);
	EXPECT_EQ(in_state(HV_PAGE_STABLE), first);

	/* The table takes over: every byte gets the state, whatever was there. */
	memset((void *)table, JUNK, tpages << PAGE_SHIFT);
	r = (int64_t)call(HV_HC_REGISTER_TABLE, (uint64_t)table, frames, 0, 0);
	EXPECT_EQ(r, 0);
	EXPECT_EQ(bytes_not(table, 0, first, HV_PAGE_STABLE), 0);
	EXPECT_EQ(bytes_not(table, first, count, HV_PAGE_UNUSED), 0);

	/* Counts over the table, and a range call that keeps every byte in step. */
	EXPECT_EQ(in_state(HV_PAGE_UNUSED), count);
	r = (int64_t)call(HV_HC_SET_RANGE_STATE, first, count, HV_PAGE_VOLATILE, 0);
	EXPECT_EQ(r, count);
	EXPECT_EQ(bytes_not(table, first, count, HV_PAGE_VOLATILE), 0);
	EXPECT_EQ(in_state(HV_PAGE_VOLATILE), count);
	r = (int64_t)call(HV_HC_SET_RANGE_STATE, first, count, HV_PAGE_STABLE, 0);
	EXPECT_EQ(r, count);
	EXPECT_EQ(bytes_not(table, 0, frames, HV_PAGE_STABLE), 0);
	EXPECT_EQ(in_state(HV_PAGE_STABLE), frames);

	/* The reset reads every byte once more: the range volatile in the table
	 * alone (the guest's own writes) comes back STABLE, and is counted. */
	for (uint64_t g = first; g < frames; g++)
		table[g] = HV_PAGE_VOLATILE;
	r = (int64_t)call(HV_HC_RESET, 0, 0, 0, 0);
	EXPECT_EQ(r, count);
	EXPECT_EQ(in_state(HV_PAGE_STABLE), frames);
	/* The table is unregistered: registered again, it holds the states. */
	memset((void *)table, JUNK, tpages << PAGE_SHIFT);
	r = (int64_t)call(HV_HC_REGISTER_TABLE, (uint64_t)table, frames, 0, 0);
	EXPECT_EQ(r, 0);
	EXPECT_EQ(bytes_not(table, 0, frames, HV_PAGE_STABLE), 0);
	asm volatile("cli");
	apic_wr(APIC_LVT_TIMER, TIMER_VEC | LVT_MASKED);
	gprintf("range, table, counts and reset over %lu frames complete; timer period %lu TSC ticks: "
		"%lu interrupts, %lu of them at the VMCALL of a call in progress\n", frames, period,
		ticks, at_vmcall);
	EXPECT(at_vmcall > 0);
}
