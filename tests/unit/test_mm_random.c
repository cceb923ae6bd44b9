/* SPDX-License-Identifier: MIT */
/*
 * Randomized sequences against a model of the guest: writes, reads, hints
 * (single, range, batch; or the shared table), reclaim with racing vCPU
 * writes, pins. mm_check() after every step; every page the guest must get
 * back (STABLE, or written since its hint) reads back exactly as written.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fakes/fake_arch.h"
#include "mm/internal.h"

Suite *mm_random_suite(void);

#define RVMS 2
#define RNR 96
#define RSTEPS 3000

struct mpage {
	uint8_t hint;  /* what the guest last said */
	bool live;     /* content must come back exactly */
	bool zero_ok;  /* content may read as 0 instead (after UNUSED) */
	bool pinned;
	uint64_t val;
};

static struct fake_world w;
static struct mpage model[RVMS][RNR];
static uint8_t tables[RVMS][RNR];
static bool table_mode;
static uint64_t rng, stamp;
static unsigned int step;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void check_ok(void)
{
	char why[256];

	ck_assert_msg(mm_check(&w.mm, why, sizeof(why)) == 0, "step %u: mm_check: %s", step, why);
}

static bool guest_cas(unsigned int i, uint64_t g, uint8_t from, uint8_t to)
{
	return __atomic_compare_exchange_n(&tables[i][g], &from, to, false, __ATOMIC_SEQ_CST,
					   __ATOMIC_SEQ_CST);
}

/* Table mode: the guest sets its byte to st, acknowledging a discard mark. */
static void table_set(unsigned int i, uint64_t g, uint8_t st)
{
	struct mpage *m = &model[i][g];
	uint8_t b;

	do {
		b = __atomic_load_n(&tables[i][g], __ATOMIC_SEQ_CST);
		if (b & HV_TABLE_DISCARDED) {
			ck_assert(!m->live);
			m->val = 0;
			m->zero_ok = false;
		}
	} while (!guest_cas(i, g, b, st));
}

/* Model update once the guest's state change has happened. */
static void model_hint(struct mpage *m, unsigned int st)
{
	if (st == HV_PAGE_STABLE) {
		m->live = true;
	} else {
		m->live = false;
		if (st == HV_PAGE_UNUSED)
			m->zero_ok = true;
	}
	m->hint = (uint8_t)st;
}

/* Check one hypercall result word against the model and apply it. */
static void check_result(struct mpage *m, int r, unsigned int st)
{
	ck_assert_int_ge(r, 0);
	/* The host may have made the page STABLE on detected reuse. */
	ck_assert_msg(HV_RES_OLD_STATE((unsigned int)r) == m->hint ||
			      HV_RES_OLD_STATE((unsigned int)r) == HV_PAGE_STABLE,
		      "step %u: old state %u, model %u", step, HV_RES_OLD_STATE((unsigned int)r), m->hint);
	if (r & HV_RES_DISCARDED) {
		ck_assert(!m->live);
		m->val = 0;
		m->zero_ok = false;
	}
	model_hint(m, st);
}

static void do_write(unsigned int i, uint64_t g)
{
	struct fake_vm *fv = &w.vms[i];
	struct mpage *m = &model[i][g];
	uint64_t v = ++stamp;
	enum fake_result r;

	if (table_mode && m->hint != HV_PAGE_STABLE) {
		table_set(i, g, HV_PAGE_STABLE);
		model_hint(m, HV_PAGE_STABLE);
	}
	r = fake_access(fv, g, true, &v);
	if (r == FAKE_DISCARD) {
		ck_assert(!table_mode && !m->live);
		check_result(m, mm_set_state(&fv->vm, _gfn(g), HV_PAGE_STABLE), HV_PAGE_STABLE);
		r = fake_access(fv, g, true, &v);
	}
	if (r == FAKE_NOMEM)
		return;
	ck_assert_int_eq(r, FAKE_OK);
	m->val = v;
	m->live = true;
	m->zero_ok = false;
}

