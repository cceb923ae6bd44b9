/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for reclaim (mm/reclaim.c, mm/lru.c): each outcome by guest
 * state, reuse detection, the unmap -> flush -> D-bit order and the write
 * racing with it, exhaustion of pool and paging device, pins, LRU ageing.
 */
#include <check.h>
#include <string.h>

#include "mm/internal.h"
#include "tests/unit/mm_test.h"

Suite *mm_reclaim_suite(void);

START_TEST(stable_pages_out)
{
	world(4, 16, 16);
	put(1, 0x1111);
	evict(1);
	ck_assert_uint_eq(hs_of(1), MM_HS_PRESERVED);
	ck_assert_uint_eq(fv->vm.cnt.page_outs, 1);
	ck_assert_uint_eq(w.swap.dev.writes, 1);
	ck_assert(!fake_mapped(fv, 1));
	check_ok();
	ck_assert_uint_eq(get(1), 0x1111);
	ck_assert_uint_eq(fv->vm.cnt.page_ins, 1);
	ck_assert_uint_eq(w.swap.nfree, 16);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

START_TEST(unused_clean_dropped)
{
	world(4, 16, 16);
	put(1, 0x1111);
	ck_assert_int_ge(mm_set_state(&fv->vm, _gfn(1), HV_PAGE_UNUSED), 0);
	evict(1);
	ck_assert_uint_eq(hs_of(1), MM_HS_ZERO);
	ck_assert_uint_eq(fv->vm.cnt.drops[HV_PAGE_UNUSED], 1);
	ck_assert_uint_eq(w.swap.dev.writes, 0);
	check_ok();
	/* Touched again: zero-filled, STABLE from now on. */
	ck_assert_uint_eq(get(1), 0);
	ck_assert_uint_eq(gs_of(1), HV_PAGE_STABLE);
	put(1, 0x2222);
	evict(1);
	ck_assert_uint_eq(hs_of(1), MM_HS_PRESERVED);
	ck_assert_uint_eq(get(1), 0x2222);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

START_TEST(volatile_clean_discarded)
{
	uint64_t v;

	world(4, 16, 16);
	put(1, 0x1111);
	ck_assert_int_ge(mm_set_state(&fv->vm, _gfn(1), HV_PAGE_VOLATILE), 0);
	evict(1);
	ck_assert_uint_eq(hs_of(1), MM_HS_ZERO);
	ck_assert(fv->vm.ent[1] & ENT_DISC);
	ck_assert_uint_eq(fv->vm.cnt.drops[HV_PAGE_VOLATILE], 1);
	ck_assert_int_eq(fake_access(fv, 1, false, &v), FAKE_DISCARD);
	ck_assert_int_eq(fake_access(fv, 1, true, &v), FAKE_DISCARD);
	ck_assert_uint_eq(fv->vm.cnt.discard_faults, 2);
	ck_assert(!fake_mapped(fv, 1));
	check_ok();
	fake_world_fini(&w);
}
END_TEST

START_TEST(potvol_clean_dropped)
{
	uint64_t v;

	world(4, 16, 16);
	put(1, 0x1111);
	ck_assert_int_ge(mm_set_state(&fv->vm, _gfn(1), HV_PAGE_POT_VOLATILE), 0);
	get(1); /* reads do not make it dirty */
	evict(1);
	ck_assert_uint_eq(hs_of(1), MM_HS_ZERO);
	ck_assert_uint_eq(fv->vm.cnt.drops[HV_PAGE_POT_VOLATILE], 1);
	ck_assert_int_eq(fake_access(fv, 1, false, &v), FAKE_DISCARD);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

/* Written after the hint: reuse, kept as STABLE, paged out, content intact. */
START_TEST(dirty_after_hint_is_reuse)
{
	unsigned int st = (unsigned int)_i + 1; /* U, V, P */

	world(4, 16, 16);
	put(1, 0x1111);
	ck_assert_int_ge(mm_set_state(&fv->vm, _gfn(1), st), 0);
	put(1, 0x2222);
	evict(1);
	ck_assert_uint_eq(hs_of(1), MM_HS_PRESERVED);
	ck_assert_uint_eq(gs_of(1), HV_PAGE_STABLE);
	ck_assert_uint_eq(fv->vm.cnt.reuse_detected, 1);
	ck_assert_uint_eq(fv->vm.cnt.drops[st], 0);
	ck_assert_uint_eq(get(1), 0x2222);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

/* After reuse and a page-in the D bit is fresh: the old hint must not drop it. */
START_TEST(page_in_resets_dirty_old_hint_ignored)
{
	unsigned int st = (unsigned int)_i + 1;

	world(4, 16, 16);
	put(1, 0x1111);
	ck_assert_int_ge(mm_set_state(&fv->vm, _gfn(1), st), 0);
	put(1, 0x2222);
	evict(1);
	ck_assert_uint_eq(get(1), 0x2222); /* page-in: D = 0 */
	ck_assert(!(fv->pte[1] & FAKE_PTE_D));
	evict(1);
	ck_assert_uint_eq(hs_of(1), MM_HS_PRESERVED);
	ck_assert_uint_eq(fv->vm.cnt.drops[st], 0);
	ck_assert_uint_eq(get(1), 0x2222);
	/* A new hint does allow the drop again. */
	ck_assert_int_ge(mm_set_state(&fv->vm, _gfn(1), st), 0);
	evict(1);
	ck_assert_uint_eq(hs_of(1), MM_HS_ZERO);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

START_TEST(order_unmap_flush_dirty)
{
	int u, f, d;

	world(4, 16, 16);
	put(1, 0x1111);
	ck_assert_int_ge(mm_set_state(&fv->vm, _gfn(1), HV_PAGE_UNUSED), 0);
	fv->log_n = 0;
	evict(1);
	u = fake_log_find(fv, FAKE_OP_UNMAP, 1);
	f = fake_log_find(fv, FAKE_OP_FLUSH, 0);
	d = fake_log_find(fv, FAKE_OP_DIRTY, 1);
	ck_assert_int_ge(u, 0);
	ck_assert_int_lt(u, f);
	ck_assert_int_lt(f, d);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

/* Another vCPU writes through its stale TLB entry after unmap, before INVEPT. */
static void racing_write(struct fake_vm *f, uint64_t g, void *arg)
{
	struct fake_tlb *t = &f->tlb[g % FAKE_TLB_SIZE];
	uint64_t v = 0x7777;

	if (t->valid && t->gfn == g)
		ck_assert_int_eq(fake_access(f, g, true, &v), FAKE_OK);
	*(bool *)arg = true;
}

START_TEST(write_racing_with_unmap_is_kept)
{
	unsigned int st = (unsigned int)_i + 1;
	bool ran = false;

	world(4, 16, 16);
	put(1, 0x1111);
	ck_assert_int_ge(mm_set_state(&fv->vm, _gfn(1), st), 0);
	get(1); /* TLB entry, clean */
	/* Keep the TLB entry through ageing: only the victim's unmap matters. */
	fv->vm.ops->test_clear_young(fv, _gfn(1));
	fv->on_unmap = racing_write;
	fv->hook_arg = &ran;
	ck_assert_uint_eq(mm_reclaim(&w.mm, 1), 1);
	fv->on_unmap = NULL;
	ck_assert(ran);
	ck_assert_uint_eq(hs_of(1), MM_HS_PRESERVED);
	ck_assert_uint_eq(gs_of(1), HV_PAGE_STABLE);
	ck_assert_uint_eq(get(1), 0x7777);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

/* Paging device full: STABLE pages are kept, never dropped. */
START_TEST(swap_exhausted_keeps_pages)
{
	uint64_t v = 99, unmaps;
	int r;

	world(4, 2, 16);
	for (uint64_t g = 0; g < 6; g++)
		put(g, 0x100 + g);
	unmaps = fv->ops[FAKE_OP_UNMAP]; /* the two page-outs that filled the device */
	r = fake_access(fv, 6, true, &v);
	ck_assert_int_eq(r, FAKE_NOMEM);
	ck_assert_uint_eq(fv->vm.cnt.drops[HV_PAGE_STABLE], 0);
	/*
	 * Reclaim knew the device was full: no stable page was unmapped for a
	 * page-out that could not succeed (each used to cost an unmap, a flush,
	 * a failed write and a map, on every fault of a full host).
	 */
	ck_assert_uint_eq(fv->vm.cnt.pageout_errors, 0);
	ck_assert_uint_eq(fv->ops[FAKE_OP_UNMAP], unmaps);
	for (uint64_t g = 0; g < 6; g++) {
		ck_assert_uint_ne(hs_of(g), MM_HS_ZERO);
		ck_assert_uint_eq(peek(g), 0x100 + g);
	}
	check_ok();
	/* An UNUSED hint makes room: its frame can be dropped. */
	ck_assert_int_ge(mm_set_state(&fv->vm, _gfn(0), HV_PAGE_UNUSED), 0);
	ck_assert_int_eq(fake_access(fv, 6, true, &v), FAKE_OK);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

START_TEST(no_paging_device)
{
	uint64_t v = 5;

	world(4, 0, 16);
	for (uint64_t g = 0; g < 4; g++)
		put(g, 0x100 + g);
	ck_assert_int_eq(fake_access(fv, 4, true, &v), FAKE_NOMEM);
	for (uint64_t g = 0; g < 4; g++)
		ck_assert_uint_eq(get(g), 0x100 + g);
	ck_assert_uint_eq(mm_pool_free(&w.mm), 0);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

START_TEST(pinned_never_reclaimed)
{
	hfn_t h;

	world(4, 16, 16);
	put(1, 0x1111);
	put(2, 0x2222);
	ck_assert_int_eq(mm_gfn_pin(&fv->vm, _gfn(1), &h), 0);
	ck_assert_int_ge(mm_set_state(&fv->vm, _gfn(1), HV_PAGE_UNUSED), 0);
	for (int i = 0; i < 5; i++)
		mm_reclaim(&w.mm, 4);
	ck_assert_uint_eq(hs_of(1), MM_HS_RESIDENT);
	ck_assert_uint_eq(hs_of(2), MM_HS_PRESERVED);
	check_ok();
	mm_gfn_unpin(&fv->vm, _gfn(1));
	check_ok();
	evict(1);
	ck_assert_uint_eq(hs_of(1), MM_HS_ZERO); /* the hint was kept while pinned */
	check_ok();
	fake_world_fini(&w);
}
END_TEST

START_TEST(referenced_pages_survive)
{
	world(8, 16, 16);
	for (uint64_t g = 0; g < 6; g++)
		put(g, g);
	mm_reclaim(&w.mm, 1); /* first pass clears A bits (and takes one page) */
	for (int round = 0; round < 4; round++) {
		fv->vm.ops->flush(fv); /* drop the TLB so the access sets A again */
		get(0);
		mm_reclaim(&w.mm, 1);
		ck_assert_uint_eq(hs_of(0), MM_HS_RESIDENT);
	}
	ck_assert_uint_eq(w.mm.cnt.page_outs, 5);
	ck_assert_uint_gt(w.mm.cnt.lru_rotated, 0);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

START_TEST(reclaim_nothing)
{
	world(4, 4, 16);
	ck_assert_uint_eq(mm_reclaim(&w.mm, 10), 0);
	ck_assert_uint_eq(mm_balance(&w.mm), 0);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

START_TEST(pool_exhausted_by_pins)
{
	hfn_t h;
	uint64_t v = 1;

	world(2, 4, 16);
	ck_assert_int_eq(mm_gfn_pin(&fv->vm, _gfn(0), &h), 0);
	ck_assert_int_eq(mm_gfn_pin(&fv->vm, _gfn(1), &h), 0);
	ck_assert_int_eq(fake_access(fv, 2, true, &v), FAKE_NOMEM);
	ck_assert_int_eq(mm_gfn_get(&fv->vm, _gfn(3), false, &h), -ENOMEM);
	check_ok();
	mm_gfn_unpin(&fv->vm, _gfn(0));
	ck_assert_int_eq(fake_access(fv, 2, true, &v), FAKE_OK);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

Suite *mm_reclaim_suite(void)
{
	Suite *s = suite_create("mm_reclaim");
	TCase *tc = tcase_create("reclaim");

	tcase_add_test(tc, stable_pages_out);
	tcase_add_test(tc, unused_clean_dropped);
	tcase_add_test(tc, volatile_clean_discarded);
	tcase_add_test(tc, potvol_clean_dropped);
	tcase_add_loop_test(tc, dirty_after_hint_is_reuse, 0, 3);
	tcase_add_loop_test(tc, page_in_resets_dirty_old_hint_ignored, 0, 3);
	tcase_add_test(tc, order_unmap_flush_dirty);
	tcase_add_loop_test(tc, write_racing_with_unmap_is_kept, 0, 3);
	tcase_add_test(tc, swap_exhausted_keeps_pages);
	tcase_add_test(tc, no_paging_device);
	tcase_add_test(tc, pinned_never_reclaimed);
	tcase_add_test(tc, referenced_pages_survive);
	tcase_add_test(tc, reclaim_nothing);
	tcase_add_test(tc, pool_exhausted_by_pins);
	suite_add_tcase(s, tc);
	return s;
}
