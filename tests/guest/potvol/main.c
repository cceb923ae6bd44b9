/* SPDX-License-Identifier: MIT */
/*
 * potvol: POT_VOLATILE pages are dropped only while clean. Four sets:
 *   A  hinted P by hypercall (single, range, batch), then written: dirty,
 *      so the host must page them out (content kept, STABLE from then on);
 *   B  hinted P by hypercall, left alone: clean, dropped, and the next
 *      touch raises a discard fault;
 *   C  hinted P in the shared table, then CAS 3 -> 0 and written (the table
 *      protocol for writing a hinted page): kept;
 *   D  hinted P in the shared table, left alone: dropped, discard fault.
 * Pressure until none of them is resident; then A and C must be STABLE and
 * PRESERVED, B and D discarded, and every page is read once: A and C read
 * what was written after the hint without a fault; B and D fault exactly
 * once and are re-created by the handler. (The other guests reclaim all the
 * time: a B page paged out before its hint is dropped at the hint and
 * faults like the others; a D page paged out before its table hint is seen
 * only at its page-in and reads back intact; an A/C page dropped before its
 * second write is counted apart.) The stats must count every P drop we were told of, no more.
 */
#include "hvtest.h"

const char test_title[] = "potvol: dirty POT_VOLATILE pages are kept, clean ones dropped";

#define SUB 32            /* pages per API in A and B */
#define NA (3 * SUB)
#define NB (3 * SUB)
#define NC 64
#define ND 64
#define NPAGES (NA + NB + NC + ND)

enum set { SET_A, SET_B, SET_C, SET_D };
static const char *const set_name[4] = {
	"A (hypercall, written after the hint)", "B (hypercall, clean)",
	"C (table, CAS to STABLE and written)", "D (table, clean)",
};
static const uint64_t set_size[4] = { NA, NB, NC, ND };
static uint64_t base;
static struct hog hog;
static uint8_t nfaults[NPAGES];

static enum set set_of(uint64_t i)
{
	return i < NA ? SET_A : i < NA + NB ? SET_B : i < NA + NB + NC ? SET_C : SET_D;
}

static void on_discard(volatile struct hv_ve_info *ve)
{
	uint64_t g = ve->gpa >> PAGE_SHIFT, i = g - base;
	int64_t r;

	if (g < base || i >= NPAGES) {
		test_fail("discard fault on gfn %#lx outside the test pages", g);
		hv_set_state(g, HV_PAGE_STABLE);
		ve->busy = 0;
		return;
	}
	nfaults[i]++;
	if (set_of(i) >= SET_C) {
		uint8_t b = tbl_cmpxchg(g, HV_PAGE_POT_VOLATILE | HV_TABLE_DISCARDED, HV_PAGE_STABLE);

		if (b != (HV_PAGE_POT_VOLATILE | HV_TABLE_DISCARDED)) {
			test_fail("discard fault on %#lx, table byte %#x", g, b);
			hv_set_state(g, HV_PAGE_STABLE);
		}
	} else {
		r = hv_set_state(g, HV_PAGE_STABLE);
		if (r < 0 || !(r & HV_RES_DISCARDED) || HV_RES_OLD_STATE(r) != HV_PAGE_POT_VOLATILE)
			test_fail("discard fault on %#lx: set_state(S) = %#lx", g, r);
	}
	page_fill(g, 1); /* re-create: the content from before the hint */
	ve->busy = 0;
}

/* Hint [first, first + n) POT_VOLATILE with api 0 single, 1 range, 2 batch, 3 table. */
static void hint_pv(unsigned int api, uint64_t first, uint64_t n)
{
	uint64_t e[SUB];
	int64_t r;

	switch (api) {
	case 0:
		for (uint64_t g = first; g < first + n; g++) {
			r = hv_set_state(g, HV_PAGE_POT_VOLATILE);
			if (r < 0 || HV_RES_OLD_STATE(r) != HV_PAGE_STABLE)
				test_fail("set_state(%#lx, P) = %#lx", g, r);
		}
		break;
	case 1:
		r = hv_set_range(first, n, HV_PAGE_POT_VOLATILE);
		if (r != (int64_t)n)
			test_fail("set_range(%#lx, %lu, P) = %ld", first, n, r);
		break;
	case 2:
		for (uint64_t i = 0; i < n; i++)
			e[i] = HV_BATCH_ENTRY(first + i, HV_PAGE_POT_VOLATILE);
		r = hv_batch(e, (unsigned int)n);
		if (r != (int64_t)n)
			test_fail("set_batch(%lu) = %ld", n, r);
		for (uint64_t i = 0; i < n; i++)
			if (HV_BATCH_GFN(e[i]) != first + i || (e[i] & HV_BATCH_ERR) ||
			    HV_RES_OLD_STATE(e[i]) != HV_PAGE_STABLE)
				test_fail("batch entry %lu: %#lx", i, e[i]);
		break;
	default:
		for (uint64_t g = first; g < first + n; g++)
			if (!tbl_cas(g, HV_PAGE_STABLE, HV_PAGE_POT_VOLATILE))
				test_fail("table CAS 0 -> 3 on %#lx failed: %#x", g, tbl_get(g));
	}
}

