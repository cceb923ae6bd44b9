/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for guest-requested state changes (mm/state.c): every
 * transition from every state on resident, preserved and discarded pages,
 * ranges, batches with invalid entries, D-bit clearing and flush batching.
 */
#include <check.h>
#include <string.h>

#include "mm/fake_arch.h"
#include "mm/internal.h"

Suite *mm_state_suite(void);

static struct fake_world w;
static struct fake_vm *fv;

static void check_ok(void)
{
	char why[256];

	ck_assert_msg(mm_check(&w.mm, why, sizeof(why)) == 0, "mm_check: %s", why);
}

static void world(uint32_t frames, uint32_t slots, uint64_t gfns)
{
	struct fake_world_cfg cfg = { .host_frames = frames, .swap_slots = slots, .store = true,
				      .nvms = 1, .gfns = gfns };

	ck_assert_int_eq(fake_world_init(&w, &cfg), 0);
	fv = &w.vms[0];
}

static void put(uint64_t g, uint64_t v)
{
	ck_assert_int_eq(fake_access(fv, g, true, &v), FAKE_OK);
}

static unsigned int hs_of(uint64_t g) { return ent_hs(fv->vm.ent[g]); }

/* Reclaim until g is not resident. */
static void evict(uint64_t g)
{
	for (int i = 0; i < 20 && hs_of(g) == MM_HS_RESIDENT; i++)
		mm_reclaim(&w.mm, w.host_frames);
	ck_assert_uint_ne(hs_of(g), MM_HS_RESIDENT);
}

START_TEST(matrix_resident)
{
	unsigned int from = (unsigned int)_i / 4, to = (unsigned int)_i % 4;
	int r;

	world(8, 8, 16);
	put(3, 0x33);
	if (from != HV_PAGE_STABLE)
		ck_assert_int_ge(mm_set_state(&fv->vm, _gfn(3), from), 0);
	r = mm_set_state(&fv->vm, _gfn(3), to);
	ck_assert_int_eq(HV_RES_OLD_STATE(r), from);
	ck_assert_int_eq(HV_RES_HOST_STATE(r), HV_HOST_RESIDENT);
	ck_assert_int_eq(r & HV_RES_DISCARDED, 0);
	ck_assert_int_eq(mm_get_state(&fv->vm, _gfn(3)), (int)(to | HV_HOST_RESIDENT << 2));
	if (to != HV_PAGE_STABLE) {
		ck_assert(!(fv->pte[3] & FAKE_PTE_D)); /* later writes show up */
		ck_assert(fv->vm.ent[3] & ENT_DCLR);
	}
	check_ok();
	fake_world_fini(&w);
}
END_TEST

START_TEST(matrix_preserved)
{
	unsigned int from = (unsigned int)_i / 4, to = (unsigned int)_i % 4;
	uint64_t v = 0;
	int r;

	world(4, 16, 16);
	put(3, 0x33);
	evict(3);
	ck_assert_uint_eq(hs_of(3), MM_HS_PRESERVED);
	if (from != HV_PAGE_STABLE) {
		/* Hint while preserved; UNUSED frees the slot. */
		r = mm_set_state(&fv->vm, _gfn(3), from);
		ck_assert_int_eq(HV_RES_HOST_STATE(r), HV_HOST_PRESERVED);
	}
	r = mm_set_state(&fv->vm, _gfn(3), to);
	ck_assert_int_eq(HV_RES_OLD_STATE(r), from);
	if (from == HV_PAGE_UNUSED || to == HV_PAGE_UNUSED) {
		ck_assert_uint_eq(hs_of(3), MM_HS_ZERO);
		ck_assert_int_eq(fake_access(fv, 3, false, &v), FAKE_OK);
		ck_assert_uint_eq(v, 0);
	} else {
		ck_assert_uint_eq(hs_of(3), MM_HS_PRESERVED);
		ck_assert_int_eq(fake_access(fv, 3, false, &v), FAKE_OK);
		ck_assert_uint_eq(v, 0x33);
	}
	check_ok();
	fake_world_fini(&w);
}
END_TEST

