/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for guest-requested state changes (mm/state.c): every
 * transition from every state on resident, preserved and discarded pages,
 * ranges, batches with invalid entries, D-bit clearing and flush batching.
 */
#include <check.h>
#include <string.h>

#include "mm/internal.h"
#include "tests/unit/mm_test.h"

Suite *mm_state_suite(void);

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

/*
 * Hints on a paged-out page, then each new state. Any hint but STABLE frees
 * the slot at once: UNUSED leaves the page ZERO; VOLATILE and POT_VOLATILE
 * drop it (ZERO, discarded, counted as a drop of that state).
 */
START_TEST(matrix_preserved)
{
	unsigned int from = (unsigned int)_i / 4, to = (unsigned int)_i % 4;
	bool from_vol = from == HV_PAGE_VOLATILE || from == HV_PAGE_POT_VOLATILE;
	bool to_vol = to == HV_PAGE_VOLATILE || to == HV_PAGE_POT_VOLATILE;
	uint64_t v = 0;
	int r;

	world(4, 16, 16);
	put(3, 0x33);
	evict(3);
	ck_assert_uint_eq(hs_of(3), MM_HS_PRESERVED);
	if (from != HV_PAGE_STABLE) {
		/* Hint while preserved: the slot is freed at once. */
		r = mm_set_state(&fv->vm, _gfn(3), from);
		ck_assert_int_eq(r, HV_PAGE_STABLE | HV_HOST_PRESERVED << 2);
		ck_assert_uint_eq(hs_of(3), MM_HS_ZERO);
		ck_assert_uint_eq(w.swap.nfree, 16);
	}
	r = mm_set_state(&fv->vm, _gfn(3), to);
	ck_assert_int_eq(r, (int)(from | (from == HV_PAGE_STABLE ? HV_HOST_PRESERVED : HV_HOST_ZERO) << 2 |
				  (from_vol ? HV_RES_DISCARDED : 0)));
	for (unsigned int st = HV_PAGE_UNUSED; st <= HV_PAGE_POT_VOLATILE; st++)
		ck_assert_uint_eq(fv->vm.cnt.drops[st], st != HV_PAGE_UNUSED &&
								(from == st || (from == HV_PAGE_STABLE && to == st)));
	ck_assert_uint_eq(fv->vm.cnt.hint_frees, from != HV_PAGE_STABLE || to != HV_PAGE_STABLE);
	if (from == HV_PAGE_STABLE && to == HV_PAGE_STABLE) {
		ck_assert_uint_eq(hs_of(3), MM_HS_PRESERVED);
		ck_assert_int_eq(fake_access(fv, 3, false, &v), FAKE_OK);
		ck_assert_uint_eq(v, 0x33);
	} else if (to_vol && from != HV_PAGE_UNUSED) {
		/* Dropped by this hint or the first one: discarded until STABLE or UNUSED. */
		ck_assert_uint_eq(hs_of(3), MM_HS_ZERO);
		ck_assert(fv->vm.ent[3] & ENT_DISC);
		ck_assert_uint_eq(w.swap.nfree, 16);
		ck_assert_int_eq(fake_access(fv, 3, false, &v), FAKE_DISCARD);
	} else {
		ck_assert_uint_eq(hs_of(3), MM_HS_ZERO);
		ck_assert(!(fv->vm.ent[3] & ENT_DISC));
		ck_assert_uint_eq(w.swap.nfree, 16);
		ck_assert_int_eq(fake_access(fv, 3, false, &v), FAKE_OK);
		ck_assert_uint_eq(v, 0);
	}
	check_ok();
	fake_world_fini(&w);
}
END_TEST

/*
 * VOLATILE or POT_VOLATILE on a page the host has paged out, by each call
 * (single, range, batch), next to a resident page: the paged-out page is
 * dropped at once, without an INVEPT, and the next access is a discard
 * fault; the resident one only gets its D bit cleared.
 */