void test_main(void)
{
	uint64_t a = 0, b, c, d, faults[4] = { 0 }, bad[4] = { 0 }, wrong_state[4] = { 0 };
	uint64_t early[4] = { 0 }, nout = 0;
	static bool was_out[NPAGES];
	uint64_t watch[1][2];
	struct hv_vm_stats s0, s1;

	table_register();
	ve_register(on_discard);
	base = alloc_frames(NPAGES);
	hog_init_rest(&hog);
	a = base;
	b = a + NA;
	c = b + NB;
	d = c + NC;
	watch[0][0] = base;
	watch[0][1] = NPAGES;
	gprintf("test pages %#lx-%#lx, hog of %lu frames (%lu MiB)\n", base, base + NPAGES, hog.n,
		hog.n >> 8);

	stats_get(&s0);
	uint64_t ve_s0 = ve_count;
	/*
	 * A, B: written, hinted, and (A only) written again at once, a chunk of
	 * 4 pages at a time. The other guests reclaim all the time: a page the
	 * host dropped (clean) before our second write raises a discard fault in
	 * that write; it is then STABLE and tells nothing about dirty P pages,
	 * so it is counted apart. A table-hinted D page paged out before its hint
	 * is not dropped (the host sees the byte only at page-in): it reads back
	 * intact. A hypercall-hinted B page is dropped at the hint.
	 */
	for (unsigned int api = 0; api < 3; api++) {
		for (uint64_t k = 0; k < SUB; k += 4) {
			uint64_t ca = a + api * SUB + k, cb = b + api * SUB + k;

			for (uint64_t j = 0; j < 4; j++) {
				page_fill(ca + j, 1);
				page_fill(cb + j, 1);
			}
			hint_pv(api, ca, 4);
			hint_pv(api, cb, 4);
			for (uint64_t j = 0; j < 4; j++) {
				uint64_t before = ve_count;

				page_fill(ca + j, 2);
				if (ve_count != before)
					early[SET_A]++;
			}
		}
	}
	/* C, D: written and hinted in the table; then C taken back by CAS 3 -> 0 and written. */
	for (uint64_t g = c; g < d + ND; g++) {
		page_fill(g, 1);
		hint_pv(3, g, 1);
	}
	for (uint64_t g = c; g < c + NC; g++) {
		uint8_t byte = tbl_cmpxchg(g, HV_PAGE_POT_VOLATILE, HV_PAGE_STABLE);

		if (byte == (HV_PAGE_POT_VOLATILE | HV_TABLE_DISCARDED)) {
			/* Dropped before we took it back: the protocol says it is gone. */
			early[SET_C]++;
			if (!tbl_cas(g, byte, HV_PAGE_STABLE) || !page_is_zero(g))
				test_fail("C: gfn %#lx: 0x83 -> 0 failed, or the page is not zero", g);
		} else if (byte != HV_PAGE_POT_VOLATILE) {
			test_fail("C: table byte of %#lx was %#x, expected 3", g, byte);
		}
		page_fill(g, 2);
	}
	/* Host state of B and D now: a page not in host memory cannot be dropped any more. */
	for (uint64_t i = NA; i < NPAGES; i++) {
		int64_t r = hv_get_state(base + i);

		if (set_of(i) == SET_C)
			continue;
		was_out[i] = r >= 0 && HV_RES_HOST_STATE(r) == HV_HOST_PRESERVED;
		nout += was_out[i];
	}

	hog_touch(&hog, hog.n);
	if (!hog_until(&hog, watch, 1, HOST_OUT_M, 128, 8 * hog.n))
		test_fail("test pages still resident after touching %lu frames", 8 * hog.n);

	/* What the host says now: A, C STABLE (reuse / CAS); B, D discarded or paged out. */
	for (uint64_t i = 0; i < NPAGES; i++) {
		int64_t r = hv_get_state(base + i);
		enum set s = set_of(i);
		bool ok;

		if (s == SET_A || s == SET_C) /* paged out, content kept */
			ok = r >= 0 && HV_RES_OLD_STATE(r) == HV_PAGE_STABLE && !(r & HV_RES_DISCARDED) &&
			     HV_RES_HOST_STATE(r) == HV_HOST_PRESERVED;
		else if (was_out[i])
			ok = r >= 0 && HV_RES_OLD_STATE(r) == HV_PAGE_POT_VOLATILE &&
			     HV_RES_HOST_STATE(r) == HV_HOST_PRESERVED;
		else
			ok = r >= 0 && HV_RES_OLD_STATE(r) == HV_PAGE_POT_VOLATILE &&
			     (r & HV_RES_DISCARDED) && HV_RES_HOST_STATE(r) == HV_HOST_ZERO;
		if (!ok && wrong_state[s]++ < 2)
			test_fail("%s: gfn %#lx has state word %#lx after pressure", set_name[s],
				  base + i, r);
	}

	/* Touch every page once. */
	for (uint64_t i = 0; i < NPAGES; i++) {
		uint64_t g = base + i, before = ve_count;
		enum set s = set_of(i);
		uint64_t gen = s == SET_A || s == SET_C ? 2 : 1;
		uint64_t w0 = gfn_ptr(g)[0];
		unsigned int f = (unsigned int)(ve_count - before);

		faults[s] += f;
		if (w0 != page_word(g, 0, gen) || page_diff(g, gen)) {
			if (bad[s]++ < 3)
				test_fail("%s: gfn %#lx: %s, content %s", set_name[s], g,
					  f ? "discard fault" : "no fault",
					  page_diff(g, 1) == 0 ? "from before the hint" : "wrong");
		}
		if ((s == SET_B || s == SET_D) && f != !was_out[i])
			test_fail("%s: gfn %#lx: %u discard faults, expected %u", set_name[s], g, f,
				  !was_out[i]);
		if ((s == SET_A || s == SET_C) && f != 0 && faults[s] <= 3)
			test_fail("%s: gfn %#lx: discard fault on a page written after the hint",
				  set_name[s], g);
	}
	stats_get(&s1);
	for (unsigned int s = 0; s < 4; s++)
		gprintf("%s: %lu pages, %lu discard faults, %lu with wrong content, %lu in an "
			"unexpected state\n", set_name[s], set_size[s], faults[s], bad[s], wrong_state[s]);
	gprintf("dropped before the second write: A %lu, C %lu (not counted above); pages "
		"paged out before the hint: %lu\n", early[SET_A], early[SET_C], nout);
	gprintf("stats: drops_pot_volatile +%lu, discard_faults +%lu (seen %lu), page-outs +%lu, "
		"reuse_detected +%lu\n", s1.drops_pot_volatile - s0.drops_pot_volatile,
		s1.discard_faults - s0.discard_faults, ve_count - ve_s0, s1.page_outs - s0.page_outs,
		s1.reuse_detected - s0.reuse_detected);
	for (unsigned int s = 0; s < 4; s++) {
		EXPECT_EQ(bad[s], 0);
		EXPECT_EQ(wrong_state[s], 0);
	}
	EXPECT_EQ(faults[SET_A] + faults[SET_C], 0);
	EXPECT(faults[SET_B] > 0);
	EXPECT(faults[SET_D] > 0);
	/* Every drop of a P page reached us once: a discard fault, or 0x83 in the table. */
	EXPECT_EQ(s1.discard_faults - s0.discard_faults, ve_count - ve_s0);
	EXPECT_EQ(s1.drops_pot_volatile - s0.drops_pot_volatile, ve_count - ve_s0 + early[SET_C]);
	EXPECT(s1.page_outs > s0.page_outs);
	/* A was written after a hypercall hint: the host must see it as reuse when it evicts it. */
	EXPECT(s1.reuse_detected - s0.reuse_detected >= NA - early[SET_A]);
}
