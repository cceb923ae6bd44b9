/* SPDX-License-Identifier: MIT */
/* Unit tests: the host frame allocator (mm/frames.c). */
#include "unit.h"
#include <mm/frames.h>
#include <stdlib.h>

static struct frames fa;
static uint64_t *bm;

static void setup(uint64_t nr)
{
	bm = malloc(frames_bitmap_bytes(nr));
	frames_init(&fa, bm, nr);
}

START_TEST(starts_all_used)
{
	setup(1000);
	ck_assert_uint_eq(fa.nr_free, 0);
	ck_assert_uint_eq(hfn_x(frames_alloc(&fa)), hfn_x(INVALID_HFN));
	free(bm);
}
END_TEST

START_TEST(add_free_rounds_inwards_reserve_outwards)
{
	setup(1000);
	frames_add_free(&fa, 0x1800, 0x3000); /* 0x1800..0x4800: frames 2, 3 */
	ck_assert_uint_eq(fa.nr_free, 2);
	ck_assert(frames_is_free(&fa, _hfn(2)) && frames_is_free(&fa, _hfn(3)));
	ck_assert(!frames_is_free(&fa, _hfn(1)) && !frames_is_free(&fa, _hfn(4)));
	frames_reserve(&fa, 0x3fff, 2); /* touches frames 3 and 4 */
	ck_assert_uint_eq(fa.nr_free, 1);
	ck_assert(!frames_is_free(&fa, _hfn(3)));
	free(bm);
}
END_TEST

START_TEST(alloc_free_every_frame_once)
{
	uint64_t seen[200] = { 0 };

	setup(200);
	frames_add_free(&fa, 0, 200 * PAGE_SIZE);
	for (int i = 0; i < 200; i++) {
		hfn_t f = frames_alloc(&fa);

		ck_assert_uint_lt(hfn_x(f), 200);
		ck_assert_uint_eq(seen[hfn_x(f)]++, 0);
	}
	ck_assert_uint_eq(hfn_x(frames_alloc(&fa)), hfn_x(INVALID_HFN));
	ck_assert(frames_free(&fa, _hfn(77), 1));
	ck_assert(!frames_free(&fa, _hfn(77), 1)); /* double free refused */
	ck_assert(!frames_free(&fa, _hfn(199), 2)); /* past the end */
	ck_assert_uint_eq(hfn_x(frames_alloc(&fa)), 77);
	free(bm);
}
END_TEST

START_TEST(range_alloc_is_aligned_and_contiguous)
{
	hfn_t r;

	setup(4096);
	frames_add_free(&fa, PAGE_SIZE * 3, PAGE_SIZE * 4000);
	r = frames_alloc_range(&fa, 16, 16);
	ck_assert_uint_eq(hfn_x(r) % 16, 0);
	for (uint64_t i = 0; i < 16; i++)
		ck_assert(!frames_is_free(&fa, _hfn(hfn_x(r) + i)));
	ck_assert_uint_eq(fa.nr_free, 4000 - 16);
	ck_assert_uint_eq(hfn_x(frames_alloc_range(&fa, 5000, 1)), hfn_x(INVALID_HFN));
	ck_assert_uint_eq(hfn_x(frames_alloc_range(&fa, 4, 3)), hfn_x(INVALID_HFN)); /* align */
	ck_assert(frames_free(&fa, r, 16));
	ck_assert_uint_eq(fa.nr_free, 4000);
	free(bm);
}
END_TEST

START_TEST(range_skips_holes)
{
	hfn_t r;

	setup(256);
	frames_add_free(&fa, 0, 256 * PAGE_SIZE);
	frames_reserve(&fa, 10 * PAGE_SIZE, PAGE_SIZE);
	r = frames_alloc_range(&fa, 20, 1);
	ck_assert_uint_eq(hfn_x(r), 11);
	free(bm);
}
END_TEST

START_TEST(withhold_takes_the_top_and_stops_at_keep)
{
	setup(300);
	frames_add_free(&fa, PAGE_SIZE * 10, PAGE_SIZE * 200); /* frames 10..209 */
	ck_assert_uint_eq(frames_withhold(&fa, 150), 50);
	ck_assert_uint_eq(fa.nr_free, 150);
	ck_assert(frames_is_free(&fa, _hfn(159)) && !frames_is_free(&fa, _hfn(160)));
	ck_assert_uint_eq(frames_withhold(&fa, 500), 0);
	for (int i = 0; i < 150; i++)
		ck_assert_uint_lt(hfn_x(frames_alloc(&fa)), 160);
	ck_assert_uint_eq(hfn_x(frames_alloc(&fa)), hfn_x(INVALID_HFN));
	free(bm);
}
END_TEST

Suite *frames_suite(void)
{
	Suite *s = suite_create("frames");
	TCase *t = tcase_create("core");

	tcase_add_test(t, starts_all_used);
	tcase_add_test(t, add_free_rounds_inwards_reserve_outwards);
	tcase_add_test(t, alloc_free_every_frame_once);
	tcase_add_test(t, range_alloc_is_aligned_and_contiguous);
	tcase_add_test(t, range_skips_holes);
	tcase_add_test(t, withhold_takes_the_top_and_stops_at_keep);
	suite_add_tcase(s, t);
	return s;
}
