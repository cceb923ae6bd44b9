/* SPDX-License-Identifier: MIT */
/*
 * race: make VOLATILE pages STABLE again while the host reclaims. Pages are
 * hinted VOLATILE by table CAS or by hypercall, and taken back one by one,
 * by table CAS 2 -> 0 or by call 3, with our own memory pressure in between
 * (a random amount before each page), so the host drops some of them first.
 * Whatever the answer, it must be true: "survived" means the content is
 * intact (read without any discard fault); "discarded" (the CAS finds 0x82,
 * or call 3 sets HV_RES_DISCARDED) means the page reads zeros once STABLE.
 * Both outcomes must occur for both ways back, and the host must have
 * counted exactly as many volatile drops as we were told about.
 */
#include "hvtest.h"

const char test_title[] = "race: taking VOLATILE pages back under pressure tells the truth";

#define QUARTER 64
#define NPAGES (4 * QUARTER)
#define ROUNDS 12

/* Page i: hinted by table (bit 0 clear) or call; taken back by table (bit 1 clear) or call. */
#define HINT_BY_CALL(i) (((i) / QUARTER) & 1)
#define BACK_BY_CALL(i) (((i) / QUARTER) >> 1 & 1)

static uint64_t base;
static struct hog hog;
static uint64_t unexpected_ve;

static void on_discard(volatile struct hv_ve_info *ve)
{
	uint64_t g = ve->gpa >> PAGE_SHIFT;

	/* We never touch a page before it is STABLE: any discard fault is a bug. */
	unexpected_ve++;
	test_fail("discard fault at gpa %#lx (gla %#lx), on a page we had made STABLE", ve->gpa,
		  ve->gla);
	hv_set_state(g, HV_PAGE_STABLE);
	ve->busy = 0;
}

