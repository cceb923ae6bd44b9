/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for mm/ (Check, host, ASan/UBSan): runner and the basic suite
 * (pool, watermarks, paging device backend, statistics layout). The other
 * suites live in tests/unit/test_mm_*.c. Every test ends with mm_check().
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/mm_test.h"

Suite *mm_basic_suite(void);
Suite *mm_state_suite(void);
Suite *mm_reclaim_suite(void);
Suite *mm_fault_suite(void);
Suite *mm_table_suite(void);
Suite *mm_random_suite(void);
Suite *mm_oom_suite(void);
Suite *mm_drop_suite(void);

START_TEST(sizes)
{
	ck_assert_uint_eq(sizeof(struct mm_frame), 24);
	ck_assert_uint_eq(mm_vm_bytes_needed(1000), 8000);
	ck_assert_uint_eq(mm_pool_bytes_needed(10), 240);
}
END_TEST

START_TEST(pool_add_and_exhaust)
{
	static uint8_t buf[24 * 4] __attribute__((aligned(8)));
	struct mm mm;
	char why[128];

	ck_assert_int_eq(mm_init(&mm, buf, sizeof(buf), 5, &fake_host_ops, NULL), -EINVAL);
	ck_assert_int_eq(mm_init(&mm, buf, sizeof(buf), 4, &fake_host_ops, NULL), 0);
	ck_assert_uint_eq(mm_pool_free(&mm), 0);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(mm_pool_add_frame(&mm, _hfn(0x1000 + (uint64_t)i)), 0);
	ck_assert_int_eq(mm_pool_add_frame(&mm, _hfn(0x2000)), -ENOSPC);
	ck_assert_uint_eq(mm_pool_free(&mm), 4);
	ck_assert_int_eq(mm_check(&mm, why, sizeof(why)), 0);
}
END_TEST

START_TEST(pool_bad_hfn)
{
	static uint8_t buf[24] __attribute__((aligned(8)));
	struct mm mm;

	ck_assert_int_eq(mm_init(&mm, buf, sizeof(buf), 1, &fake_host_ops, NULL), 0);
	ck_assert_int_eq(mm_pool_add_frame(&mm, _hfn(1ULL << 53)), -EINVAL);
}
END_TEST

