/* SPDX-License-Identifier: MIT */
/*
 * oom-keep: a guest that must survive host out of memory (tests/oom.cfg). It
 * keeps DATA stable pages of its own, checked over and over, next to SCRATCH
 * pages it writes and then leaves alone. Once the host (under the oom-hog's
 * pressure) has paged every scratch page out, it hints them by their table
 * bytes only, no exit: half UNUSED, half VOLATILE. When the host runs out of
 * pool and paging device it must take those slots back (ZERO, 0x82 on the
 * volatile ones) before it stops a VM, and it must stop the hog, not us.
 * At the end every data page reads back exactly as written.
 */
#include "hvtest.h"

const char test_title[] = "oom-keep: stable data intact through host out of memory";

#define DATA 256
#define SCRATCH 128
#define MAX_PASSES 4000 /* bound on each wait; each pass checks all data */
#define AFTER_PASSES 200

static uint64_t data, scratch;

/* One pass over the data: every word; returns the words that differ. */
static uint64_t check_data(void)
{
	uint64_t bad = 0;

	for (uint64_t k = 0; k < DATA; k++) {
		unsigned int d = page_diff(data + k, 1);

		if (d && bad == 0)
			test_fail("gfn %#lx: %u words differ (word 0 %#lx)", data + k, d, gfn_ptr(data + k)[0]);
		bad += d;
	}
	return bad;
}

/* Pass over the data until every scratch page has a host state in mask. */
static bool wait_scratch(unsigned int mask, uint64_t *passes)
{
	for (*passes = 0; *passes < MAX_PASSES; (*passes)++) {
		if (range_host_in(scratch, SCRATCH, mask))
			return true;
		if (check_data())
			return false;
	}
	return false;
}

void test_main(void)
{
	uint64_t passes, bad = 0;
	struct hv_vm_stats st;

	table_register();
	data = alloc_frames(DATA);
	scratch = alloc_frames(SCRATCH);
	for (uint64_t k = 0; k < DATA; k++)
		page_fill(data + k, 1);
	for (uint64_t k = 0; k < SCRATCH; k++)
		page_fill(scratch + k, 2);
	if (!wait_scratch(HOST_PRESERVED_M, &passes))
		test_end(TEST_ERROR, "the scratch pages were never all paged out: no host pressure?");
	gprintf("scratch paged out after %lu passes; hinting it by table bytes alone\n", passes);
	for (uint64_t k = 0; k < SCRATCH; k++) {
		uint8_t b = k % 2 ? HV_PAGE_VOLATILE : HV_PAGE_UNUSED;

		if (!tbl_cas(scratch + k, HV_PAGE_STABLE, b))
			test_fail("table CAS 0 -> %u on %#lx failed: byte %#x", b, scratch + k,
				  tbl_get(scratch + k));
	}
	/* Only the host's slot reclaim can make a paged-out page ZERO without an access. */
	if (!wait_scratch(HOST_ZERO_M, &passes))
		test_fail("scratch slots not taken back after %lu passes", passes);
	else
		gprintf("scratch slots taken back after %lu passes\n", passes);
	for (uint64_t k = 1; k < SCRATCH; k += 2)
		EXPECT_EQ(tbl_get(scratch + k), HV_PAGE_VOLATILE | HV_TABLE_DISCARDED);
	for (uint64_t k = 0; k < SCRATCH; k += 2)
		EXPECT_EQ(tbl_get(scratch + k), HV_PAGE_UNUSED);
	/* Meanwhile the host stops a VM; we go on, and so does our data. */
	for (passes = 0; passes < AFTER_PASSES; passes++)
		bad += check_data();
	stats_get(&st);
	stats_print("at the end", &st);
	gprintf("%u data pages checked %u more times: %lu bad words\n", DATA, AFTER_PASSES, bad);
	EXPECT_EQ(bad, 0);
	EXPECT(st.page_outs > 0);
	EXPECT(st.page_ins > 0);
	EXPECT_EQ(st.discard_faults, 0);
}