void test_main(void)
{
	static const char *const how[4] = { "table -> table", "call -> table", "table -> call",
					    "call -> call" };
	static uint16_t order[NPAGES];
	uint64_t survived[4] = { 0 }, discarded[4] = { 0 }, wrong = 0, seed = 0x5eed5eedULL;
	uint64_t made_stable = 0;
	struct hv_vm_stats s0, s1;

	table_register();
	ve_register(on_discard);
	base = alloc_frames(NPAGES);
	hog_init_rest(&hog);
	gprintf("%u pages x %u rounds, hog of %lu frames (%lu MiB)\n", NPAGES, ROUNDS, hog.n,
		hog.n >> 8);
	stats_get(&s0);

	for (uint64_t round = 1; round <= ROUNDS; round++) {
		uint64_t e[QUARTER];
		/* Pressure per page taken back: up to 2^level frames, level grows with the round. */
		unsigned int level = (unsigned int)(round % 6);

		for (uint64_t i = 0; i < NPAGES; i++) {
			uint64_t g = base + i;

			page_fill(g, round);
			if (!HINT_BY_CALL(i) && !tbl_cas(g, HV_PAGE_STABLE, HV_PAGE_VOLATILE))
				test_fail("round %lu: CAS 0 -> 2 on %#lx failed (%#x)", round, g,
					  tbl_get(g));
		}
		for (unsigned int q = 1; q < 4; q += 2) {
			for (uint64_t k = 0; k < QUARTER; k++)
				e[k] = HV_BATCH_ENTRY(base + q * QUARTER + k, HV_PAGE_VOLATILE);
			if (hv_batch(e, QUARTER) != QUARTER)
				test_fail("round %lu: batch failed", round);
			for (uint64_t k = 0; k < QUARTER; k++)
				if (e[k] & HV_BATCH_ERR || HV_RES_OLD_STATE(e[k]) != HV_PAGE_STABLE)
					test_fail("round %lu: batch entry %#lx", round, e[k]);
		}

		/* Take them back in a random order, with random pressure in between. */
		for (unsigned int i = 0; i < NPAGES; i++)
			order[i] = (uint16_t)i;
		for (unsigned int i = NPAGES - 1; i > 0; i--) {
			unsigned int j = (unsigned int)(xorshift64(&seed) % (i + 1));
			uint16_t t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
		for (unsigned int k = 0; k < NPAGES; k++) {
			uint64_t i = order[k], g = base + i, kind = i / QUARTER;
			bool gone;

			hog_touch(&hog, xorshift64(&seed) & ((1ULL << level) - 1));
			if (!BACK_BY_CALL(i)) {
				uint8_t b = tbl_cmpxchg(g, HV_PAGE_VOLATILE, HV_PAGE_STABLE);

				if (b == HV_PAGE_VOLATILE) {
					gone = false;
				} else if (b == HV_PAGE_STABLE) {
					/* The host saw a write and made it STABLE itself: content kept. */
					gone = false;
					made_stable++;
				} else if (b == (HV_PAGE_VOLATILE | HV_TABLE_DISCARDED)) {
					gone = true;
					if (!tbl_cas(g, b, HV_PAGE_STABLE))
						test_fail("CAS 0x82 -> 0 on %#lx failed (%#x)", g, tbl_get(g));
				} else {
					test_fail("round %lu: table byte of %#lx is %#x", round, g, b);
					continue;
				}
			} else {
				int64_t r = hv_set_state(g, HV_PAGE_STABLE);

				/* Old state STABLE: the host saw a write (reuse) and kept the page. */
				made_stable += r >= 0 && HV_RES_OLD_STATE(r) == HV_PAGE_STABLE &&
					       !(r & HV_RES_DISCARDED);
				if (r < 0 ||
				    (HV_RES_OLD_STATE(r) != HV_PAGE_VOLATILE &&
				     HV_RES_OLD_STATE(r) != HV_PAGE_STABLE) ||
				    ((r & HV_RES_DISCARDED) && (HV_RES_HOST_STATE(r) != HV_HOST_ZERO ||
								HV_RES_OLD_STATE(r) != HV_PAGE_VOLATILE))) {
					test_fail("round %lu: set_state(%#lx, S) = %#lx", round, g, r);
					continue;
				}
				gone = r & HV_RES_DISCARDED;
			}
			/* The answer must be true. */
			if (gone ? !page_is_zero(g) : page_diff(g, round) != 0) {
				if (wrong++ < 5)
					test_fail("round %lu: %s: gfn %#lx said %s, but word 0 is %#lx", round,
						  how[kind], g, gone ? "discarded" : "survived",
						  gfn_ptr(g)[0]);
			}
			if (gone)
				discarded[kind]++;
			else
				survived[kind]++;
		}
	}
	stats_get(&s1);

	uint64_t total_disc = 0;
	for (unsigned int k = 0; k < 4; k++) {
		gprintf("%-14s: %4lu survived, %4lu discarded\n", how[k], survived[k], discarded[k]);
		total_disc += discarded[k];
	}
	gprintf("found STABLE (the host had seen a write and kept the page): %lu\n", made_stable);
	gprintf("wrong answers %lu, unexpected discard faults %lu; stats: drops_volatile +%lu, "
		"discard_faults +%lu, page-outs +%lu\n", wrong, unexpected_ve,
		s1.drops_volatile - s0.drops_volatile, s1.discard_faults - s0.discard_faults,
		s1.page_outs - s0.page_outs);
	EXPECT_EQ(wrong, 0);
	EXPECT_EQ(unexpected_ve, 0);
	for (unsigned int k = 0; k < 4; k++) {
		EXPECT(survived[k] > 0);
		EXPECT(discarded[k] > 0);
	}
	/* Every drop was reported to us exactly once. */
	EXPECT_EQ(s1.drops_volatile - s0.drops_volatile, total_disc);
	EXPECT_EQ(s1.discard_faults - s0.discard_faults, 0);
}
