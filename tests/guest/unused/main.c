/* SPDX-License-Identifier: MIT */
/*
 * unused: pages hinted UNUSED are dropped, never written to the paging
 * device, and a page the guest takes back keeps what it writes.
 *
 * Phase 1: 512 pages with content; half of them hinted UNUSED through each
 * API (single call, range, batch, shared table: 64 pages each), the other
 * half stay STABLE. Pressure until every hinted page is gone from host
 * memory. Each hinted page must be ZERO (dropped), not PRESERVED (paged
 * out; only a table-hinted page the host paged out before it saw the hint
 * may be); drops_unused must count exactly the pages that can have been
 * dropped; page-outs can only come from STABLE pages; the stable half reads
 * back intact; a hinted page reads its old content or zeros, nothing else.
 *
 * Phase 2: take hinted pages back. Hypercall-hinted pages are written without
 * any call, once while still resident (reuse seen through the dirty bit) and
 * once after the host dropped them (zero-filled on touch); table-hinted pages
 * are CASed back to STABLE first (the shared-table protocol). Pressure twice:
 * everything written after the hint reads back exactly.
 */
#include "hvtest.h"

const char test_title[] = "unused: UNUSED pages are dropped, reused pages are kept";

#define GROUP 64   /* phase 1: pages per API */
#define RGROUP 32  /* phase 2: pages per hypercall API */
#define CHUNK 4    /* pages written, then hinted, at a time */

static struct hog hog;

/* Hint [first, first + n) UNUSED with api 0 single, 1 range, 2 batch, 3 table. */
static void hint_unused(unsigned int api, uint64_t first, uint64_t n)
{
	uint64_t e[HV_BATCH_MAX];
	int64_t r;

	switch (api) {
	case 0:
		for (uint64_t g = first; g < first + n; g++) {
			r = hv_set_state(g, HV_PAGE_UNUSED);
			if (r < 0 || HV_RES_OLD_STATE(r) != HV_PAGE_STABLE || (r & HV_RES_DISCARDED))
				test_fail("set_state(%#lx, U) = %#lx", g, r);
		}
		break;
	case 1:
		r = hv_set_range(first, n, HV_PAGE_UNUSED);
		if (r != (int64_t)n)
			test_fail("set_range(%#lx, %lu, U) = %ld, expected %lu changed", first, n, r, n);
		break;
	case 2:
		for (uint64_t i = 0; i < n; i++)
			e[i] = HV_BATCH_ENTRY(first + i, HV_PAGE_UNUSED);
		r = hv_batch(e, (unsigned int)n);
		if (r != (int64_t)n)
			test_fail("set_batch(%lu entries) = %ld", n, r);
		for (uint64_t i = 0; i < n; i++)
			if (HV_BATCH_GFN(e[i]) != first + i || (e[i] & HV_BATCH_ERR) ||
			    HV_RES_OLD_STATE(e[i]) != HV_PAGE_STABLE || (e[i] & HV_RES_DISCARDED))
				test_fail("batch entry %lu: %#lx", i, e[i]);
		break;
	default:
		for (uint64_t g = first; g < first + n; g++)
			if (!tbl_cas(g, HV_PAGE_STABLE, HV_PAGE_UNUSED))
				test_fail("table CAS 0 -> 1 on %#lx failed: byte %#x", g, tbl_get(g));
		break;
	}
}

static const char *const api_name[4] = { "single", "range", "batch", "table" };