START_TEST(preserved_volatile_dropped_at_hint)
{
	unsigned int st = _i % 2 ? HV_PAGE_POT_VOLATILE : HV_PAGE_VOLATILE, api = (unsigned int)_i / 2;
	uint64_t e[2] = { HV_BATCH_ENTRY(3, st), HV_BATCH_ENTRY(4, st) }, v = 0;
	unsigned int flushes;
	struct hv_vm_stats vs;
	int r;

	world(4, 16, 16);
	put(3, 0x33);
	evict(3);
	put(4, 0x44);
	ck_assert_uint_eq(hs_of(3), MM_HS_PRESERVED);
	ck_assert_uint_eq(hs_of(4), MM_HS_RESIDENT);
	ck_assert_uint_eq(w.swap.nfree, 15);
	flushes = fv->ops[FAKE_OP_FLUSH];
	switch (api) {
	case 0:
		r = mm_set_state(&fv->vm, _gfn(3), st);
		ck_assert_int_eq(r, HV_PAGE_STABLE | HV_HOST_PRESERVED << 2); /* the state before */
		ck_assert_uint_eq(fv->ops[FAKE_OP_FLUSH], flushes); /* nothing resident: no INVEPT */
		ck_assert_int_ge(mm_set_state(&fv->vm, _gfn(4), st), 0);
		break;
	case 1:
		ck_assert_int_eq(mm_set_range(&fv->vm, _gfn(3), 2, st), 2);
		break;
	default:
		ck_assert_int_eq(mm_set_batch(&fv->vm, e, 2), 2);
		ck_assert_uint_eq(e[0] & ~PAGE_MASK, HV_PAGE_STABLE | HV_HOST_PRESERVED << 2);
		ck_assert_uint_eq(e[1] & ~PAGE_MASK, HV_PAGE_STABLE | HV_HOST_RESIDENT << 2);
	}
	/* Dropped: slot free, ZERO, discarded, counted as a drop of st. */
	ck_assert_uint_eq(hs_of(3), MM_HS_ZERO);
	ck_assert_uint_eq(gs_of(3), st);
	ck_assert(fv->vm.ent[3] & ENT_DISC);
	ck_assert_uint_eq(w.swap.nfree, 16);
	ck_assert_uint_eq(fv->vm.cnt.drops[st], 1);
	ck_assert_uint_eq(w.mm.cnt.drops[st], 1);
	ck_assert_uint_eq(fv->vm.cnt.drops[st ^ 1], 0);
	ck_assert_uint_eq(fv->vm.cnt.hint_frees, 1);
	ck_assert_int_eq(mm_get_state(&fv->vm, _gfn(3)), (int)(st | HV_HOST_ZERO << 2 | HV_RES_DISCARDED));
	mm_vm_stats(&fv->vm, &vs);
	ck_assert_uint_eq(vs.pages[st][HV_HOST_ZERO], 1);
	ck_assert_uint_eq(vs.pages[st][HV_HOST_PRESERVED], 0);
	ck_assert_uint_eq(st == HV_PAGE_VOLATILE ? vs.drops_volatile : vs.drops_pot_volatile, 1);
	ck_assert_uint_eq(vs.drops_unused, 0);
	/* The resident page keeps its content and waits for reclaim (D cleared). */
	ck_assert_uint_eq(hs_of(4), MM_HS_RESIDENT);
	ck_assert(!(fv->vm.ent[4] & ENT_DISC));
	ck_assert(fv->vm.ent[4] & ENT_DCLR);
	ck_assert_uint_eq(peek(4), 0x44);
	check_ok();
	/* The next access is a discard fault; made STABLE, the page reads zeros. */
	ck_assert_int_eq(fake_access(fv, 3, false, &v), FAKE_DISCARD);
	ck_assert_uint_eq(fv->vm.cnt.discard_faults, 1);
	r = mm_set_state(&fv->vm, _gfn(3), HV_PAGE_STABLE);
	ck_assert_int_eq(r, (int)(st | HV_HOST_ZERO << 2 | HV_RES_DISCARDED));
	v = 1;
	ck_assert_int_eq(fake_access(fv, 3, false, &v), FAKE_OK);
	ck_assert_uint_eq(v, 0);
	ck_assert_uint_eq(get(4), 0x44);
	ck_assert_uint_eq(fv->vm.cnt.page_ins, 0); /* nothing was read back from the device */
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
	ck_assert_int_eq(mm_set_state(&fv->vm, _gfn(16), HV_PAGE_UNUSED), -ERANGE);
	ck_assert_int_eq(mm_set_state(&fv->vm, _gfn(1), 4), -EINVAL);
	ck_assert_int_eq(mm_get_state(&fv->vm, _gfn(16)), -ERANGE);
	ck_assert_int_eq(mm_set_range(&fv->vm, _gfn(10), 7, HV_PAGE_UNUSED), -ERANGE);
	ck_assert_int_eq(mm_set_range(&fv->vm, _gfn(10), UINT64_MAX, HV_PAGE_UNUSED), -ERANGE);
	ck_assert_int_eq(mm_set_range(&fv->vm, _gfn(16), 0, HV_PAGE_UNUSED), -ERANGE);
	ck_assert_int_eq(mm_set_range(&fv->vm, _gfn(0), 2, 7), -EINVAL);
	ck_assert_int_eq(mm_set_batch(&fv->vm, NULL, HV_BATCH_MAX + 1), -EINVAL);
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
	tcase_add_loop_test(tc, preserved_volatile_dropped_at_hint, 0, 6);
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
