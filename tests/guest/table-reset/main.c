/* SPDX-License-Identifier: MIT */
/*
 * table-reset: HV_HC_RESET (call 10) hands the VM back as a kernel that
 * kexecs into another finds it: every page STABLE (a dropped volatile page
 * reads zeros, no discard fault), the old table's memory plain RAM that the
 * host neither reads nor writes, and the table and the #VE area registrable
 * again (EBUSY without the call), working as before. Runs as a hvboot guest
 * in 64-bit mode, under memory pressure of its own (a hog).
 */
#include "hvtest.h"
#include <string.h>

const char test_title[] = "table-reset: reset unregisters the table and #VE area, all stable";

static struct hog hog;
static uint64_t vpage, faulted_gpa;

static void on_discard(volatile struct hv_ve_info *info)
{
	uint64_t gfn = info->gpa >> PAGE_SHIFT;

	faulted_gpa = info->gpa;
	if (!tbl_cas(gfn, HV_PAGE_VOLATILE | HV_TABLE_DISCARDED, HV_PAGE_STABLE))
		test_fail("discard fault on gfn %#lx whose table byte is %#x", gfn, tbl_get(gfn));
	page_fill(gfn, 3); /* re-create */
	info->busy = 0;
}

/* Make vpage volatile through the table and press until the host dropped it. */
static void drop_vpage(uint64_t gen)
{
	uint64_t want[1][2] = { { vpage, 1 } };

	page_fill(vpage, gen);
	EXPECT(tbl_cas(vpage, HV_PAGE_STABLE, HV_PAGE_VOLATILE));
	if (!hog_until(&hog, want, 1, HOST_ZERO_M, 32, 8 * hog.n))
		test_end(TEST_ERROR, "the host never dropped the volatile page");
	EXPECT_EQ(tbl_get(vpage), HV_PAGE_VOLATILE | HV_TABLE_DISCARDED);
}

void test_main(void)
{
	uint64_t frames = ram_frames(), tpages = (frames + PAGE_SIZE - 1) >> PAGE_SHIFT;
	uint64_t new_table, spage, upage, r;
	uint64_t want[1][2];
	uint8_t *old;

	if (!(hypercall(HV_HC_GET_FEATURES, 0, 0, 0, 0) & HV_FEAT_RESET))
		test_end(TEST_FAILURE, "HV_FEAT_RESET not offered");
	table_register();
	old = hv_table;
	new_table = alloc_frames(tpages); /* for the second registration */
	ve_register(on_discard);
	vpage = alloc_frames(1);
	spage = alloc_frames(1);
	upage = alloc_frames(1);
	page_fill(spage, 1);
	page_fill(upage, 1);
	EXPECT(tbl_cas(upage, HV_PAGE_STABLE, HV_PAGE_UNUSED));
	hog_init_rest(&hog);
	drop_vpage(1);

	/* The volatile and the unused page were not STABLE; nothing else was. */
	r = hypercall(HV_HC_RESET, 0, 0, 0, 0);
	EXPECT_EQ(r, 2);
	EXPECT_EQ(hypercall(HV_HC_RESET, 0, 0, 0, 0), 0);
	/* All stable: the dropped volatile page reads zeros without a #VE. */
	EXPECT_EQ(hv_get_state(vpage) & (3 | HV_RES_DISCARDED), HV_PAGE_STABLE);
	EXPECT_EQ(hv_get_state(upage) & 3, HV_PAGE_STABLE);
	EXPECT(page_is_zero(vpage));
	EXPECT_EQ(ve_count, 0);

	/* The old table is plain memory now: junk in it is no hint, and the
	 * host writes nothing into it. Every byte says UNUSED, and the stable
	 * page must survive the host's reclaim with its content. */
	memset(old, HV_PAGE_UNUSED, tpages << PAGE_SHIFT);
	want[0][0] = spage;
	want[0][1] = 1;
	if (!hog_until(&hog, want, 1, HOST_OUT_M, 32, 8 * hog.n))
		test_end(TEST_ERROR, "the host never paged the stable page out");
	EXPECT_EQ(page_diff(spage, 1), 0);
	for (uint64_t i = 0; i < tpages << PAGE_SHIFT; i++)
		if (old[i] != HV_PAGE_UNUSED) {
			test_fail("the host wrote %#x into the old table at byte %#lx", old[i], i);
			break;
		}

	/* Both registrations again, as the next kernel makes them. */
	r = hypercall(HV_HC_REGISTER_VE_AREA, (uint64_t)ve_area, 0, 0, 0);
	EXPECT_EQ(r, 0);
	hv_table = (uint8_t *)gfn_ptr(new_table);
	memset(hv_table, 0, tpages << PAGE_SHIFT);
	r = hypercall(HV_HC_REGISTER_TABLE, (uint64_t)hv_table, frames, 0, 0);
	EXPECT_EQ(r, 0);
	if (r)
		test_end(TEST_FAILURE, "cannot register a table after the reset");
	EXPECT_EQ(tbl_get(vpage), HV_PAGE_STABLE);
	EXPECT_EQ(tbl_get(upage), HV_PAGE_STABLE);

	/* And they work: a dropped volatile page faults through the new ones. */
	drop_vpage(2);
	r = gfn_ptr(vpage)[5];
	EXPECT_EQ(ve_count, 1);
	EXPECT_EQ(faulted_gpa >> PAGE_SHIFT, vpage);
	EXPECT_EQ(r, page_word(vpage, 5, 3));
}