static void phase1(uint64_t base)
{
	uint64_t hinted = 4 * GROUP, total = 2 * hinted, ctl = base + hinted;
	uint64_t must_drop = 0, may_drop = 0, preserved_before = 0, bad = 0, zero = 0, kept = 0;
	const uint64_t watch[1][2] = { { base, hinted } };
	struct hv_vm_stats s0, s1, s2;
	bool ok;

	stats_get(&s0);
	for (uint64_t g = ctl; g < base + total; g++)
		page_fill(g, 1);
	for (unsigned int api = 0; api < 4; api++) {
		uint64_t first = base + api * GROUP;

		/*
		 * Written right before the hint (chunks of CHUNK pages), so that the
		 * pages are resident then: the other guests reclaim all the time.
		 */
		for (uint64_t c = first; c < first + GROUP; c += CHUNK) {
			for (uint64_t g = c; g < c + CHUNK; g++)
				page_fill(g, 1);
			hint_unused(api, c, CHUNK);
		}
		/* Host state right after the hint: a page resident now must be dropped. */
		for (uint64_t g = first; g < first + GROUP; g++) {
			int64_t r = hv_get_state(g);

			if (r < 0 || HV_RES_OLD_STATE(r) != HV_PAGE_UNUSED) {
				test_fail("%s: gfn %#lx has state word %#lx after the hint", api_name[api],
					  g, r);
				continue;
			}
			switch (HV_RES_HOST_STATE(r)) {
			case HV_HOST_RESIDENT:
				must_drop++;
				may_drop++;
				break;
			case HV_HOST_PRESERVED:
				/* Paged out while STABLE, before the hint. A hypercall frees the slot. */
				if (api != 3)
					test_fail("%s: gfn %#lx still PRESERVED after UNUSED", api_name[api], g);
				preserved_before++;
				break;
			default:
				may_drop++; /* dropped already, or never resident at the hint */
			}
		}
	}
	stats_get(&s1);
	/* Pressure: the whole hog (more than the pool), then until no hinted page is resident. */
	hog_touch(&hog, hog.n);
	ok = hog_until(&hog, watch, 1, HOST_OUT_M, 256, 8 * hog.n);
	stats_get(&s2);
	if (!ok)
		test_fail("hinted pages still resident after touching %lu frames", 8 * hog.n);

	/* Nothing hinted went to the paging device: all ZERO (except pre-hint page-outs). */
	uint64_t zero_now = 0, pres_now = 0;
	for (uint64_t g = base; g < base + hinted; g++) {
		int64_t r = hv_get_state(g);

		if (HV_RES_HOST_STATE(r) == HV_HOST_ZERO)
			zero_now++;
		else if (HV_RES_HOST_STATE(r) == HV_HOST_PRESERVED)
			pres_now++;
	}
	gprintf("phase 1: %lu pages hinted UNUSED (%lu resident at the hint, %lu paged out before "
		"it); after pressure %lu ZERO, %lu PRESERVED\n", hinted, must_drop, preserved_before,
		zero_now, pres_now);
	EXPECT_EQ(pres_now, preserved_before);
	EXPECT_EQ(zero_now + pres_now, hinted);
	EXPECT_EQ(s2.pages[HV_PAGE_UNUSED][HV_HOST_PRESERVED], preserved_before);

	uint64_t drops = s2.drops_unused - s0.drops_unused;
	gprintf("phase 1: drops_unused %lu (expected %lu..%lu), page-outs %lu, stable pages "
		"resident before %lu, made resident since %lu\n", drops, must_drop, may_drop,
		s2.page_outs - s1.page_outs, s1.pages[HV_PAGE_STABLE][HV_HOST_RESIDENT],
		(s2.zero_fills - s1.zero_fills) + (s2.page_ins - s1.page_ins));
	EXPECT(drops > 0);
	EXPECT(drops >= must_drop && drops <= may_drop);
	/* Only STABLE pages are paged out: each page-out needs a stable resident page. */
	EXPECT(s2.page_outs - s1.page_outs <= s1.pages[HV_PAGE_STABLE][HV_HOST_RESIDENT] +
						      (s2.zero_fills - s1.zero_fills) +
						      (s2.page_ins - s1.page_ins));
	EXPECT(s2.page_outs > s1.page_outs);

	/* The stable half is intact; a dropped UNUSED page reads zeros (or its old content). */
	for (uint64_t g = ctl; g < ctl + hinted; g++)
		if (page_diff(g, 1) && bad++ < 5)
			test_fail("stable gfn %#lx lost its content", g);
	for (uint64_t g = base; g < base + hinted; g++) {
		/*
		 * An UNUSED page may be dropped at any time, even while we read it
		 * (it is still UNUSED when only read): each word is its old value
		 * or zero, and once a word reads zero the page has been zero-filled
		 * (and is STABLE): everything after it reads zero too.
		 */
		volatile uint64_t *w = gfn_ptr(g);
		unsigned int nold = 0, nzero = 0, badw = 0;

		for (unsigned int i = 0; i < WORDS_PER_PAGE; i++) {
			uint64_t v = w[i];

			if (v == 0)
				nzero++;
			else if (v == page_word(g, i, 1) && nzero == 0)
				nold++;
			else
				badw++;
		}
		if (badw)
			test_fail("UNUSED gfn %#lx: %u words neither old nor zero (or old after zero)", g,
				  badw);
		zero += nzero == WORDS_PER_PAGE;
		kept += nold == WORDS_PER_PAGE;
	}
	gprintf("phase 1: %lu stable pages intact, %lu bad; hinted pages read %lu zero, %lu old\n",
		hinted - bad, bad, zero, kept);
	EXPECT_EQ(bad, 0);
}