START_TEST(vm_limits)
{
	struct mm_vm vm2;
	uint64_t buf[4];

	world(8, 8, 16);
	ck_assert_int_eq(mm_vm_init(&w.mm, &vm2, buf, sizeof(buf), 5, &fake_arch_ops, NULL), -EINVAL);
	ck_assert_int_eq(mm_vm_init(&w.mm, &vm2, buf, sizeof(buf), 0, &fake_arch_ops, NULL), -EINVAL);
	ck_assert_int_eq(mm_vm_init(&w.mm, &vm2, buf, sizeof(buf), 4, &fake_arch_ops, NULL), 0);
	ck_assert_uint_eq(vm2.id, 1);
	check_ok();
	mm_vm_destroy(&vm2);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

START_TEST(watermarks_reclaim_on_alloc)
{
	uint64_t v = 1;

	world(16, 64, 64);
	mm_pool_set_watermarks(&w.mm, 4, 8);
	for (uint64_t g = 0; g < 13; g++)
		ck_assert_int_eq(fake_access(&w.vms[0], g, true, &v), FAKE_OK);
	/* 13 allocations from 16: the 13th found free == 4 == low and reclaimed up to high. */
	ck_assert_uint_ge(mm_pool_free(&w.mm), 4);
	ck_assert_uint_gt(w.mm.cnt.page_outs, 0);
	check_ok();
	ck_assert_uint_eq(mm_balance(&w.mm), 0); /* above low: nothing to do */
	fake_world_fini(&w);
}
END_TEST

START_TEST(vm_destroy_releases_everything)
{
	uint64_t v = 7;

	world(8, 64, 64);
	for (uint64_t g = 0; g < 20; g++)
		ck_assert_int_eq(fake_access(&w.vms[0], g, true, &v), FAKE_OK);
	check_ok();
	mm_vm_destroy(&w.vms[0].vm);
	ck_assert_uint_eq(mm_pool_free(&w.mm), 8);
	ck_assert_uint_eq(w.swap.nfree, 64);
	check_ok();
	fake_world_fini(&w);
}
END_TEST

START_TEST(swap_mem_backend)
{
	size_t sz = swap_mem_bytes_needed(2, true);
	void *buf = aligned_alloc(PAGE_SIZE, sz);
	static uint8_t page[PAGE_SIZE], back[PAGE_SIZE];
	struct swap_mem sm;
	uint32_t s0, s1, s2;

	ck_assert_int_eq(swap_mem_init(&sm, buf, sz - 1, 2, true), -EINVAL);
	ck_assert_int_eq(swap_mem_init(&sm, buf, sz, 2, true), 0);
	memset(page, 0xab, sizeof(page));
	ck_assert_int_eq(swap_write(&sm.dev, &s0, page), 0);
	memset(page, 0xcd, sizeof(page));
	ck_assert_int_eq(swap_write(&sm.dev, &s1, page), 0);
	ck_assert_int_eq(swap_write(&sm.dev, &s2, page), -ENOSPC);
	ck_assert_uint_ne(s0, s1);
	ck_assert_int_eq(swap_read(&sm.dev, s0, back), 0);
	ck_assert_uint_eq(back[100], 0xab);
	swap_free(&sm.dev, s0);
	ck_assert_int_eq(swap_read(&sm.dev, s0, back), -EIO);
	ck_assert_int_eq(swap_read(&sm.dev, 99, back), -EIO);
	ck_assert_uint_eq(sm.dev.writes, 2);
	ck_assert_uint_eq(sm.dev.write_errors, 1);
	ck_assert_uint_eq(sm.dev.reads, 1);
	ck_assert_uint_eq(sm.dev.read_errors, 2);
	ck_assert_uint_eq(sm.dev.frees, 1);
	ck_assert_uint_eq(sm.dev.ops->used(sm.dev.ctx), 1);
	free(buf);
}
END_TEST

START_TEST(stats_layout)
{
	/* [state][enum mm_hs]: zero, resident, preserved */
	uint64_t pages[4][3] = { { 46, 19673, 0 }, { 3, 1, 2 }, { 0, 0, 0 }, { 242414, 4, 5 } };
	char buf[512], small[20];
	const char *want = "<state>|--tot--|---r---|---p---|---z---|\n"
			   "S      |  19719|  19673|      0|     46|\n"
			   "U      |      6|      1|      2|      3|\n"
			   "V      |      0|      0|      0|      0|\n"
			   "P      | 242423|      4|      5| 242414|\n"
			   "tot->  | 262148|  19678|      7| 242463|\n";
	int n;

	n = mm_format_pages(pages, buf, sizeof(buf));
	ck_assert_str_eq(buf, want);
	ck_assert_int_eq(n, (int)strlen(want));
	ck_assert_int_eq(mm_format_pages(pages, small, sizeof(small)), n);
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	ck_assert_int_eq(mm_format_pages(pages, NULL, 0), n);
}
END_TEST

START_TEST(stats_vm_and_total)
{
	struct fake_world_cfg cfg = { .host_frames = 8, .swap_slots = 64, .store = true, .nvms = 2, .gfns = 32 };
	struct hv_vm_stats st;
	char buf[512], c[1024];
	uint64_t v = 3;

	ck_assert_int_eq(fake_world_init(&w, &cfg), 0);
	for (uint64_t g = 0; g < 10; g++)
		ck_assert_int_eq(fake_access(&w.vms[0], g, true, &v), FAKE_OK);
	ck_assert_int_eq(mm_set_state(&w.vms[1].vm, _gfn(5), HV_PAGE_UNUSED), HV_HOST_ZERO << 2);
	mm_vm_stats(&w.vms[0].vm, &st);
	ck_assert_uint_eq(st.pages[HV_PAGE_STABLE][HV_HOST_RESIDENT] + st.pages[HV_PAGE_STABLE][HV_HOST_PRESERVED], 10);
	ck_assert_uint_eq(st.pages[HV_PAGE_STABLE][HV_HOST_ZERO], 22);
	ck_assert_uint_eq(st.page_outs, w.vms[0].vm.cnt.page_outs);
	ck_assert_uint_eq(st.zero_fills, 10);
	mm_format_table(&w.mm, NULL, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "tot->  |     64|"));
	ck_assert_ptr_nonnull(strstr(buf, "U      |      1|      0|      0|      1|"));
	mm_format_table(&w.mm, &w.vms[1].vm, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "tot->  |     32|      0|      0|     32|"));
	ck_assert_int_gt(mm_format_counters(&w.mm.cnt, c, sizeof(c)), 100);
	ck_assert_ptr_nonnull(strstr(c, "zero_fills       10\n"));
	check_ok();
	fake_world_fini(&w);
}
END_TEST

Suite *mm_basic_suite(void)
{
	Suite *s = suite_create("mm_basic");
	TCase *tc = tcase_create("basic");

	tcase_add_test(tc, sizes);
	tcase_add_test(tc, pool_add_and_exhaust);
	tcase_add_test(tc, pool_bad_hfn);
	tcase_add_test(tc, vm_limits);
	tcase_add_test(tc, watermarks_reclaim_on_alloc);
	tcase_add_test(tc, vm_destroy_releases_everything);
	tcase_add_test(tc, swap_mem_backend);
	tcase_add_test(tc, stats_layout);
	tcase_add_test(tc, stats_vm_and_total);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(mm_basic_suite());
	int failed;

	srunner_add_suite(sr, mm_state_suite());
	srunner_add_suite(sr, mm_reclaim_suite());
	srunner_add_suite(sr, mm_fault_suite());
	srunner_add_suite(sr, mm_table_suite());
	srunner_add_suite(sr, mm_random_suite());
	srunner_add_suite(sr, mm_oom_suite());
	srunner_add_suite(sr, mm_drop_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
