/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for host out of memory (mm/oom.c): slots of paged-out pages the
 * guest hinted in its table taken back when the paging device is full, bytes
 * that keep their slot, and the victim rule (largest footprint, ties to the
 * highest id).
 */
#include <check.h>
#include <string.h>

#include "mm/internal.h"
#include "tests/unit/mm_test.h"

Suite *mm_oom_suite(void);

#define NR 64

static uint8_t tbl[NR];

static void table_world(uint32_t frames, uint32_t slots)
{
	world(frames, slots, NR);
	memset(tbl, 0, sizeof(tbl));
	ck_assert_int_eq(mm_vm_set_table(&fv->vm, tbl, NR), 0);
}

/* Pool of 4 frames and 4 slots, both full: gfns 0..3 paged out, 4..7 resident. */
static void fill(void)
{
	table_world(4, 4);
	for (uint64_t g = 0; g < 8; g++)
		put(g, 0x100 + g);
	for (uint64_t g = 0; g < 4; g++)
		ck_assert_uint_eq(hs_of(g), MM_HS_PRESERVED);
	for (uint64_t g = 4; g < 8; g++)
		ck_assert_uint_eq(hs_of(g), MM_HS_RESIDENT);
	check_ok();
}

/*
 * The guest hints paged-out pages by their bytes alone (no exit). With the
 * device full, the next allocation takes those slots back instead of failing.
 */
