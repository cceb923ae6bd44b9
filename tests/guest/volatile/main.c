/* SPDX-License-Identifier: MIT */
/*
 * volatile: pages hinted VOLATILE (single call, range, batch, shared table;
 * 128 pages each) with known content. Pressure drops some of them. Then
 * every page is touched once, by a read, a write or an instruction fetch:
 * a dropped page raises exactly one discard fault (#VE) whose area names
 * the access (gpa, gla, access bits); the handler makes the page STABLE (by
 * hypercall, or by CAS 0x82 -> 0 for table pages), re-creates the content,
 * clears busy, and the access completes. A page that was not dropped reads
 * back intact. Never silently wrong, never silently zero. Round 1 stops the
 * pressure when a quarter of the hypercall-hinted pages are gone (table
 * pages, which need two reclaim passes, get a head start), round 2 when no
 * VOLATILE page is left in host memory. The stats must count exactly the
 * discard faults we took, and as many volatile drops as we were told of
 * (faults, plus pages found discarded when made STABLE at the end).
 */
#include "hvtest.h"
#include <string.h>

const char test_title[] = "volatile: dropped VOLATILE pages raise one discard fault each";

#define GROUP 128
#define NGROUPS 4
#define NPAGES (GROUP * NGROUPS)
#define TABLE_GROUP 3

static const char *const api_name[NGROUPS] = { "single", "range", "batch", "table" };
static uint64_t vbase;
static struct hog hog;
static uint8_t nfaults[NPAGES];
static uint64_t ve_gpa, ve_gla, ve_qual;
static uint64_t gen = 1;
static bool gla_known; /* AMD's nested page faults report no linear address */

enum access { ACC_READ, ACC_WRITE, ACC_FETCH };

/* The #VE handler: page back to STABLE, content re-created, busy cleared. */
static void on_discard(volatile struct hv_ve_info *ve)
{
	uint64_t g = ve->gpa >> PAGE_SHIFT, i = g - vbase;
	int64_t r;

	ve_gpa = ve->gpa;
	ve_gla = ve->gla;
	ve_qual = ve->exit_qual;
	if (g < vbase || i >= NPAGES) {
		test_fail("discard fault on gfn %#lx outside the volatile pages", g);
		hv_set_state(g, HV_PAGE_STABLE);
		ve->busy = 0;
		return;
	}
	nfaults[i]++;
	if (i / GROUP == TABLE_GROUP) {
		uint8_t b = tbl_cmpxchg(g, HV_PAGE_VOLATILE | HV_TABLE_DISCARDED, HV_PAGE_STABLE);

		if (b != (HV_PAGE_VOLATILE | HV_TABLE_DISCARDED)) {
			test_fail("discard fault on %#lx, but its table byte is %#x", g, b);
			hv_set_state(g, HV_PAGE_STABLE);
		}
	} else {
		r = hv_set_state(g, HV_PAGE_STABLE);
		if (r < 0 || !(r & HV_RES_DISCARDED) || HV_RES_OLD_STATE(r) != HV_PAGE_VOLATILE ||
		    HV_RES_HOST_STATE(r) != HV_HOST_ZERO)
			test_fail("discard fault on %#lx: set_state(STABLE) = %#lx, expected V, ZERO, "
				  "DISCARDED", g, r);
	}
	page_fill(g, gen);
	ve->busy = 0;
}

static void hint_volatile(unsigned int api, uint64_t first, uint64_t n)
{
	uint64_t e[GROUP];
	int64_t r;

	switch (api) {
	case 0:
		for (uint64_t g = first; g < first + n; g++) {
			r = hv_set_state(g, HV_PAGE_VOLATILE);
			if (r < 0 || HV_RES_OLD_STATE(r) != HV_PAGE_STABLE || (r & HV_RES_DISCARDED))
				test_fail("set_state(%#lx, V) = %#lx", g, r);
		}
		break;
	case 1:
		r = hv_set_range(first, n, HV_PAGE_VOLATILE);
		if (r != (int64_t)n)
			test_fail("set_range(%#lx, %lu, V) = %ld", first, n, r);
		break;
	case 2:
		for (uint64_t i = 0; i < n; i++)
			e[i] = HV_BATCH_ENTRY(first + i, HV_PAGE_VOLATILE);
		r = hv_batch(e, (unsigned int)n);
		if (r != (int64_t)n)
			test_fail("set_batch(%lu) = %ld", n, r);
		for (uint64_t i = 0; i < n; i++)
			if (HV_BATCH_GFN(e[i]) != first + i || (e[i] & (HV_BATCH_ERR | HV_RES_DISCARDED)) ||
			    HV_RES_OLD_STATE(e[i]) != HV_PAGE_STABLE)
				test_fail("batch entry %lu: %#lx", i, e[i]);
		break;
	default:
		for (uint64_t g = first; g < first + n; g++)
			if (!tbl_cas(g, HV_PAGE_STABLE, HV_PAGE_VOLATILE))
				test_fail("table CAS 0 -> 2 on %#lx failed: %#x", g, tbl_get(g));
	}
}

