/* SPDX-License-Identifier: MIT */
/*
 * table-takeover: registering the shared state table (call 7) takes over
 * the page states the host already has, discard marks included (ABI §6).
 * A page hinted VOLATILE by hypercall and dropped by the host must read
 * 0x82 in the freshly registered (zeroed) table and still raise a discard
 * fault; the other states must show as they were hinted.
 */
#include "hvtest.h"
#include <string.h>

const char test_title[] = "table-takeover: registration keeps states and discard marks";

static struct hog hog;
static uint64_t vpage, faulted_gpa;

static void on_discard(volatile struct hv_ve_info *info)
{
	uint64_t gfn = info->gpa >> PAGE_SHIFT;

	faulted_gpa = info->gpa;
	if (!tbl_cas(gfn, HV_PAGE_VOLATILE | HV_TABLE_DISCARDED, HV_PAGE_STABLE))
		test_fail("discard fault on gfn %#lx whose table byte is %#x", gfn, tbl_get(gfn));
	page_fill(gfn, 2); /* re-create */
	info->busy = 0;
}

void test_main(void)
{
	uint64_t frames = ram_frames(), tpages = (frames + PAGE_SIZE - 1) >> PAGE_SHIFT;
	uint64_t table = alloc_frames(tpages), upage = alloc_frames(1), kept = alloc_frames(1);
	uint64_t spage = alloc_frames(1), r;
	uint64_t want[1][2];

	vpage = alloc_frames(1);
	ve_register(on_discard);
	page_fill(vpage, 1);
	page_fill(spage, 1);
	EXPECT_EQ(hv_set_state(vpage, HV_PAGE_VOLATILE) & 3, HV_PAGE_STABLE);
	EXPECT_EQ(hv_set_state(upage, HV_PAGE_UNUSED) & 3, HV_PAGE_STABLE);
	hog_init_rest(&hog);
	want[0][0] = vpage;
	want[0][1] = 1;
	if (!hog_until(&hog, want, 1, HOST_ZERO_M, 32, 8 * hog.n))
		test_end(TEST_ERROR, "the host never dropped the volatile page");
	r = (uint64_t)hv_get_state(vpage);
	EXPECT(r & HV_RES_DISCARDED);
	/* Hinted just now, so most likely still resident. */
	page_fill(kept, 1);
	EXPECT_EQ(hv_set_state(kept, HV_PAGE_VOLATILE) & 3, HV_PAGE_STABLE);

	hv_table = (uint8_t *)gfn_ptr(table);
	memset(hv_table, 0, tpages << PAGE_SHIFT);
	r = hypercall(HV_HC_REGISTER_TABLE, (uint64_t)hv_table, frames, 0, 0);
	EXPECT_EQ(r, 0);
	EXPECT_EQ(tbl_get(vpage), HV_PAGE_VOLATILE | HV_TABLE_DISCARDED);
	EXPECT_EQ(tbl_get(upage), HV_PAGE_UNUSED);
	/* The host may have dropped it since (other VMs press on the pool): then discarded. */
	EXPECT(tbl_get(kept) == HV_PAGE_VOLATILE ||
	       (tbl_get(kept) == (HV_PAGE_VOLATILE | HV_TABLE_DISCARDED) &&
		(hv_get_state(kept) & HV_RES_DISCARDED)));
	EXPECT_EQ(tbl_get(spage), HV_PAGE_STABLE);
	EXPECT_EQ(tbl_get(table), HV_PAGE_STABLE);

	/* The dropped page must fault, not read zeros. */
	r = gfn_ptr(vpage)[7];
	EXPECT_EQ(ve_count, 1);
	EXPECT_EQ(faulted_gpa >> PAGE_SHIFT, vpage);
	EXPECT_EQ(r, page_word(vpage, 7, 2));
	EXPECT_EQ(page_diff(spage, 1), 0);
}
