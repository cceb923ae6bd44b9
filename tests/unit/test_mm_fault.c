/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the fault path and host access (mm/fault.c): zero-fill,
 * page-in, discard fault, out of range, out of memory, map failure, I/O
 * error, spurious faults, mm_gfn_get() and pinning.
 */
#include <check.h>
#include <string.h>

#include "mm/internal.h"
#include "tests/unit/mm_test.h"

Suite *mm_fault_suite(void);

START_TEST(range)
{
	hfn_t h;

	world(4, 4, 16);
	ck_assert_int_eq(mm_fault(&fv->vm, _gfn(16), false), MM_FAULT_RANGE);
	ck_assert_int_eq(mm_gfn_get(&fv->vm, _gfn(1ULL << 50), false, &h), -ERANGE);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

START_TEST(zero_fill)
{
	uint64_t *p;

	world(4, 4, 16);
	memset(w.mem, 0xee, (size_t)w.host_frames * PAGE_SIZE); /* frames come dirty */
	ck_assert_int_eq(mm_fault(&fv->vm, _gfn(3), true), MM_FAULT_MAPPED);
	ck_assert(fake_mapped(fv, 3));
	ck_assert_uint_eq(hs_of(3), MM_HS_RESIDENT);
	p = mm_pool_ptr(&w.mm, ent_ref(fv->vm.ent[3]));
	for (size_t i = 0; i < PAGE_SIZE / 8; i++)
		ck_assert_uint_eq(p[i], 0);
	ck_assert_uint_eq(fv->vm.cnt.zero_fills, 1);
	ck_assert_uint_eq(mm_pool_free(&w.mm), 3);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

START_TEST(page_in)
{
	uint64_t v = 0;

	world(4, 4, 16);
	put(3, 0xabc);
	evict(3);
	ck_assert_uint_eq(w.swap.nfree, 3);
	ck_assert_int_eq(mm_fault(&fv->vm, _gfn(3), false), MM_FAULT_MAPPED);
	ck_assert_uint_eq(w.swap.nfree, 4); /* slot freed on page-in */
	ck_assert_uint_eq(fv->vm.cnt.page_ins, 1);
	ck_assert_int_eq(fake_access(fv, 3, false, &v), FAKE_OK);
	ck_assert_uint_eq(v, 0xabc);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

START_TEST(discard)
{
	hfn_t h;

	world(4, 4, 16);
	put(3, 0xabc);
	ck_assert_int_ge(mm_set_state(&fv->vm, _gfn(3), HV_PAGE_VOLATILE), 0);
	evict(3);
	ck_assert_int_eq(mm_fault(&fv->vm, _gfn(3), false), MM_FAULT_DISCARD);
	ck_assert(!fake_mapped(fv, 3));
	ck_assert_uint_eq(mm_pool_free(&w.mm), 4);
	ck_assert_uint_eq(fv->vm.cnt.discard_faults, 1);
	/* The host's own access is told, not faulted. */
	ck_assert_int_eq(mm_gfn_get(&fv->vm, _gfn(3), false, &h), -EDISCARDED);
	ck_assert_uint_eq(fv->vm.cnt.discard_faults, 1);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

START_TEST(map_failure)
{
	uint64_t v = 0;

	world(4, 4, 16);
	put(3, 0xabc);
	evict(3);
	fv->map_fail = 1;
	ck_assert_int_eq(mm_fault(&fv->vm, _gfn(3), false), MM_FAULT_NOMEM);
	ck_assert_uint_eq(hs_of(3), MM_HS_PRESERVED);
	ck_assert_uint_eq(mm_pool_free(&w.mm), 4);
	check_ok();
	ck_assert_int_eq(fake_access(fv, 3, false, &v), FAKE_OK);
	ck_assert_uint_eq(v, 0xabc);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

START_TEST(io_error)
{
	world(4, 4, 16);
	put(3, 0xabc);
	evict(3);
	/* Lose the slot behind mm's back: the read fails, nothing is mapped. */
	w.swap.dev.ops->free(w.swap.dev.ctx, ent_ref(fv->vm.ent[3]));
	ck_assert_int_eq(mm_fault(&fv->vm, _gfn(3), false), MM_FAULT_IOERR);
	ck_assert_uint_eq(mm_pool_free(&w.mm), 4);
	ck_assert_uint_eq(w.swap.dev.read_errors, 1);
	fake_world_fini(&w);
}
END_TEST

START_TEST(spurious)
{
	world(4, 4, 16);
	put(3, 0xabc);
	ck_assert_int_eq(mm_fault(&fv->vm, _gfn(3), true), MM_FAULT_MAPPED);
	ck_assert_uint_eq(fv->vm.cnt.faults, 1);
	ck_assert_uint_eq(mm_pool_free(&w.mm), 3);
	/* A hinted page faulted again might have lost its D bit: made stable. */
	ck_assert_int_ge(mm_set_state(&fv->vm, _gfn(3), HV_PAGE_UNUSED), 0);
	ck_assert_int_eq(mm_fault(&fv->vm, _gfn(3), true), MM_FAULT_MAPPED);
	ck_assert_int_eq(mm_get_state(&fv->vm, _gfn(3)), HV_PAGE_STABLE);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

START_TEST(get_resident_preserved_zero)
{
	hfn_t h;

	world(4, 4, 16);
	put(1, 0x111);
	put(2, 0x222);
	evict(2);
	ck_assert_int_eq(mm_gfn_get(&fv->vm, _gfn(1), false, &h), 0);
	ck_assert_uint_eq(*(uint64_t *)fake_host_ops.frame_ptr(&w, h), 0x111);
	ck_assert_int_eq(mm_gfn_get(&fv->vm, _gfn(2), false, &h), 0);
	ck_assert_uint_eq(*(uint64_t *)fake_host_ops.frame_ptr(&w, h), 0x222);
	ck_assert(fake_mapped(fv, 2));
	ck_assert_int_eq(mm_gfn_get(&fv->vm, _gfn(9), false, &h), 0);
	ck_assert_uint_eq(*(uint64_t *)fake_host_ops.frame_ptr(&w, h), 0);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

/* A host write to a hinted page is invisible to the D bit: the page becomes stable. */
START_TEST(get_write_on_hinted_page)
{
	hfn_t h;

	world(4, 4, 16);
	put(1, 0x111);
	ck_assert_int_ge(mm_set_state(&fv->vm, _gfn(1), HV_PAGE_VOLATILE), 0);
	ck_assert_int_eq(mm_gfn_get(&fv->vm, _gfn(1), false, &h), 0);
	ck_assert_int_eq(mm_get_state(&fv->vm, _gfn(1)), HV_PAGE_VOLATILE);
	ck_assert_int_eq(mm_gfn_get(&fv->vm, _gfn(1), true, &h), 0);
	*(uint64_t *)fake_host_ops.frame_ptr(&w, h) = 0x999;
	ck_assert_int_eq(mm_get_state(&fv->vm, _gfn(1)), HV_PAGE_STABLE);
	evict(1);
	ck_assert_uint_eq(hs_of(1), MM_HS_PRESERVED);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

START_TEST(pin_nesting)
{
	hfn_t h, h2;
	int i;

	world(4, 4, 16);
	ck_assert_int_eq(mm_gfn_pin(&fv->vm, _gfn(5), &h), 0);
	ck_assert_int_eq(mm_gfn_pin(&fv->vm, _gfn(5), &h2), 0);
	ck_assert_uint_eq(hfn_x(h), hfn_x(h2));
	check_ok();
	mm_gfn_unpin(&fv->vm, _gfn(5));
	ck_assert_uint_eq(ent_pins(fv->vm.ent[5]), 1);
	check_ok();
	for (i = 1; i < MM_PIN_MAX; i++)
		ck_assert_int_eq(mm_gfn_pin(&fv->vm, _gfn(5), &h), 0);
	ck_assert_int_eq(mm_gfn_pin(&fv->vm, _gfn(5), &h), -EBUSY);
	for (i = 0; i < MM_PIN_MAX; i++)
		mm_gfn_unpin(&fv->vm, _gfn(5));
	ck_assert_uint_eq(ent_pins(fv->vm.ent[5]), 0);
	mm_gfn_unpin(&fv->vm, _gfn(5)); /* not pinned: ignored */
	mm_gfn_unpin(&fv->vm, _gfn(99));
	check_ok();
	ck_assert_int_eq(mm_gfn_pin(&fv->vm, _gfn(99), &h), -ERANGE);
	fake_world_fini(&w);
}
END_TEST

Suite *mm_fault_suite(void)
{
	Suite *s = suite_create("mm_fault");
	TCase *tc = tcase_create("fault");

	tcase_add_test(tc, range);
	tcase_add_test(tc, zero_fill);
	tcase_add_test(tc, page_in);
	tcase_add_test(tc, discard);
	tcase_add_test(tc, map_failure);
	tcase_add_test(tc, io_error);
	tcase_add_test(tc, spurious);
	tcase_add_test(tc, get_resident_preserved_zero);
	tcase_add_test(tc, get_write_on_hinted_page);
	tcase_add_test(tc, pin_nesting);
	suite_add_tcase(s, tc);
	return s;
}