/* Discarded volatile page, then each new state. */
START_TEST(matrix_discarded)
{
	unsigned int to = (unsigned int)_i;
	uint64_t v = 1;
	int r;

	world(4, 16, 16);
	put(2, 0x22);
	ck_assert_int_ge(mm_set_state(&fv->vm, _gfn(2), HV_PAGE_VOLATILE), 0);
	evict(2);
	ck_assert(fv->vm.ent[2] & ENT_DISC);
	r = mm_set_state(&fv->vm, _gfn(2), to);
	ck_assert_int_eq(r, HV_PAGE_VOLATILE | HV_HOST_ZERO << 2 | HV_RES_DISCARDED);
	if (to == HV_PAGE_VOLATILE || to == HV_PAGE_POT_VOLATILE) {
		ck_assert(fv->vm.ent[2] & ENT_DISC); /* still gone: only making it stable/unused clears it */
		ck_assert_int_eq(fake_access(fv, 2, false, &v), FAKE_DISCARD);
	} else {
		ck_assert(!(fv->vm.ent[2] & ENT_DISC));
		ck_assert_int_eq(fake_access(fv, 2, false, &v), FAKE_OK);
		ck_assert_uint_eq(v, 0); /* STABLE + ZERO: content gone, zero-filled */
		ck_assert_uint_eq(ent_gs(fv->vm.ent[2]), HV_PAGE_STABLE);
	}
	check_ok();
	fake_world_fini(&w);
}
END_TEST

START_TEST(never_touched)
{
	world(4, 4, 16);
	ck_assert_int_eq(mm_set_state(&fv->vm, _gfn(9), HV_PAGE_VOLATILE), HV_HOST_ZERO << 2);
	ck_assert_int_eq(mm_get_state(&fv->vm, _gfn(9)), HV_PAGE_VOLATILE | HV_HOST_ZERO << 2);
	ck_assert_uint_eq(fv->ops[FAKE_OP_FLUSH], 0); /* nothing resident: no INVEPT */
	check_ok();
	fake_world_fini(&w);
}
END_TEST