static uint64_t dropped_now(void)
{
	struct hv_vm_stats st;

	stats_get(&st);
	return st.pages[HV_PAGE_VOLATILE][HV_HOST_ZERO];
}

static uint64_t table_dropped(void)
{
	uint64_t n = 0, first = vbase + TABLE_GROUP * GROUP;

	for (uint64_t g = first; g < first + GROUP; g++)
		n += tbl_get(g) == (HV_PAGE_VOLATILE | HV_TABLE_DISCARDED);
	return n;
}

/* Touch page i once with the given access; returns the faults it took. */
static unsigned int touch(uint64_t i, enum access acc)
{
	uint64_t g = vbase + i, addr = g << PAGE_SHIFT, before = ve_count;
	volatile uint64_t *w = gfn_ptr(g);
	uint64_t expect_qual;

	switch (acc) {
	case ACC_WRITE:
		addr += 24;
		w[3] = page_word(g, 3, gen);
		expect_qual = 2;
		break;
	case ACC_FETCH:
		((void (*)(void))(uintptr_t)addr)(); /* word 0 begins with RET */
		expect_qual = 4;
		break;
	default:
		if (w[0] != page_word(g, 0, gen))
			test_fail("gfn %#lx: word 0 read %#lx without a fault", g, w[0]);
		expect_qual = 1;
	}
	if (ve_count != before) {
		if (ve_gpa != addr || ve_gla != (gla_known ? addr : 0) || ve_qual != expect_qual)
			test_fail("gfn %#lx: #VE gpa %#lx gla %#lx qual %#lx, expected %#lx %#lx %#lx", g,
				  ve_gpa, ve_gla, ve_qual, addr, gla_known ? addr : 0, expect_qual);
	}
	return (unsigned int)(ve_count - before);
}

/* Make every page STABLE again; returns how many had been dropped meanwhile. */
static uint64_t all_stable(void)
{
	uint64_t late = 0;

	for (uint64_t i = 0; i < NPAGES; i++) {
		uint64_t g = vbase + i;

		if (i / GROUP == TABLE_GROUP) {
			uint8_t b = tbl_cmpxchg(g, HV_PAGE_VOLATILE, HV_PAGE_STABLE);

			if (b == (HV_PAGE_VOLATILE | HV_TABLE_DISCARDED)) {
				late++;
				if (!tbl_cas(g, b, HV_PAGE_STABLE) || !page_is_zero(g))
					test_fail("gfn %#lx: 0x82 -> 0 failed or page not zero", g);
				page_fill(g, gen);
			} else if (b != HV_PAGE_VOLATILE && b != HV_PAGE_STABLE) {
				test_fail("gfn %#lx: table byte %#x", g, b);
			}
		} else {
			int64_t r = hv_set_state(g, HV_PAGE_STABLE);

			if (r < 0)
				test_fail("set_state(%#lx, S) = %ld", g, r);
			else if (r & HV_RES_DISCARDED) {
				late++;
				if (!page_is_zero(g))
					test_fail("gfn %#lx: discarded, but does not read zeros", g);
				page_fill(g, gen);
			}
		}
	}
	return late;
}

/* Pressure in steps of 32 frames until cond() holds; false after 4 hog lengths. */
static bool pressure(bool (*cond)(void), uint64_t *steps)
{
	for (uint64_t k = 0; k < 4 * hog.n / 32; k++, (*steps)++) {
		if (cond())
			return true;
		hog_touch(&hog, 32);
	}
	return cond();
}