static void phase2(uint64_t base)
{
	/* R1, R2: hypercall-hinted (3 x RGROUP each); T1, T2: table-hinted (GROUP each). */
	uint64_t r1 = base, r2 = r1 + 3 * RGROUP, t1 = r2 + 3 * RGROUP, t2 = t1 + GROUP;
	uint64_t end = t2 + GROUP, n = end - base, lost[4] = { 0 };
	const uint64_t dropped[2][2] = { { r2, 3 * RGROUP }, { t2, GROUP } };
	const uint64_t all[1][2] = { { base, n } };
	struct hv_vm_stats s0, s1;

	stats_get(&s0);
	/*
	 * R1: written, hinted by hypercall, written again at once (no call): the
	 * host can only see the reuse through the dirty bit. (Which R1 pages
	 * were resident at the second write: for the report.) T1: written,
	 * hinted in the table, CASed back to STABLE, written again.
	 */
	static bool r1_res[3 * RGROUP];
	uint64_t r1_nres = 0, r1_lost_res = 0;
	for (unsigned int api = 0; api < 3; api++) {
		for (uint64_t c = r1 + api * RGROUP; c < r1 + (api + 1) * RGROUP; c += CHUNK) {
			for (uint64_t g = c; g < c + CHUNK; g++)
				page_fill(g, 1);
			hint_unused(api, c, CHUNK);
			for (uint64_t g = c; g < c + CHUNK; g++) {
				r1_res[g - r1] = HV_RES_HOST_STATE((uint64_t)hv_get_state(g)) ==
						 HV_HOST_RESIDENT;
				r1_nres += r1_res[g - r1];
				page_fill(g, 2);
			}
		}
	}
	for (uint64_t g = t1; g < t2; g++) {
		uint8_t b;

		page_fill(g, 1);
		hint_unused(3, g, 1);
		b = tbl_cmpxchg(g, HV_PAGE_UNUSED, HV_PAGE_STABLE);
		if (b != HV_PAGE_UNUSED && b != HV_PAGE_STABLE)
			test_fail("table byte of %#lx is %#x, expected UNUSED", g, b);
		page_fill(g, 2);
	}

	/* R2, T2: hinted, dropped (or paged out before the hint), then taken back. */
	for (uint64_t g = r2; g < t1; g++)
		page_fill(g, 1);
	for (unsigned int api = 0; api < 3; api++)
		hint_unused(api, r2 + api * RGROUP, RGROUP);
	for (uint64_t g = t2; g < end; g++)
		page_fill(g, 1);
	hint_unused(3, t2, GROUP);
	if (!hog_until(&hog, dropped, 2, HOST_OUT_M, 256, 8 * hog.n))
		test_fail("R2/T2 pages still resident after touching %lu frames", 8 * hog.n);
	for (uint64_t g = r2; g < t1; g++)
		page_fill(g, 2);
	for (uint64_t g = t2; g < end; g++) {
		uint8_t b = tbl_cmpxchg(g, HV_PAGE_UNUSED, HV_PAGE_STABLE);

		if (b != HV_PAGE_UNUSED && b != HV_PAGE_STABLE)
			test_fail("table byte of %#lx is %#x, expected UNUSED", g, b);
		page_fill(g, 2);
	}

	/* Two rounds of pressure; what we wrote after the hint must come back each time. */
	for (int round = 0; round < 2; round++) {
		hog_touch(&hog, hog.n);
		if (!hog_until(&hog, all, 1, HOST_OUT_M, 256, 8 * hog.n))
			test_fail("round %d: taken-back pages still resident", round);
		for (uint64_t g = base; g < end; g++) {
			unsigned int set = g < r2 ? 0 : g < t1 ? 1 : g < t2 ? 2 : 3;
			unsigned int d = page_diff(g, 2);

			if (d) {
				if (set == 0 && round == 0)
					r1_lost_res += r1_res[g - r1];
				if (lost[set]++ < 3)
					test_fail("round %d: %s gfn %#lx: %u words lost (word 0 %#lx, state "
						  "%#lx)", round,
						  (const char *[]){ "R1 written while resident",
								    "R2 written after the drop",
								    "T1 CAS+write while resident",
								    "T2 CAS+write after the drop" }[set],
						  g, d, gfn_ptr(g)[0], hv_get_state(g));
				page_fill(g, 2);
			}
		}
	}
	stats_get(&s1);
	gprintf("phase 2: R1: %lu of %u pages were still resident when written; %lu of those lost, "
		"%lu of the others lost\n", r1_nres, 3 * RGROUP, r1_lost_res, lost[0] - r1_lost_res);
	gprintf("phase 2: pages lost after reuse: R1 (dirty bit) %lu/%u, R2 (after drop) %lu/%u, "
		"T1 %lu/%u, T2 %lu/%u\n", lost[0], 3 * RGROUP, lost[1], 3 * RGROUP, lost[2], GROUP,
		lost[3], GROUP);
	gprintf("phase 2: reuse_detected +%lu, drops_unused +%lu, page-outs +%lu\n",
		s1.reuse_detected - s0.reuse_detected, s1.drops_unused - s0.drops_unused,
		s1.page_outs - s0.page_outs);
	for (unsigned int i = 0; i < 4; i++)
		EXPECT_EQ(lost[i], 0);
	/* R1 needs the dirty bit, R2 the zero-fill of an UNUSED page: both are reuse. */
	EXPECT(s1.reuse_detected - s0.reuse_detected >= 6 * RGROUP);
	for (uint64_t g = base; g < end; g++) {
		int64_t r = hv_get_state(g);

		if (r < 0 || HV_RES_OLD_STATE(r) != HV_PAGE_STABLE) {
			test_fail("gfn %#lx: state word %#lx after reuse, expected STABLE", g, r);
			break;
		}
	}
}

void test_main(void)
{
	uint64_t base1, base2;
	struct hv_vm_stats st;

	table_register();
	base1 = alloc_frames(8 * GROUP);
	base2 = alloc_frames(6 * RGROUP + 2 * GROUP);
	hog_init_rest(&hog);
	gprintf("test pages %#lx-%#lx, hog of %lu frames (%lu MiB)\n", base1,
		base2 + 6 * RGROUP + 2 * GROUP, hog.n, hog.n >> 8);
	phase1(base1);
	phase2(base2);
	stats_get(&st);
	stats_print("total", &st);
}
