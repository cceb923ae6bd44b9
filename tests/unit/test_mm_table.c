/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the shared state table seen from the host: bytes read at
 * reclaim, discard marks set by CAS, CAS races with the guest, reuse written
 * back as STABLE, hypercalls keeping the byte in step, malformed bytes.
 */
#include <check.h>
#include <string.h>

#include "mm/internal.h"
#include "tests/unit/mm_test.h"

Suite *mm_table_suite(void);

#define NR 64

static uint8_t tbl[NR + 8];

/* A world of NR gfns with an all-STABLE table registered. */
static void table_world(uint32_t frames, uint32_t slots)
{
	world(frames, slots, NR);
	memset(tbl, 0, sizeof(tbl));
	ck_assert_int_eq(mm_vm_set_table(&fv->vm, tbl, NR), 0);
}

/* The guest's side of the protocol: compare-and-swap on its byte. */
static bool guest_cas(uint64_t g, uint8_t from, uint8_t to)
{
	return __atomic_compare_exchange_n(&tbl[g], &from, to, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

START_TEST(set_table_args)
{
	uint8_t b[4];

	table_world(4, 4);
	ck_assert_int_eq(mm_vm_set_table(&fv->vm, b, 0), -EINVAL);
	ck_assert_int_eq(mm_vm_set_table(&fv->vm, b, NR + 1), -EINVAL);
	ck_assert_int_eq(mm_vm_set_table(&fv->vm, NULL, 0), 0);
	ck_assert_ptr_null(fv->vm.table);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

/* Registration takes over the states: a discard mark set before the table
 * existed survives a table the guest zeroed (or filled with junk). */
START_TEST(register_takes_over_states)
{
	uint64_t v;

	world(4, 16, NR);
	put(1, 0x11);
	put(2, 0x22);
	ck_assert_int_eq(mm_set_state(&fv->vm, _gfn(1), HV_PAGE_VOLATILE), HV_PAGE_STABLE);
	ck_assert_int_eq(mm_set_state(&fv->vm, _gfn(3), HV_PAGE_UNUSED) & 3, HV_PAGE_STABLE);
	ck_assert_int_eq(mm_set_state(&fv->vm, _gfn(4), HV_PAGE_POT_VOLATILE) & 3, HV_PAGE_STABLE);
	evict(1);
	ck_assert(mm_get_state(&fv->vm, _gfn(1)) & HV_RES_DISCARDED);
	memset(tbl, 0x5c, sizeof(tbl));
	ck_assert_int_eq(mm_vm_set_table(&fv->vm, tbl, NR), 0);
	ck_assert_uint_eq(tbl[1], HV_PAGE_VOLATILE | HV_TABLE_DISCARDED);
	ck_assert_uint_eq(tbl[2], HV_PAGE_STABLE);
	ck_assert_uint_eq(tbl[3], HV_PAGE_UNUSED);
	ck_assert_uint_eq(tbl[4], HV_PAGE_POT_VOLATILE);
	ck_assert_uint_eq(tbl[NR], 0x5c); /* nothing beyond the table */
	ck_assert_int_eq(fake_access(fv, 1, false, &v), FAKE_DISCARD);
	ck_assert_uint_eq(get(2), 0x22);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

START_TEST(unused_byte_dropped)
{
	table_world(4, 16);
	put(1, 0x11);
	ck_assert(guest_cas(1, HV_PAGE_STABLE, HV_PAGE_UNUSED));
	evict(1);
	ck_assert_uint_eq(hs_of(1), MM_HS_ZERO);
	ck_assert_uint_eq(tbl[1], HV_PAGE_UNUSED); /* the host never writes U */
	ck_assert_uint_eq(fv->vm.cnt.drops[HV_PAGE_UNUSED], 1);
	ck_assert_uint_eq(w.swap.dev.writes, 0);
	check_ok();
	/* Touched again: zero-filled and STABLE, in the table too. */
	ck_assert_uint_eq(get(1), 0);
	ck_assert_uint_eq(tbl[1], HV_PAGE_STABLE);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

START_TEST(volatile_byte_discard_mark)
{
	uint64_t v;

	table_world(4, 16);
	put(1, 0x11);
	ck_assert(guest_cas(1, HV_PAGE_STABLE, HV_PAGE_VOLATILE));
	evict(1);
	ck_assert_uint_eq(tbl[1], HV_TABLE_DISCARDED | HV_PAGE_VOLATILE);
	ck_assert_int_eq(fake_access(fv, 1, false, &v), FAKE_DISCARD);
	ck_assert_int_eq(mm_get_state(&fv->vm, _gfn(1)),
			 HV_PAGE_VOLATILE | HV_HOST_ZERO << 2 | HV_RES_DISCARDED);
	check_ok();
	/* The guest's V -> S fails: it sees the mark and takes the loss. */
	ck_assert(!guest_cas(1, HV_PAGE_VOLATILE, HV_PAGE_STABLE));
	ck_assert(guest_cas(1, HV_TABLE_DISCARDED | HV_PAGE_VOLATILE, HV_PAGE_STABLE));
	ck_assert_uint_eq(get(1), 0);
	ck_assert_uint_eq(tbl[1], HV_PAGE_STABLE);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

START_TEST(potvol_byte_discard_mark)
{
	table_world(4, 16);
	put(1, 0x11);
	ck_assert(guest_cas(1, HV_PAGE_STABLE, HV_PAGE_POT_VOLATILE));
	evict(1);
	ck_assert_uint_eq(tbl[1], HV_TABLE_DISCARDED | HV_PAGE_POT_VOLATILE);
	ck_assert_uint_eq(fv->vm.cnt.drops[HV_PAGE_POT_VOLATILE], 1);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

/* The guest makes the page stable between the host's read and its CAS. */
static void guest_makes_stable(struct fake_vm *f, uint64_t g, void *arg)
{
	*(bool *)arg = guest_cas(g, HV_PAGE_VOLATILE, HV_PAGE_STABLE);
}

START_TEST(cas_race_v_to_s_pages_out)
{
	bool won = false;

	table_world(4, 16);
	put(1, 0x11);
	ck_assert(guest_cas(1, HV_PAGE_STABLE, HV_PAGE_VOLATILE));
	fv->on_unmap = guest_makes_stable;
	fv->hook_arg = &won;
	evict(1);
	fv->on_unmap = NULL;
	ck_assert(won);
	ck_assert_uint_eq(hs_of(1), MM_HS_PRESERVED);
	ck_assert_uint_eq(tbl[1], HV_PAGE_STABLE);
	ck_assert_uint_eq(fv->vm.cnt.table_races, 1);
	ck_assert_uint_eq(fv->vm.cnt.drops[HV_PAGE_VOLATILE], 0);
	ck_assert_uint_eq(get(1), 0x11);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

/* Protocol-following guest: U -> S by CAS, then a write through a stale TLB entry. */
static void guest_reuses(struct fake_vm *f, uint64_t g, void *arg)
{
	struct fake_tlb *t = &f->tlb[g % FAKE_TLB_SIZE];
	uint64_t v = 0x77;

	if (guest_cas(g, HV_PAGE_UNUSED, HV_PAGE_STABLE) && t->valid && t->gfn == g) {
		ck_assert_int_eq(fake_access(f, g, true, &v), FAKE_OK);
		*(bool *)arg = true;
	}
}

START_TEST(cas_race_u_to_s_with_write)
{
	bool wrote = false;

	table_world(4, 16);
	put(1, 0x11);
	put(2, 0x22);
	fv->vm.ops->test_clear_young(fv, _gfn(2));
	ck_assert(guest_cas(1, HV_PAGE_STABLE, HV_PAGE_UNUSED));
	ck_assert_uint_eq(mm_reclaim(&w.mm, 1), 1); /* sees the hint on 1, takes 2 */
	ck_assert_uint_eq(hs_of(1), MM_HS_RESIDENT);
	ck_assert_uint_eq(get(1), 0x11);            /* TLB entry for 1 again, clean */
	fv->on_unmap = guest_reuses;
	fv->hook_arg = &wrote;
	evict(1);
	fv->on_unmap = NULL;
	ck_assert(wrote);
	ck_assert_uint_eq(hs_of(1), MM_HS_PRESERVED);
	ck_assert_uint_eq(tbl[1], HV_PAGE_STABLE);
	ck_assert_uint_eq(get(1), 0x77);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

/* Hint seen on an earlier pass, then written without telling: reuse, byte -> S. */
START_TEST(reuse_writes_stable_back)
{
	table_world(4, 16);
	put(1, 0x11);
	put(2, 0x22);
	fv->vm.ops->test_clear_young(fv, _gfn(2));
	ck_assert(guest_cas(1, HV_PAGE_STABLE, HV_PAGE_VOLATILE));
	ck_assert_uint_eq(mm_reclaim(&w.mm, 1), 1); /* observes 1, takes 2 */
	ck_assert_uint_eq(hs_of(1), MM_HS_RESIDENT);
	ck_assert_uint_eq(hs_of(2), MM_HS_PRESERVED);
	put(1, 0x33);
	evict(1);
	ck_assert_uint_eq(tbl[1], HV_PAGE_STABLE);
	ck_assert_uint_eq(fv->vm.cnt.reuse_detected, 1);
	ck_assert_uint_eq(hs_of(1), MM_HS_PRESERVED);
	ck_assert_uint_eq(get(1), 0x33);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

/* The host only ever moves a byte towards STABLE (or adds the discard mark). */
static void guest_rehints(struct fake_vm *f, uint64_t g, void *arg)
{
	(void)guest_cas(g, HV_PAGE_UNUSED, HV_PAGE_VOLATILE);
}

START_TEST(reuse_never_downgrades)
{
	table_world(4, 16);
	put(1, 0x10);
	ck_assert_int_ge(mm_set_state(&fv->vm, _gfn(1), HV_PAGE_UNUSED), 0);
	ck_assert_uint_eq(tbl[1], HV_PAGE_UNUSED);
	put(1, 0x11); /* reuse without telling */
	fv->on_unmap = guest_rehints;
	evict(1);
	fv->on_unmap = NULL;
	/* Host's U -> S lost against the guest's U -> V: byte stays V, page kept. */
	ck_assert_uint_eq(tbl[1], HV_PAGE_VOLATILE);
	ck_assert_uint_eq(hs_of(1), MM_HS_PRESERVED);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

START_TEST(hypercalls_update_byte)
{
	table_world(4, 16);
	put(1, 0x11);
	ck_assert_int_eq(mm_set_state(&fv->vm, _gfn(1), HV_PAGE_VOLATILE), HV_HOST_RESIDENT << 2);
	ck_assert_uint_eq(tbl[1], HV_PAGE_VOLATILE);
	evict(1);
	ck_assert_uint_eq(tbl[1], HV_TABLE_DISCARDED | HV_PAGE_VOLATILE);
	ck_assert_int_eq(mm_set_state(&fv->vm, _gfn(1), HV_PAGE_POT_VOLATILE),
			 HV_PAGE_VOLATILE | HV_HOST_ZERO << 2 | HV_RES_DISCARDED);
	ck_assert_uint_eq(tbl[1], HV_TABLE_DISCARDED | HV_PAGE_POT_VOLATILE);
	ck_assert_int_eq(mm_set_state(&fv->vm, _gfn(1), HV_PAGE_STABLE),
			 HV_PAGE_POT_VOLATILE | HV_HOST_ZERO << 2 | HV_RES_DISCARDED);
	ck_assert_uint_eq(tbl[1], HV_PAGE_STABLE);
	/* The table is the guest state: a byte the guest set is the old state. */
	tbl[5] = HV_PAGE_UNUSED;
	ck_assert_int_eq(mm_set_state(&fv->vm, _gfn(5), HV_PAGE_STABLE), HV_PAGE_UNUSED | HV_HOST_ZERO << 2);
	ck_assert_int_eq(mm_set_range(&fv->vm, _gfn(8), 4, HV_PAGE_UNUSED), 4);
	ck_assert_uint_eq(tbl[11], HV_PAGE_UNUSED);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

/*
 * VOLATILE or POT_VOLATILE by hypercall on a paged-out page of a VM with a
 * table (one array, or table pages as the hypervisor registers it): dropped
 * at once, and the byte carries the discard mark. A byte the guest sets
 * without a call is seen only when the host looks at the page: such a page
 * stays on the paging device and reads back intact.
 */
START_TEST(preserved_hint_by_call_marks_byte)
{
	unsigned int st = _i % 2 ? HV_PAGE_POT_VOLATILE : HV_PAGE_VOLATILE;
	static uint8_t tpage[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
	uint8_t *const pages[1] = { tpage }, *t = tbl, b;
	uint64_t v = 1;

	table_world(4, 16);
	if (_i / 2) {
		memset(tpage, 0, sizeof(tpage));
		ck_assert_int_eq(mm_vm_set_table_pages(&fv->vm, pages, NR), 0);
		t = tpage;
	}
	put(3, 0x33);
	put(5, 0x55);
	evict(3);
	evict(5);
	ck_assert_uint_eq(hs_of(3), MM_HS_PRESERVED);
	ck_assert_uint_eq(hs_of(5), MM_HS_PRESERVED);
	ck_assert_int_eq(mm_set_state(&fv->vm, _gfn(3), st), HV_PAGE_STABLE | HV_HOST_PRESERVED << 2);
	ck_assert_uint_eq(t[3], HV_TABLE_DISCARDED | st);
	ck_assert_uint_eq(hs_of(3), MM_HS_ZERO);
	ck_assert(fv->vm.ent[3] & ENT_DISC);
	ck_assert_uint_eq(fv->vm.cnt.drops[st], 1);
	ck_assert_uint_eq(w.swap.nfree, 15);
	check_ok();
	/* The guest's own hint on 5: no call, nothing happens until the host looks. */
	b = HV_PAGE_STABLE;
	ck_assert(__atomic_compare_exchange_n(&t[5], &b, (uint8_t)st, false, __ATOMIC_SEQ_CST,
					      __ATOMIC_SEQ_CST));
	ck_assert_uint_eq(hs_of(5), MM_HS_PRESERVED);
	check_ok();
	ck_assert_int_eq(fake_access(fv, 5, false, &v), FAKE_OK);
	ck_assert_uint_eq(v, 0x55);
	/* 3: discard fault while the mark is there; the guest takes the loss: zeros. */
	ck_assert_int_eq(fake_access(fv, 3, false, &v), FAKE_DISCARD);
	b = (uint8_t)(HV_TABLE_DISCARDED | st);
	ck_assert(__atomic_compare_exchange_n(&t[3], &b, HV_PAGE_STABLE, false, __ATOMIC_SEQ_CST,
					      __ATOMIC_SEQ_CST));
	ck_assert_int_eq(fake_access(fv, 3, false, &v), FAKE_OK);
	ck_assert_uint_eq(v, 0);
	ck_assert_uint_eq(fv->vm.cnt.discard_faults, 1);
	ck_assert_uint_eq(fv->vm.cnt.drops[st], 1);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

START_TEST(malformed_byte_is_stable)
{
	table_world(4, 16);
	put(1, 0x11);
	tbl[1] = 0x44;
	evict(1);
	ck_assert_uint_eq(hs_of(1), MM_HS_PRESERVED);
	ck_assert_uint_eq(tbl[1], 0x44);
	tbl[2] = HV_TABLE_DISCARDED | HV_PAGE_UNUSED; /* not a valid value: STABLE */
	ck_assert_int_eq(mm_get_state(&fv->vm, _gfn(2)), HV_PAGE_STABLE | HV_HOST_ZERO << 2);
	ck_assert_uint_eq(get(1), 0x11);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

START_TEST(stats_read_the_table)
{
	uint64_t pages[4][3];

	table_world(4, 16);
	memset(tbl, HV_PAGE_UNUSED, 10);
	mm_vm_pages(&fv->vm, pages);
	ck_assert_uint_eq(pages[HV_PAGE_UNUSED][MM_HS_ZERO], 10);
	ck_assert_uint_eq(pages[HV_PAGE_STABLE][MM_HS_ZERO], NR - 10);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

START_TEST(table_shorter_than_ram)
{
	table_world(4, 16);
	memset(tbl + 8, 0xaa, NR - 8);
	ck_assert_int_eq(mm_vm_set_table(&fv->vm, tbl, 8), 0);
	ck_assert_int_eq(mm_set_state(&fv->vm, _gfn(20), HV_PAGE_VOLATILE), HV_HOST_ZERO << 2);
	ck_assert_int_eq(mm_get_state(&fv->vm, _gfn(20)), HV_PAGE_VOLATILE | HV_HOST_ZERO << 2);
	ck_assert_uint_eq(tbl[20], 0xaa);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

/*
 * Registration in parts (mm_vm_table_start + mm_vm_table_take_over, as the
 * hypercall does it over several exits): a gfn enters table mode when its
 * byte is written, so a hint or reclaim between the parts sees each gfn in
 * the right mode; page counts in parts equal one count; the end result is
 * that of one registration; each part walks at most its budget.
 */
START_TEST(take_over_in_parts)
{
	static uint8_t tpage[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
	uint8_t *const pages[1] = { tpage };
	uint64_t whole[4][3], parts[4][3], from, walked;
	unsigned int n = 0;

	world(4, 16, NR);
	put(1, 0x11);
	ck_assert_int_eq(mm_set_state(&fv->vm, _gfn(1), HV_PAGE_VOLATILE), HV_PAGE_STABLE);
	evict(1);
	ck_assert(fv->vm.ent[1] & ENT_DISC);
	ck_assert_int_eq(mm_set_state(&fv->vm, _gfn(40), HV_PAGE_UNUSED) & 3, HV_PAGE_STABLE);
	memset(tpage, 0x5a, sizeof(tpage));
	ck_assert_int_eq(mm_vm_table_start(&fv->vm, NULL, NR), -EINVAL);
	ck_assert_int_eq(mm_vm_table_start(&fv->vm, pages, NR), 0);
	ck_assert_uint_eq(fv->vm.table_nr, 0);
	walked = w.mm.walked;
	ck_assert_uint_eq(mm_vm_table_take_over(&fv->vm, 10), NR - 10);
	ck_assert_uint_eq(w.mm.walked - walked, 10);
	ck_assert_uint_eq(fv->vm.table_nr, 10);
	ck_assert_uint_eq(tpage[1], HV_TABLE_DISCARDED | HV_PAGE_VOLATILE);
	ck_assert_uint_eq(tpage[10], 0x5a); /* not yet: the frame table holds its state */
	ck_assert_uint_eq(mm_get_state(&fv->vm, _gfn(10)) & 3, HV_PAGE_STABLE);
	/* Hints between the parts: in the byte if taken over, else in the entry. */
	ck_assert_int_eq(mm_set_state(&fv->vm, _gfn(5), HV_PAGE_UNUSED) & 3, HV_PAGE_STABLE);
	ck_assert_uint_eq(tpage[5], HV_PAGE_UNUSED);
	ck_assert_int_eq(mm_set_state(&fv->vm, _gfn(50), HV_PAGE_POT_VOLATILE) & 3, HV_PAGE_STABLE);
	ck_assert_uint_eq(tpage[50], 0x5a);
	ck_assert_uint_eq(gs_of(50), HV_PAGE_POT_VOLATILE);
	put(2, 0x22);
	evict(2);
	check_ok();
	/* Counting in parts of 7 = counting at once. */
	mm_vm_pages(&fv->vm, whole);
	memset(parts, 0, sizeof(parts));
	walked = w.mm.walked;
	for (from = 0; from < NR; n++)
		from = mm_vm_count_pages(&fv->vm, from, 7, parts);
	ck_assert_uint_eq(n, (NR + 6) / 7);
	ck_assert_uint_eq(w.mm.walked - walked, NR);
	ck_assert_mem_eq(parts, whole, sizeof(whole));
	ck_assert_uint_eq(whole[HV_PAGE_UNUSED][MM_HS_ZERO], 2);
	/* The rest, 10 at a time. */
	for (n = 0; mm_vm_table_take_over(&fv->vm, 10) > 0; n++)
		ck_assert_uint_le(fv->vm.table_nr, NR);
	ck_assert_uint_eq(n, (NR - 10 + 9) / 10 - 1);
	ck_assert_uint_eq(fv->vm.table_nr, NR);
	for (uint64_t g = 0; g < NR; g++)
		ck_assert_uint_eq(tpage[g], g == 1	  ? HV_TABLE_DISCARDED | HV_PAGE_VOLATILE :
					    g == 5 || g == 40 ? HV_PAGE_UNUSED :
					    g == 50	  ? HV_PAGE_POT_VOLATILE :
							    HV_PAGE_STABLE);
	ck_assert_uint_eq(mm_vm_table_take_over(&fv->vm, 10), 0);
	ck_assert_uint_eq(get(2), 0x22);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

/* HV_HC_RESET: every state back to STABLE, the table's last word included,
 * a discarded page zero-filled without a discard fault, the table detached
 * (never read or written again) with the last part, stable content untouched,
 * the table's bytes left as they were (its discard marks stay true). */
START_TEST(reset_states)
{
	uint64_t v, changed, walked, from;
	unsigned int n;

	table_world(4, 16);
	put(1, 0x11);
	put(2, 0x22);
	put(5, 0x55);
	ck_assert(guest_cas(1, HV_PAGE_STABLE, HV_PAGE_VOLATILE));
	evict(1);
	ck_assert_uint_eq(tbl[1], HV_TABLE_DISCARDED | HV_PAGE_VOLATILE);
	ck_assert(guest_cas(3, HV_PAGE_STABLE, HV_PAGE_UNUSED));
	ck_assert(guest_cas(5, HV_PAGE_STABLE, HV_PAGE_VOLATILE)); /* not seen by the host yet */
	ck_assert_int_eq(mm_set_state(&fv->vm, _gfn(4), HV_PAGE_POT_VOLATILE) & 3, HV_PAGE_STABLE);
	/* In parts of 7 gfns from the top: the table stays until the last part,
	 * for the gfns below the walk. */
	changed = 0;
	walked = w.mm.walked;
	ck_assert_uint_eq(mm_vm_reset_states(&fv->vm, 0, 7, &changed), 7);
	ck_assert_ptr_nonnull(fv->vm.table);
	ck_assert_uint_eq(fv->vm.table_nr, NR - 7);
	ck_assert_uint_eq(changed, 0);
	for (from = 7, n = 1; from < NR; n++)
		from = mm_vm_reset_states(&fv->vm, from, 7, &changed);
	ck_assert_uint_eq(n, (NR + 6) / 7);
	ck_assert_uint_eq(w.mm.walked - walked, NR);
	ck_assert_uint_eq(changed, 4);
	ck_assert_ptr_null(fv->vm.table);
	ck_assert_uint_eq(fv->vm.table_nr, 0);
	ck_assert_uint_eq(tbl[1], HV_TABLE_DISCARDED | HV_PAGE_VOLATILE);
	ck_assert_uint_eq(tbl[5], HV_PAGE_VOLATILE);
	for (uint64_t g = 0; g < NR; g++)
		ck_assert_uint_eq(mm_get_state(&fv->vm, _gfn(g)) & (3 | HV_RES_DISCARDED), HV_PAGE_STABLE);
	/* The dropped page reads zeros: no discard fault any more. */
	ck_assert_int_eq(fake_access(fv, 1, false, &v), FAKE_OK);
	ck_assert_uint_eq(get(1), 0);
	ck_assert_uint_eq(get(2), 0x22);
	ck_assert_uint_eq(get(5), 0x55);
	/* The table memory belongs to the guest again: junk there means nothing. */
	memset(tbl, HV_PAGE_UNUSED, sizeof(tbl));
	evict(5);
	ck_assert_uint_eq(hs_of(5), MM_HS_PRESERVED);
	ck_assert_uint_eq(get(5), 0x55);
	ck_assert_uint_eq(tbl[5], HV_PAGE_UNUSED);
	/* And a table can be registered again. */
	ck_assert_int_eq(mm_vm_set_table(&fv->vm, tbl, NR), 0);
	ck_assert_uint_eq(tbl[1], HV_PAGE_STABLE);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

/*
 * HV_HC_RESET in parts, with the guest's bytes of two pages changed to
 * UNUSED between two parts (an interrupt handler freeing them) and read by
 * the host before the last part: one page the walk has passed, one it has
 * yet to reach. Both must come out STABLE: else the next kernel's first
 * write to such a page goes unseen (the first reclaim pass that sees the
 * hint clears its D bit) and the page is dropped with that kernel's data in
 * it. The page ahead of the walk counts as changed, the other does not.
 */
START_TEST(reset_ignores_bytes_behind_the_walk)
{
	static const uint64_t pages[] = { 2, NR - 2 };
	uint64_t changed = 0, done;

	table_world(4, 16);
	for (unsigned int i = 0; i < 2; i++)
		put(pages[i], 0x60 + i);
	done = mm_vm_reset_states(&fv->vm, 0, 7, &changed);
	for (unsigned int i = 0; i < 2; i++) {
		ck_assert(guest_cas(pages[i], HV_PAGE_STABLE, HV_PAGE_UNUSED));
		(void)mm_get_state(&fv->vm, _gfn(pages[i])); /* the host reads the byte */
	}
	while (done < NR)
		done = mm_vm_reset_states(&fv->vm, done, 7, &changed);
	ck_assert_uint_eq(changed, 1);
	for (uint64_t g = 0; g < NR; g++)
		ck_assert_uint_eq(gs_of(g), HV_PAGE_STABLE);
	/* The next kernel writes the pages, and the host reclaims them. */
	for (unsigned int i = 0; i < 2; i++)
		put(pages[i], 0x70 + i);
	for (unsigned int i = 0; i < 2; i++) {
		evict(pages[i]);
		ck_assert_uint_eq(hs_of(pages[i]), MM_HS_PRESERVED);
	}
	for (unsigned int i = 0; i < 2; i++)
		ck_assert_uint_eq(get(pages[i]), 0x70 + i);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

Suite *mm_table_suite(void)
{
	Suite *s = suite_create("mm_table");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, set_table_args);
	tcase_add_test(tc, register_takes_over_states);
	tcase_add_test(tc, unused_byte_dropped);
	tcase_add_test(tc, volatile_byte_discard_mark);
	tcase_add_test(tc, potvol_byte_discard_mark);
	tcase_add_test(tc, cas_race_v_to_s_pages_out);
	tcase_add_test(tc, cas_race_u_to_s_with_write);
	tcase_add_test(tc, reuse_writes_stable_back);
	tcase_add_test(tc, reuse_never_downgrades);
	tcase_add_test(tc, hypercalls_update_byte);
	tcase_add_loop_test(tc, preserved_hint_by_call_marks_byte, 0, 4);
	tcase_add_test(tc, malformed_byte_is_stable);
	tcase_add_test(tc, stats_read_the_table);
	tcase_add_test(tc, table_shorter_than_ram);
	tcase_add_test(tc, take_over_in_parts);
	tcase_add_test(tc, reset_states);
	tcase_add_test(tc, reset_ignores_bytes_behind_the_walk);
	suite_add_tcase(s, tc);
	return s;
}