/* No VOLATILE page left in host memory: nothing more can be dropped. */
static bool none_resident(void)
{
	struct hv_vm_stats st;

	stats_get(&st);
	return st.pages[HV_PAGE_VOLATILE][HV_HOST_RESIDENT] == 0;
}

static bool table_quarter(void)
{
	return table_dropped() >= GROUP / 4 || none_resident();
}

static bool calls_quarter(void)
{
	uint64_t d = dropped_now(), t = table_dropped();

	return (d > t && d - t >= 3 * GROUP / 4) || none_resident();
}

/*
 * Hypercall hints interleaved by chunks of 4, so partial pressure hits every
 * API. Each chunk is written right before its hint, so that it is resident
 * then and the drop happens under pressure (a hypercall hint on a page the
 * host already paged out drops it at once).
 */
static void hint_calls(void)
{
	for (uint64_t c = 0; c < GROUP; c += 4) {
		for (unsigned int api = 0; api < TABLE_GROUP; api++) {
			for (uint64_t k = 0; k < 4; k++)
				page_fill(vbase + api * GROUP + c + k, gen);
			hint_volatile(api, vbase + api * GROUP + c, 4);
		}
	}
}

static void hint_table(uint64_t first, uint64_t n)
{
	for (uint64_t g = first; g < first + n; g++) {
		page_fill(g, gen);
		hint_volatile(TABLE_GROUP, g, 1);
	}
}

static uint64_t total_by_group[NGROUPS];