START_TEST(bad_arguments)
{
	world(4, 4, 16);
	ck_assert_int_eq(mm_set_state(&fv->vm, _gfn(16), HV_PAGE_UNUSED), -HV_ERANGE);
	ck_assert_int_eq(mm_set_state(&fv->vm, _gfn(1), 4), -HV_EINVAL);
	ck_assert_int_eq(mm_get_state(&fv->vm, _gfn(16)), -HV_ERANGE);
	ck_assert_int_eq(mm_set_range(&fv->vm, _gfn(10), 7, HV_PAGE_UNUSED), -HV_ERANGE);
	ck_assert_int_eq(mm_set_range(&fv->vm, _gfn(10), UINT64_MAX, HV_PAGE_UNUSED), -HV_ERANGE);
	ck_assert_int_eq(mm_set_range(&fv->vm, _gfn(16), 0, HV_PAGE_UNUSED), -HV_ERANGE);
	ck_assert_int_eq(mm_set_range(&fv->vm, _gfn(0), 2, 7), -HV_EINVAL);
	ck_assert_int_eq(mm_set_batch(&fv->vm, NULL, HV_BATCH_MAX + 1), -HV_EINVAL);
	ck_assert_uint_eq(fv->vm.cnt.hints, 0);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

START_TEST(range_one_flush)
{
	world(16, 16, 32);
	for (uint64_t g = 0; g < 10; g++)
		put(g, g);
	fv->ops[FAKE_OP_FLUSH] = 0;
	ck_assert_int_eq(mm_set_range(&fv->vm, _gfn(0), 12, HV_PAGE_UNUSED), 12);
	ck_assert_uint_eq(fv->ops[FAKE_OP_FLUSH], 1);
	for (uint64_t g = 0; g < 10; g++)
		ck_assert(!(fv->pte[g] & FAKE_PTE_D));
	ck_assert_int_eq(mm_set_range(&fv->vm, _gfn(0), 12, HV_PAGE_UNUSED), 0);
	ck_assert_int_eq(mm_set_range(&fv->vm, _gfn(5), 0, HV_PAGE_STABLE), 0);
	ck_assert_int_eq(mm_set_range(&fv->vm, _gfn(4), 2, HV_PAGE_STABLE), 2);
	ck_assert_uint_eq(fv->vm.pages[HV_PAGE_UNUSED][MM_HS_RESIDENT], 8);
	ck_assert_uint_eq(fv->vm.pages[HV_PAGE_UNUSED][MM_HS_ZERO], 2);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

START_TEST(batch_with_invalid_entries)
{
	uint64_t e[6];

	world(16, 16, 32);
	put(1, 11);
	e[0] = HV_BATCH_ENTRY(1, HV_PAGE_VOLATILE);
	e[1] = HV_BATCH_ENTRY(32, HV_PAGE_UNUSED);       /* beyond RAM */
	e[2] = HV_BATCH_ENTRY(2, 4);                      /* bad state */
	e[3] = HV_BATCH_ENTRY(3, HV_PAGE_UNUSED | 0x100); /* junk in the low bits */
	e[4] = HV_BATCH_ENTRY(1, HV_PAGE_STABLE);
	e[5] = HV_BATCH_ENTRY(5, HV_PAGE_POT_VOLATILE);
	fv->ops[FAKE_OP_FLUSH] = 0;
	ck_assert_int_eq(mm_set_batch(&fv->vm, e, 6), 6);
	ck_assert_uint_eq(fv->ops[FAKE_OP_FLUSH], 1);
	ck_assert_uint_eq(e[0], HV_BATCH_ENTRY(1, HV_PAGE_STABLE | HV_HOST_RESIDENT << 2));
	ck_assert_uint_eq(e[1], HV_BATCH_ENTRY(32, HV_BATCH_ERR | HV_ERANGE));
	ck_assert_uint_eq(e[2], HV_BATCH_ENTRY(2, HV_BATCH_ERR | HV_EINVAL));
	ck_assert_uint_eq(e[3], HV_BATCH_ENTRY(3, HV_BATCH_ERR | HV_EINVAL));
	ck_assert_uint_eq(e[4], HV_BATCH_ENTRY(1, HV_PAGE_VOLATILE | HV_HOST_RESIDENT << 2));
	ck_assert_uint_eq(e[5], HV_BATCH_ENTRY(5, HV_PAGE_STABLE | HV_HOST_ZERO << 2));
	ck_assert_int_eq(mm_get_state(&fv->vm, _gfn(5)), HV_PAGE_POT_VOLATILE | HV_HOST_ZERO << 2);
	ck_assert_int_eq(mm_get_state(&fv->vm, _gfn(2)), HV_PAGE_STABLE | HV_HOST_ZERO << 2);
	ck_assert_int_eq(mm_set_batch(&fv->vm, e, 0), 0);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

START_TEST(batch_discarded_result)
{
	uint64_t e[1];

	world(4, 16, 16);
	put(2, 0x22);
	ck_assert_int_ge(mm_set_state(&fv->vm, _gfn(2), HV_PAGE_VOLATILE), 0);
	evict(2);
	e[0] = HV_BATCH_ENTRY(2, HV_PAGE_STABLE);
	ck_assert_int_eq(mm_set_batch(&fv->vm, e, 1), 1);
	ck_assert_uint_eq(e[0], HV_BATCH_ENTRY(2, HV_PAGE_VOLATILE | HV_HOST_ZERO << 2 | HV_RES_DISCARDED));
	check_ok();
	fake_world_fini(&w);
}
END_TEST

/* A hinted page goes to the reclaim end of the LRU: it is the next victim. */
START_TEST(hint_moves_to_reclaim_end)
{
	world(8, 16, 16);
	for (uint64_t g = 0; g < 6; g++)
		put(g, g);
	ck_assert_int_ge(mm_set_state(&fv->vm, _gfn(0), HV_PAGE_UNUSED), 0);
	ck_assert_int_ge(mm_set_state(&fv->vm, _gfn(5), HV_PAGE_UNUSED), 0);
	ck_assert_uint_eq(mm_reclaim(&w.mm, 2), 2);
	ck_assert_uint_eq(hs_of(0), MM_HS_ZERO);
	ck_assert_uint_eq(hs_of(5), MM_HS_ZERO);
	ck_assert_uint_eq(fv->vm.cnt.page_outs, 0);
	ck_assert_uint_eq(fv->vm.cnt.drops[HV_PAGE_UNUSED], 2);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

Suite *mm_state_suite(void)
{
	Suite *s = suite_create("mm_state");
	TCase *tc = tcase_create("state");

	tcase_add_loop_test(tc, matrix_resident, 0, 16);
	tcase_add_loop_test(tc, matrix_preserved, 0, 16);
	tcase_add_loop_test(tc, matrix_discarded, 0, 4);
	tcase_add_test(tc, never_touched);
	tcase_add_test(tc, bad_arguments);
	tcase_add_test(tc, range_one_flush);
	tcase_add_test(tc, batch_with_invalid_entries);
	tcase_add_test(tc, batch_discarded_result);
	tcase_add_test(tc, hint_moves_to_reclaim_end);
	suite_add_tcase(s, tc);
	return s;
}