static void do_read(unsigned int i, uint64_t g)
{
	struct fake_vm *fv = &w.vms[i];
	struct mpage *m = &model[i][g];
	enum fake_result r;
	uint64_t v = 0;

	r = fake_access(fv, g, false, &v);
	if (r == FAKE_NOMEM)
		return;
	if (r == FAKE_DISCARD) {
		ck_assert_msg(!m->live && (m->hint == HV_PAGE_VOLATILE || m->hint == HV_PAGE_POT_VOLATILE),
			      "step %u: vm %u gfn %llu: discard fault on a live page", step, i,
			      (unsigned long long)g);
		if (table_mode) {
			ck_assert(tables[i][g] & HV_TABLE_DISCARDED);
			table_set(i, g, HV_PAGE_STABLE);
			model_hint(m, HV_PAGE_STABLE);
		} else {
			check_result(m, mm_set_state(&fv->vm, _gfn(g), HV_PAGE_STABLE), HV_PAGE_STABLE);
		}
		return;
	}
	ck_assert_int_eq(r, FAKE_OK);
	ck_assert_msg(v == m->val || (m->zero_ok && v == 0),
		      "step %u: vm %u gfn %llu read %llx, want %llx%s (hint %u live %d)", step, i,
		      (unsigned long long)g, (unsigned long long)v, (unsigned long long)m->val,
		      m->zero_ok ? " or 0" : "", m->hint, m->live);
	if (m->live || v == 0) {
		m->val = v;
		m->zero_ok = false;
	}
}

static void do_hint(unsigned int i, uint64_t g)
{
	struct fake_vm *fv = &w.vms[i];
	unsigned int st = (unsigned int)(rnd() % 4), n, k;
	uint64_t e[8];
	int64_t r;

	if (model[i][g].pinned)
		return;
	if (table_mode) {
		table_set(i, g, (uint8_t)st);
		model_hint(&model[i][g], st);
		return;
	}
	switch (rnd() % 3) {
	case 0:
		check_result(&model[i][g], mm_set_state(&fv->vm, _gfn(g), st), st);
		break;
	case 1:
		/* One draw: MIN() evaluates its arguments twice. */
		n = (unsigned int)(rnd() % 4 + 1);
		n = (unsigned int)MIN(n, RNR - g);
		for (k = 0; k < n; k++)
			if (model[i][g + k].pinned)
				return;
		/* The range result counts pages; check states one by one first. */
		for (k = 0; k < n; k++) {
			int old = mm_get_state(&fv->vm, _gfn(g + k));

			ck_assert(HV_RES_OLD_STATE((unsigned int)old) == model[i][g + k].hint ||
				  HV_RES_OLD_STATE((unsigned int)old) == HV_PAGE_STABLE);
			if ((old & HV_RES_DISCARDED) && st == HV_PAGE_STABLE)
				model[i][g + k].val = 0;
		}
		r = mm_set_range(&fv->vm, _gfn(g), n, st);
		ck_assert_int_ge(r, 0);
		for (k = 0; k < n; k++)
			model_hint(&model[i][g + k], st);
		break;
	default:
		n = (unsigned int)(rnd() % 8 + 1);
		for (k = 0; k < n; k++)
			e[k] = HV_BATCH_ENTRY(rnd() % (RNR + 8), rnd() % 6);
		/* No two entries for one gfn, none for pinned pages: keeps the model simple. */
		for (k = 0; k < n; k++)
			for (unsigned int j = 0; j < k; j++)
				if (HV_BATCH_GFN(e[j]) == HV_BATCH_GFN(e[k]) ||
				    (HV_BATCH_GFN(e[k]) < RNR && model[i][HV_BATCH_GFN(e[k])].pinned))
					e[k] = HV_BATCH_ENTRY(RNR + 100, 0);
		if (HV_BATCH_GFN(e[0]) < RNR && model[i][HV_BATCH_GFN(e[0])].pinned)
			e[0] = HV_BATCH_ENTRY(RNR + 100, 0);
		{
			uint64_t in[8];

			memcpy(in, e, sizeof(in));
			ck_assert_int_eq(mm_set_batch(&fv->vm, e, n), (int)n);
			for (k = 0; k < n; k++) {
				uint64_t gg = HV_BATCH_GFN(in[k]);
				unsigned int s = (unsigned int)(in[k] & 0xfff);

				ck_assert_uint_eq(HV_BATCH_GFN(e[k]), gg);
				if (s > 3) {
					ck_assert_uint_eq(e[k] & 0xfff, HV_BATCH_ERR | HV_EINVAL);
				} else if (gg >= RNR) {
					ck_assert_uint_eq(e[k] & 0xfff, HV_BATCH_ERR | HV_ERANGE);
				} else {
					ck_assert(!(e[k] & HV_BATCH_ERR));
					check_result(&model[i][gg], (int)(e[k] & 0xfff), s);
				}
			}
		}
	}
}