static void vround(int nr, bool all)
{
	uint64_t faults_by_group[NGROUPS] = { 0 }, intact_by_group[NGROUPS] = { 0 };
	uint64_t predicted = 0, steps = 0, late, host_stable = 0;
	struct hv_vm_stats s0, s1;
	static bool done[NPAGES];

	stats_get(&s0);
	/*
	 * Table hints need two reclaim passes (seen, then dropped): give them a
	 * head start. Pages are written right before their hint, so that they
	 * are resident (a byte-only hint on a page already paged out is seen
	 * at its page-in, which keeps the content).
	 */
	uint64_t ve_s0 = ve_count;
	hint_table(vbase + TABLE_GROUP * GROUP, GROUP / 2);
	if (!all && !pressure(table_quarter, &steps))
		test_fail("round %d: table pages not dropped", nr);
	hint_table(vbase + NPAGES - GROUP / 2, GROUP / 2);
	hint_calls();
	/* Round 1: until a quarter of the hypercall pages are gone; round 2: all there is. */
	if (!pressure(all ? none_resident : calls_quarter, &steps))
		test_fail("round %d: only %lu of %u pages dropped", nr, dropped_now(), NPAGES);
	/* (Printed later: console output exits, and other guests would reclaim meanwhile.) */
	uint64_t dropped_at_stop = dropped_now(), table_at_stop = table_dropped();

	/*
	 * Touch every page once: first those whose table byte says they are not
	 * discarded, without any exit in between (the other guests cannot run
	 * and reclaim meanwhile, so most of them are still there), then the rest,
	 * each after asking call 6 too. (The table covers all of RAM: the host
	 * marks hypercall-hinted pages 0x82 as well.)
	 */
	memset(nfaults, 0, sizeof(nfaults));
	memset(done, 0, sizeof(done));
	uint64_t ve0 = ve_count;
	for (int pass = 0; pass < 2; pass++) {
		for (uint64_t i = 0; i < NPAGES; i++) {
			uint64_t g = vbase + i;
			uint8_t b = tbl_get(g);
			bool disc = b == (HV_PAGE_VOLATILE | HV_TABLE_DISCARDED);
			enum access acc = i % 8 == 3 ? ACC_FETCH : i % 8 == 6 ? ACC_WRITE : ACC_READ;
			unsigned int f, d, nf0;

			if (done[i] || (pass == 0 && disc))
				continue;
			done[i] = true;
			if (pass == 1) {
				int64_t r = hv_get_state(g);

				if (r < 0 || HV_RES_OLD_STATE(r) != HV_PAGE_VOLATILE ||
				    !(r & HV_RES_DISCARDED) || HV_RES_HOST_STATE(r) != HV_HOST_ZERO)
					test_fail("gfn %#lx: table byte 0x82, but call 6 says %#lx", g, r);
			}
			/*
			 * STABLE: the host took a write for reuse and kept the page
			 * (a table byte that went 2 -> 0 -> 2 unseen by the host looks
			 * like that): it must read back intact.
			 */
			if (b == HV_PAGE_STABLE)
				host_stable++;
			else if (b != HV_PAGE_VOLATILE && !disc)
				test_fail("gfn %#lx: table byte %#x before the touch", g, b);
			predicted += disc;
			nf0 = nfaults[i];
			f = touch(i, acc);
			if (f > 1 || nfaults[i] - nf0 != f)
				test_fail("gfn %#lx: %u discard faults for one access", g, f);
			/*
			 * The host may drop the page again right after the touch
			 * (e.g. the time slice ends and reclaim runs; with FIFO
			 * ageing even a page just used): the check below then
			 * takes a fault of its own and re-creates the page.
			 */
			d = page_diff(g, gen);
			if (disc && f == 0)
				test_fail("gfn %#lx: reported discarded, but the access did not fault", g);
			if (d)
				test_fail("gfn %#lx: %u words wrong after the access (%s)", g, d,
					  f ? "re-created" : "no fault");
			faults_by_group[i / GROUP] += f;
			intact_by_group[i / GROUP] += !f && !d;
		}
	}
	uint64_t seen = ve_count - ve0;
	gprintf("round %d: %lu of %u volatile pages dropped (%lu of the table group) after %lu "
		"hog frames\n", nr, dropped_at_stop, NPAGES, table_at_stop, steps * 32);
	late = all_stable();
	/* Second touch: everything is STABLE now, no fault anywhere. */
	uint64_t ve1 = ve_count;
	for (uint64_t i = 0; i < NPAGES; i++)
		if (page_diff(vbase + i, gen))
			test_fail("gfn %#lx: wrong on the second read", vbase + i);
	stats_get(&s1);
	for (unsigned int api = 0; api < NGROUPS; api++)
		gprintf("round %d: %-6s: %lu discard faults, %lu intact without a fault\n", nr,
			api_name[api], faults_by_group[api], intact_by_group[api]);
	gprintf("round %d: %lu discard faults (%lu predicted by the table), %lu dropped after the "
		"touch, %lu made STABLE by the host\n", nr, seen, predicted, late, host_stable);
	gprintf("round %d: stats: discard_faults +%lu, drops_volatile +%lu\n", nr,
		s1.discard_faults - s0.discard_faults, s1.drops_volatile - s0.drops_volatile);
	EXPECT_EQ(ve_count - ve1, 0);
	EXPECT_EQ(ve_count - ve_s0, seen); /* no discard fault while writing or hinting */
	EXPECT(seen >= predicted);
	EXPECT(seen > 0);
	EXPECT_EQ(s1.discard_faults - s0.discard_faults, seen);
	EXPECT_EQ(s1.drops_volatile - s0.drops_volatile, seen + late);
	for (unsigned int api = 0; api < NGROUPS; api++)
		total_by_group[api] += faults_by_group[api];
	gen++;
}

void test_main(void)
{
	struct hv_vm_stats st;
	uint32_t a, b, c, d;

	/* ABI.md §7: gla is 0 where the host CPU does not report it (AMD). */
	cpuid(0, &a, &b, &c, &d);
	gla_known = !(b == 0x68747541 && d == 0x69746e65 && c == 0x444d4163); /* "AuthenticAMD" */
	table_register();
	ve_register(on_discard);
	vbase = alloc_frames(NPAGES);
	hog_init_rest(&hog);
	gprintf("volatile pages %#lx-%#lx, hog of %lu frames (%lu MiB)\n", vbase, vbase + NPAGES,
		hog.n, hog.n >> 8);
	vround(1, false);
	vround(2, true);
	for (unsigned int api = 0; api < NGROUPS; api++)
		if (!total_by_group[api])
			test_fail("no %s page was ever dropped", api_name[api]);
	stats_get(&st);
	stats_print("total", &st);
	EXPECT_EQ(st.discard_faults, ve_count);
}