START_TEST(full_device_takes_back_hinted_slots)
{
	uint64_t v = 0x999;

	fill();
	tbl[0] = HV_PAGE_UNUSED;
	tbl[1] = HV_PAGE_UNUSED;
	tbl[2] = HV_PAGE_VOLATILE;
	tbl[3] = HV_PAGE_POT_VOLATILE;
	ck_assert_int_eq(fake_access(fv, 8, true, &v), FAKE_OK);
	ck_assert_uint_eq(fv->vm.cnt.slot_reclaims, 4);
	ck_assert_uint_eq(w.mm.cnt.slot_scans, 1);
	for (uint64_t g = 0; g < 4; g++)
		ck_assert_uint_eq(hs_of(g), MM_HS_ZERO);
	ck_assert_uint_eq(tbl[0], HV_PAGE_UNUSED);
	ck_assert_uint_eq(tbl[2], HV_PAGE_VOLATILE | HV_TABLE_DISCARDED);
	ck_assert_uint_eq(tbl[3], HV_PAGE_POT_VOLATILE | HV_TABLE_DISCARDED);
	ck_assert_uint_eq(fv->vm.cnt.drops[HV_PAGE_VOLATILE], 1);
	ck_assert_uint_eq(fv->vm.cnt.drops[HV_PAGE_POT_VOLATILE], 1);
	check_ok();
	/* Stable pages are intact, wherever they are now. */
	for (uint64_t g = 4; g < 9; g++)
		ck_assert_uint_eq(peek(g), g == 8 ? 0x999 : 0x100 + g);
	/* Dropped volatile content: a discard fault; unused: zeros, then STABLE. */
	ck_assert_int_eq(fake_access(fv, 2, false, &v), FAKE_DISCARD);
	ck_assert_int_eq(fake_access(fv, 3, false, &v), FAKE_DISCARD);
	ck_assert_uint_eq(get(0), 0);
	ck_assert_uint_eq(tbl[0], HV_PAGE_STABLE);
	for (uint64_t g = 4; g < 9; g++)
		ck_assert_uint_eq(get(g), g == 8 ? 0x999 : 0x100 + g);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

/*
 * The faulting page itself is hinted: its own allocation takes its slot
 * back, so it must come out as a discard fault or zeros, never as the
 * content of the slot's next owner.
 */
START_TEST(faulting_page_loses_its_own_slot)
{
	uint64_t v = 0;

	fill();
	tbl[0] = HV_PAGE_VOLATILE;
	tbl[1] = HV_PAGE_UNUSED;
	ck_assert_int_eq(fake_access(fv, 0, false, &v), FAKE_DISCARD);
	ck_assert_uint_eq(hs_of(0), MM_HS_ZERO);
	ck_assert_uint_eq(hs_of(1), MM_HS_ZERO);
	ck_assert_uint_eq(tbl[0], HV_PAGE_VOLATILE | HV_TABLE_DISCARDED);
	check_ok();
	ck_assert_uint_eq(get(1), 0);
	ck_assert_uint_eq(gs_of(1), HV_PAGE_STABLE);
	for (uint64_t g = 2; g < 8; g++)
		ck_assert_uint_eq(get(g), 0x100 + g);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

/* STABLE and malformed bytes keep their slot; the allocation then fails. */
START_TEST(stable_bytes_keep_slots)
{
	uint64_t v = 1;

	fill();
	tbl[1] = 0x55; /* junk reads as STABLE */
	tbl[2] = HV_TABLE_DISCARDED; /* so does 0x80 without a state */
	ck_assert_uint_eq(mm_reclaim_slots(&w.mm), 0);
	ck_assert_int_eq(fake_access(fv, 8, true, &v), FAKE_NOMEM);
	ck_assert_uint_eq(fv->vm.cnt.slot_reclaims, 0);
	ck_assert_uint_eq(fv->vm.cnt.drops[HV_PAGE_STABLE], 0);
	for (uint64_t g = 0; g < 8; g++) {
		ck_assert_uint_ne(hs_of(g), MM_HS_ZERO);
		ck_assert_uint_eq(peek(g), 0x100 + g);
	}
	ck_assert_uint_eq(tbl[1], 0x55);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

/* Only the hinted page's slot goes; one slot is enough for one more page. */
START_TEST(one_hint_one_page)
{
	uint64_t v = 7;

	fill();
	tbl[1] = HV_PAGE_VOLATILE;
	ck_assert_int_eq(fake_access(fv, 8, true, &v), FAKE_OK);
	ck_assert_uint_eq(hs_of(1), MM_HS_ZERO);
	ck_assert_uint_eq(fv->vm.cnt.slot_reclaims, 1);
	v = 8;
	ck_assert_int_eq(fake_access(fv, 9, true, &v), FAKE_NOMEM);
	for (uint64_t g = 0; g < 9; g++)
		if (g != 1)
			ck_assert_uint_eq(peek(g), g == 8 ? 7 : 0x100 + g);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

/* Without a table there is nothing to take back, and nothing is scanned. */
START_TEST(no_table_no_scan)
{
	world(4, 4, NR);
	for (uint64_t g = 0; g < 8; g++)
		put(g, g);
	ck_assert_uint_eq(mm_reclaim_slots(&w.mm), 0);
	ck_assert_uint_eq(mm_set_state(&fv->vm, _gfn(0), HV_PAGE_UNUSED) & 0xc,
			  (uint64_t)HV_HOST_PRESERVED << 2);
	ck_assert_uint_eq(hs_of(0), MM_HS_ZERO); /* a hypercall frees the slot at once */
	check_ok();
	fake_world_fini(&w);
}
END_TEST

/*
 * Paging device full, nothing to drop: after one futile reclaim the frames
 * below the low watermark are handed out without scanning the LRU again for
 * each (that made a full host crawl towards out of memory), the empty pool
 * scans once more, and a freed slot makes reclaim worth trying again.
 */
START_TEST(full_device_no_rescan_per_frame)
{
	struct fake_world_cfg cfg = { .host_frames = 16, .swap_slots = 4, .store = true, .nvms = 1,
				      .gfns = NR, .wmark_low = 6, .wmark_high = 8 };
	uint64_t scanned, v;
	uint64_t g = 0;

	ck_assert_int_eq(fake_world_init(&w, &cfg), 0);
	fv = &w.vms[0];
	/* Until a reclaim pages nothing out any more. */
	while (!w.mm.futile) {
		put(g, 0x100 + g);
		g++;
		ck_assert_uint_lt(g, 16);
	}
	ck_assert_uint_gt(mm_pool_free(&w.mm), 0);
	scanned = w.mm.cnt.lru_scanned;
	while (mm_pool_free(&w.mm) > 0) {
		put(g, 0x100 + g);
		g++;
	}
	ck_assert_uint_eq(w.mm.cnt.lru_scanned, scanned);
	ck_assert_uint_eq(mm_balance(&w.mm), 0);
	ck_assert_uint_eq(w.mm.cnt.lru_scanned, scanned);
	/* Empty pool: one more try, then out of memory. */
	v = 1;
	ck_assert_int_eq(fake_access(fv, g, true, &v), FAKE_NOMEM);
	ck_assert_uint_gt(w.mm.cnt.lru_scanned, scanned);
	/* A slot freed by a hint: the next allocation reclaims into it. */
	ck_assert_int_ge(mm_set_state(&fv->vm, _gfn(0), HV_PAGE_UNUSED), 0);
	ck_assert(!reclaim_futile(&w.mm));
	ck_assert_int_eq(fake_access(fv, g, true, &v), FAKE_OK);
	for (uint64_t k = 1; k < g; k++)
		ck_assert_uint_eq(peek(k), 0x100 + k);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

/*
 * Slot reclaim in parts of slot_chunk gfns, each from where the last one
 * stopped: an allocation that fails while the parts have not been through
 * the whole table since one last freed a slot leaves the scan pending (the
 * hypervisor tries the access again) and walks at most two parts; a hint
 * deep in the table is found by a later try; a round that frees nothing ends
 * it (then the hypervisor stops a VM).
 */
START_TEST(slot_reclaim_in_parts)
{
	uint64_t v = 0x999, walked;
	unsigned int tries;

	table_world(4, 4);
	w.mm.slot_chunk = 16;
	for (uint64_t g = 40; g < 48; g++)
		put(g, 0x100 + g);
	for (uint64_t g = 40; g < 44; g++)
		ck_assert_uint_eq(hs_of(g), MM_HS_PRESERVED);
	ck_assert_uint_eq(swap_room(w.mm.swap), 0);
	ck_assert(mm_slot_scan_pending(&w.mm));
	tbl[42] = HV_PAGE_UNUSED;
	/* Parts 0-15 and 16-31 find nothing: no frame yet, the scan goes on. */
	walked = w.mm.walked;
	ck_assert_int_eq(fake_access(fv, 48, true, &v), FAKE_NOMEM);
	ck_assert_uint_le(w.mm.walked - walked, 2 * 16);
	ck_assert_uint_eq(w.mm.slot_gfn, 32);
	ck_assert(mm_slot_scan_pending(&w.mm));
	ck_assert_uint_eq(hs_of(42), MM_HS_PRESERVED);
	/* Part 32-47 takes 42's slot back; reclaim pages out into it. */
	ck_assert_int_eq(fake_access(fv, 48, true, &v), FAKE_OK);
	ck_assert_uint_eq(hs_of(42), MM_HS_ZERO);
	ck_assert_uint_eq(fv->vm.cnt.slot_reclaims, 1);
	check_ok();
	/* Nothing more to take back: within one round of tries the scan ends. */
	for (tries = 1; fake_access(fv, 49, true, &v) == FAKE_NOMEM && mm_slot_scan_pending(&w.mm);
	     tries++)
		ck_assert_uint_lt(tries, 64 / 16 + 1);
	ck_assert(!mm_slot_scan_pending(&w.mm));
	ck_assert_int_eq(fake_access(fv, 49, true, &v), FAKE_NOMEM);
	/* A slot freed by anyone (here a hint by call) starts a new round. */
	ck_assert_int_ge(mm_set_state(&fv->vm, _gfn(40), HV_PAGE_UNUSED), 0);
	ck_assert_int_eq(fake_access(fv, 49, true, &v), FAKE_OK);
	for (uint64_t g = 41; g < 50; g++)
		if (g != 42)
			ck_assert_uint_eq(peek(g), g >= 48 ? 0x999 : 0x100 + g);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

static struct fake_world ow;

static void oom_world(void)
{
	struct fake_world_cfg cfg = { .host_frames = 8, .swap_slots = 8, .store = true, .nvms = 3,
				      .gfns = 32 };

	ck_assert_int_eq(fake_world_init(&ow, &cfg), 0);
}

static void touch(unsigned int vm, uint64_t n)
{
	for (uint64_t g = 0; g < n; g++) {
		uint64_t v = vm << 8 | g;

		ck_assert_int_eq(fake_access(&ow.vms[vm], g, true, &v), FAKE_OK);
	}
}

START_TEST(victim_is_largest_footprint)
{
	char why[128];

	oom_world();
	ck_assert_ptr_null(mm_oom_victim(&ow.mm, MM_OOM_POOL));
	touch(0, 3);
	touch(1, 7);
	touch(2, 2);
	/* 12 pages on 8 frames: VM 1's footprint counts its paged-out pages too. */
	ck_assert_uint_eq(mm_vm_footprint(&ow.vms[0].vm), 3);
	ck_assert_uint_eq(mm_vm_footprint(&ow.vms[1].vm), 7);
	ck_assert_uint_eq(mm_vm_footprint(&ow.vms[2].vm), 2);
	ck_assert_uint_gt(ow.vms[1].vm.pages[HV_PAGE_STABLE][MM_HS_PRESERVED] +
				  ow.vms[0].vm.pages[HV_PAGE_STABLE][MM_HS_PRESERVED], 0);
	ck_assert_ptr_eq(mm_oom_victim(&ow.mm, MM_OOM_POOL), &ow.vms[1].vm);
	/* Stopped and destroyed: its frames and slots are free, the next is VM 0. */
	mm_vm_destroy(&ow.vms[1].vm);
	ck_assert_ptr_eq(mm_oom_victim(&ow.mm, MM_OOM_POOL), &ow.vms[0].vm);
	ck_assert_int_eq(mm_check(&ow.mm, why, sizeof(why)), 0);
	fake_world_fini(&ow);
}
END_TEST

/* Nested tables count in the footprint; when host frames ran out, the VM
 * holding the most table frames is the victim, whatever its pages. */
START_TEST(victim_by_what_ran_out)
{
	oom_world();
	touch(0, 2);
	touch(1, 6);
	ow.vms[0].vm.table_frames = 5;
	ow.vms[1].vm.table_frames = 1;
	ck_assert_uint_eq(mm_vm_footprint(&ow.vms[0].vm), 7);
	ck_assert_uint_eq(mm_vm_footprint(&ow.vms[1].vm), 7);
	ck_assert_ptr_eq(mm_oom_victim(&ow.mm, MM_OOM_POOL), &ow.vms[1].vm); /* tie: higher id */
	ck_assert_ptr_eq(mm_oom_victim(&ow.mm, MM_OOM_HOST_FRAMES), &ow.vms[0].vm);
	ow.vms[0].vm.table_frames = 9;
	ck_assert_ptr_eq(mm_oom_victim(&ow.mm, MM_OOM_POOL), &ow.vms[0].vm);
	ow.vms[0].vm.table_frames = ow.vms[1].vm.table_frames = 0;
	ck_assert_ptr_null(mm_oom_victim(&ow.mm, MM_OOM_HOST_FRAMES));
	fake_world_fini(&ow);
}
END_TEST

START_TEST(victim_tie_goes_to_highest_id)
{
	oom_world();
	touch(0, 4);
	touch(1, 4);
	touch(2, 3);
	ck_assert_ptr_eq(mm_oom_victim(&ow.mm, MM_OOM_POOL), &ow.vms[1].vm);
	touch(2, 4);
	ck_assert_ptr_eq(mm_oom_victim(&ow.mm, MM_OOM_POOL), &ow.vms[2].vm);
	fake_world_fini(&ow);
}
END_TEST

Suite *mm_oom_suite(void)
{
	Suite *s = suite_create("mm_oom");
	TCase *tc = tcase_create("oom");

	tcase_add_test(tc, full_device_takes_back_hinted_slots);
	tcase_add_test(tc, victim_by_what_ran_out);
	tcase_add_test(tc, faulting_page_loses_its_own_slot);
	tcase_add_test(tc, stable_bytes_keep_slots);
	tcase_add_test(tc, one_hint_one_page);
	tcase_add_test(tc, no_table_no_scan);
	tcase_add_test(tc, slot_reclaim_in_parts);
	tcase_add_test(tc, full_device_no_rescan_per_frame);
	tcase_add_test(tc, victim_is_largest_footprint);
	tcase_add_test(tc, victim_tie_goes_to_highest_id);
	suite_add_tcase(s, tc);
	return s;
}