/* A second vCPU of the same guest, writing while the host unmaps. */
static void racing_vcpu(struct fake_vm *fv, uint64_t g, void *arg)
{
	unsigned int i = (unsigned int)(fv - w.vms);
	struct mpage *m = &model[i][g];
	struct fake_tlb *t = &fv->tlb[g % FAKE_TLB_SIZE];
	uint64_t v;

	if (m->pinned || rnd() % 2)
		return;
	if (table_mode && m->hint != HV_PAGE_STABLE) {
		uint8_t b = tables[i][g];

		if ((b & HV_TABLE_DISCARDED) || !guest_cas(i, g, b, HV_PAGE_STABLE))
			return;
		model_hint(m, HV_PAGE_STABLE);
	}
	if (t->valid && t->gfn == g) {
		v = ++stamp;
		ck_assert_int_eq(fake_access(fv, g, true, &v), FAKE_OK);
		m->val = v;
		m->live = true;
		m->zero_ok = false;
	}
}

static void do_pin(unsigned int i, uint64_t g)
{
	struct mpage *m = &model[i][g];
	hfn_t h;

	if (m->pinned) {
		mm_gfn_unpin(&w.vms[i].vm, _gfn(g));
		m->pinned = false;
	} else if (m->hint == HV_PAGE_STABLE && m->live && rnd() % 4 == 0) {
		if (mm_gfn_pin(&w.vms[i].vm, _gfn(g), &h) == 0)
			m->pinned = true;
	}
}

static void run(unsigned int seed, bool table, uint32_t slots)
{
	struct fake_world_cfg cfg = { .host_frames = 48, .swap_slots = slots, .store = true,
				      .nvms = RVMS, .gfns = RNR, .wmark_low = 2, .wmark_high = 6 };
	unsigned int i, op;
	uint64_t g;

	ck_assert_int_eq(fake_world_init(&w, &cfg), 0);
	memset(model, 0, sizeof(model));
	memset(tables, 0, sizeof(tables));
	table_mode = table;
	rng = 0x9e3779b97f4a7c15ULL * (seed + 1);
	stamp = (uint64_t)seed << 32;
	for (i = 0; i < RVMS; i++) {
		w.vms[i].on_unmap = racing_vcpu;
		if (table)
			ck_assert_int_eq(mm_vm_set_table(&w.vms[i].vm, tables[i], RNR), 0);
	}
	for (step = 0; step < RSTEPS; step++) {
		i = (unsigned int)(rnd() % RVMS);
		g = rnd() % RNR;
		op = (unsigned int)(rnd() % 100);
		if (op < 35)
			do_write(i, g);
		else if (op < 65)
			do_read(i, g);
		else if (op < 85)
			do_hint(i, g);
		else if (op < 95)
			mm_reclaim(&w.mm, (uint32_t)(rnd() % 8 + 1));
		else
			do_pin(i, g);
		check_ok();
	}
	for (i = 0; i < RVMS; i++)
		for (g = 0; g < RNR; g++) {
			if (model[i][g].pinned)
				mm_gfn_unpin(&w.vms[i].vm, _gfn(g));
			model[i][g].pinned = false;
			do_read(i, g);
		}
	check_ok();
	ck_assert_uint_eq(w.mm.cnt.drops[HV_PAGE_STABLE], 0);
	/* The run went through the interesting paths. */
	ck_assert_uint_gt(w.mm.cnt.page_outs, 0);
	ck_assert_uint_gt(w.mm.cnt.page_ins, 0);
	ck_assert_uint_gt(w.mm.cnt.drops[HV_PAGE_UNUSED], 0);
	ck_assert_uint_gt(w.mm.cnt.drops[HV_PAGE_VOLATILE] + w.mm.cnt.drops[HV_PAGE_POT_VOLATILE], 0);
	ck_assert_uint_gt(w.mm.cnt.discard_faults, 0);
	ck_assert_uint_gt(w.mm.cnt.reuse_detected, 0);
	if (getenv("MM_RANDOM_VERBOSE") != NULL) {
		char buf[1024];

		mm_format_counters(&w.mm.cnt, buf, sizeof(buf));
		fprintf(stderr, "seed %u table %d slots %u\n%s", seed, table, slots, buf);
	}
	fake_world_fini(&w);
}

START_TEST(random_hypercalls)
{
	run((unsigned int)_i, false, 2 * RVMS * RNR);
}
END_TEST

START_TEST(random_table)
{
	run((unsigned int)_i, true, 2 * RVMS * RNR);
}
END_TEST

/* Paging device much smaller than the guests: NOMEM happens, nothing is lost. */
START_TEST(random_small_swap)
{
	run((unsigned int)_i, _i & 1, 24);
}
END_TEST

Suite *mm_random_suite(void)
{
	Suite *s = suite_create("mm_random");
	TCase *tc = tcase_create("random");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, random_hypercalls, 0, 8);
	tcase_add_loop_test(tc, random_table, 0, 8);
	tcase_add_loop_test(tc, random_small_swap, 0, 4);
	suite_add_tcase(s, tc);
	return s;
}
