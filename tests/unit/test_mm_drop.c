/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for mm_drop_range(): ranges the guest gave up (free page
 * reporting, balloon inflation) dropped at once, resident and paged out,
 * frames freed only after the flush and their entries released, volatile
 * pages dropped with a discard mark, pinned ranges and bad arguments refused.
 */
#include <check.h>
#include <string.h>

#include "mm/internal.h"
#include "tests/unit/mm_test.h"

Suite *mm_drop_suite(void);

static uint32_t free_at_unmap[16];
static unsigned int unmaps;

static void note_free(struct fake_vm *v, uint64_t gfn, void *arg)
{
	if (unmaps < 16)
		free_at_unmap[unmaps] = mm_pool_free(&w.mm);
	unmaps++;
}

/* Resident pages: unmapped, one flush, then their frames are free; the
 * next access reads a zero page; counted as unused drops. */
START_TEST(resident_dropped)
{
	uint64_t walked0;
	uint32_t free0;

	world(16, 16, 32);
	for (uint64_t g = 0; g < 8; g++)
		put(g, 0x100 + g);
	free0 = mm_pool_free(&w.mm);
	walked0 = w.mm.walked;
	fv->ops[FAKE_OP_FLUSH] = 0;
	fv->on_unmap = note_free;
	unmaps = 0;
	ck_assert_int_eq(mm_drop_range(&fv->vm, _gfn(2), 4), 4);
	fv->on_unmap = NULL;
	ck_assert_uint_eq(unmaps, 4);
	for (unsigned int i = 0; i < 4; i++)
		ck_assert_uint_eq(free_at_unmap[i], free0);
	ck_assert_uint_eq(fv->ops[FAKE_OP_FLUSH], 1);
	ck_assert_uint_eq(mm_pool_free(&w.mm), free0 + 4);
	for (uint64_t g = 2; g < 6; g++) {
		ck_assert_uint_eq(hs_of(g), MM_HS_ZERO);
		ck_assert_uint_eq(gs_of(g), HV_PAGE_STABLE);
		ck_assert(!fake_mapped(fv, g));
		ck_assert_uint_eq(fv->pte[g], 0); /* released: the tables may go */
	}
	ck_assert_uint_eq(w.mm.walked, walked0 + 4);
	ck_assert_uint_eq(fv->vm.cnt.drops[HV_PAGE_UNUSED], 4);
	ck_assert_uint_eq(fv->vm.cnt.guest_drops, 4);
	check_ok();
	for (uint64_t g = 0; g < 8; g++)
		ck_assert_uint_eq(get(g), g >= 2 && g < 6 ? 0 : 0x100 + g);
	ck_assert_uint_eq(fv->vm.cnt.discard_faults, 0);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

/* A paged-out page gives back its slot; never-touched pages cost nothing
 * (no unmap, no flush, not counted). */
START_TEST(preserved_and_zero)
{
	world(4, 16, 16);
	put(1, 0x11);
	evict(1);
	ck_assert_uint_eq(hs_of(1), MM_HS_PRESERVED);
	ck_assert_uint_eq(w.swap.nfree, 15);
	fv->ops[FAKE_OP_FLUSH] = fv->ops[FAKE_OP_UNMAP] = 0;
	ck_assert_int_eq(mm_drop_range(&fv->vm, _gfn(0), 16), 1);
	ck_assert_uint_eq(fv->ops[FAKE_OP_UNMAP], 0);
	ck_assert_uint_eq(fv->ops[FAKE_OP_FLUSH], 0);
	ck_assert_uint_eq(w.swap.nfree, 16);
	ck_assert_uint_eq(hs_of(1), MM_HS_ZERO);
	ck_assert_uint_eq(fv->vm.cnt.guest_drops, 1);
	ck_assert_uint_eq(get(1), 0);
	ck_assert_int_eq(mm_drop_range(&fv->vm, _gfn(5), 0), 0);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

/* A volatile page given up is dropped as reclaim would: discard fault. An
 * unused one reads zero; both keep their guest state. */
START_TEST(hinted_pages)
{
	enum fake_result r;
	uint64_t v = 0;

	world(16, 16, 16);
	put(3, 0x33);
	put(4, 0x44);
	ck_assert_int_ge(mm_set_state(&fv->vm, _gfn(3), HV_PAGE_VOLATILE), 0);
	ck_assert_int_ge(mm_set_state(&fv->vm, _gfn(4), HV_PAGE_UNUSED), 0);
	ck_assert_int_eq(mm_drop_range(&fv->vm, _gfn(3), 2), 2);
	ck_assert_uint_eq(gs_of(3), HV_PAGE_VOLATILE);
	ck_assert_uint_eq(gs_of(4), HV_PAGE_UNUSED);
	ck_assert(mm_get_state(&fv->vm, _gfn(3)) & HV_RES_DISCARDED);
	ck_assert_uint_eq(fv->vm.cnt.drops[HV_PAGE_VOLATILE], 1);
	ck_assert_uint_eq(fv->vm.cnt.drops[HV_PAGE_UNUSED], 1);
	r = fake_access(fv, 3, false, &v);
	ck_assert_int_eq(r, FAKE_DISCARD);
	ck_assert_uint_eq(get(4), 0);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

/* A pinned page in the range (a device's ring, the state table): nothing
 * is dropped. Bad ranges: -ERANGE, nothing done. */
START_TEST(refused)
{
	hfn_t h;

	world(16, 16, 16);
	for (uint64_t g = 0; g < 6; g++)
		put(g, g + 1);
	ck_assert_int_eq(mm_gfn_pin(&fv->vm, _gfn(4), &h), 0);
	fv->ops[FAKE_OP_UNMAP] = 0;
	ck_assert_int_eq(mm_drop_range(&fv->vm, _gfn(0), 6), -EBUSY);
	ck_assert_int_eq(mm_drop_range(&fv->vm, _gfn(16), 1), -ERANGE);
	ck_assert_int_eq(mm_drop_range(&fv->vm, _gfn(15), 2), -ERANGE);
	ck_assert_int_eq(mm_drop_range(&fv->vm, _gfn(1), UINT64_MAX), -ERANGE);
	ck_assert_uint_eq(fv->ops[FAKE_OP_UNMAP], 0);
	ck_assert_uint_eq(fv->vm.cnt.guest_drops, 0);
	mm_gfn_unpin(&fv->vm, _gfn(4));
	for (uint64_t g = 0; g < 6; g++)
		ck_assert_uint_eq(get(g), g + 1);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

Suite *mm_drop_suite(void)
{
	Suite *s = suite_create("mm_drop");
	TCase *tc = tcase_create("drop");

	tcase_add_test(tc, resident_dropped);
	tcase_add_test(tc, preserved_and_zero);
	tcase_add_test(tc, hinted_pages);
	tcase_add_test(tc, refused);
	suite_add_tcase(s, tc);
	return s;
}
