/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: EPT and NPT entry encoding and the shared page-table walker, on
 * page-aligned heap memory standing in for host frames.
 */
#include "unit.h"
#include <asm/gpt.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int live_pages;

static void *alloc_page(void *ctx)
{
	void *p = aligned_alloc(PAGE_SIZE, PAGE_SIZE);

	memset(p, 0, PAGE_SIZE);
	live_pages++;
	return p;
}

static void free_page(void *p)
{
	live_pages--;
	free(p);
}

START_TEST(map_encodes_leaf_and_eptp)
{
	struct gpt ept;
	uint64_t *leaf;

	live_pages = 0;
	ck_assert_int_eq(gpt_init(&ept, &gpt_ept_format, true, alloc_page, free_page, NULL), 0);
	ck_assert_int_eq(gpt_map(&ept, _gfn(0x12345), _hfn(0xabcde)), 0);
	ck_assert_int_eq(live_pages, 4); /* root + PDPT + PD + PT */
	leaf = pt_walk(&(struct pt_format){ EPT_RWX, EPT_RWX }, ept.root, 0x12345000, 1, NULL, NULL);
	ck_assert_ptr_nonnull(leaf);
	/* R W X, memory type WB (6) in bits 5:3, address in 51:12. */
	ck_assert_uint_eq(*leaf, 0xabcde000ULL | 0x7 | (6 << 3));
	ck_assert_uint_eq(ept.root[0] & 0x7, 0x7);
	ck_assert_uint_eq(gpt_eptp(&ept) & 0xfff, 6 | (3 << 3) | (1 << 6));
	ck_assert_uint_eq(gpt_eptp(&ept) & ~0xfffULL, (uint64_t)(uintptr_t)ept.root);
	ck_assert_uint_eq(hfn_x(gpt_lookup(&ept, _gfn(0x12345))), 0xabcde);
	ck_assert_uint_eq(hfn_x(gpt_lookup(&ept, _gfn(0x12346))), hfn_x(INVALID_HFN));
	gpt_destroy(&ept);
	ck_assert_int_eq(live_pages, 0);
}
END_TEST

START_TEST(refuses_remap_and_unmaps)
{
	struct gpt ept;

	live_pages = 0;
	gpt_init(&ept, &gpt_ept_format, true, alloc_page, free_page, NULL);
	ck_assert_int_eq(gpt_map(&ept, _gfn(7), _hfn(100)), 0);
	ck_assert_int_eq(gpt_map(&ept, _gfn(7), _hfn(101)), -EEXIST);
	ck_assert_uint_eq(gpt_unmap(&ept, _gfn(7)) & PT_ADDR_MASK, 100ULL << 12);
	ck_assert_uint_eq(gpt_unmap(&ept, _gfn(7)), 0);
	ck_assert_uint_eq(hfn_x(gpt_lookup(&ept, _gfn(7))), hfn_x(INVALID_HFN));
	ck_assert_int_eq(gpt_map(&ept, _gfn(7), _hfn(101)), 0);
	gpt_destroy(&ept);
	ck_assert_int_eq(live_pages, 0);
}
END_TEST

START_TEST(accessed_dirty_test_and_clear)
{
	struct gpt ept;
	uint64_t *leaf;

	gpt_init(&ept, &gpt_ept_format, true, alloc_page, free_page, NULL);
	gpt_map(&ept, _gfn(1), _hfn(2));
	leaf = pt_walk(&(struct pt_format){ EPT_RWX, EPT_RWX }, ept.root, 0x1000, 1, NULL, NULL);
	ck_assert(!gpt_test_and_clear(&ept, _gfn(1), GPT_ACCESSED));
	*leaf |= EPT_A | EPT_D; /* what the CPU does on a write */
	ck_assert(gpt_test_and_clear(&ept, _gfn(1), GPT_ACCESSED));
	ck_assert(!gpt_test_and_clear(&ept, _gfn(1), GPT_ACCESSED));
	ck_assert(gpt_test_and_clear(&ept, _gfn(1), GPT_DIRTY));
	ck_assert(!gpt_test_and_clear(&ept, _gfn(1), GPT_DIRTY));
	ck_assert(!gpt_test_and_clear(&ept, _gfn(99), GPT_ACCESSED)); /* never mapped */
	/* A write just before the unmap stays visible after it (reclaim order). */
	*leaf |= EPT_D;
	gpt_unmap(&ept, _gfn(1));
	ck_assert(gpt_test_and_clear(&ept, _gfn(1), GPT_DIRTY));
	ck_assert(!gpt_test_and_clear(&ept, _gfn(1), GPT_DIRTY));
	gpt_destroy(&ept);
	/* Without A/D support: never young; dirty emulated by write protection. */
	gpt_init(&ept, &gpt_ept_format, false, alloc_page, free_page, NULL);
	gpt_map(&ept, _gfn(1), _hfn(2));
	leaf = pt_walk(&(struct pt_format){ EPT_RWX, EPT_RWX }, ept.root, 0x1000, 1, NULL, NULL);
	ck_assert(!gpt_test_and_clear(&ept, _gfn(1), GPT_ACCESSED));
	ck_assert(gpt_test_and_clear(&ept, _gfn(1), GPT_DIRTY)); /* fresh mapping: writable */
	ck_assert_uint_eq(*leaf & EPT_W, 0);
	ck_assert(!gpt_test_and_clear(&ept, _gfn(1), GPT_DIRTY));
	ck_assert(gpt_write_fault(&ept, _gfn(1)));  /* the guest writes */
	ck_assert(!gpt_write_fault(&ept, _gfn(1))); /* already writable */
	ck_assert(gpt_test_and_clear(&ept, _gfn(1), GPT_DIRTY));
	ck_assert(!gpt_write_fault(&ept, _gfn(5))); /* not mapped */
	ck_assert(gpt_write_fault(&ept, _gfn(1)));   /* written, then unmapped: */
	gpt_unmap(&ept, _gfn(1));
	ck_assert(gpt_test_and_clear(&ept, _gfn(1), GPT_DIRTY)); /* still dirty */
	ck_assert(!gpt_test_and_clear(&ept, _gfn(1), GPT_DIRTY));
	ck_assert_uint_eq(gpt_eptp(&ept) & (1 << 6), 0);
	gpt_destroy(&ept);
}
END_TEST

START_TEST(walker_large_pages_and_ranges)
{
	static const struct pt_format host = { 1, 3 };
	uint64_t *root;

	live_pages = 0;
	root = alloc_page(NULL);
	/* 4 GiB identity with 2 MiB pages: PDPT + 4 PDs. */
	ck_assert_int_eq(pt_map_range(&host, root, 0, 0, 4ULL << 30, 2, 3, alloc_page, NULL), 0);
	ck_assert_int_eq(live_pages, 6);
	/* A 4 KiB walk below a 2 MiB page stops at the large page. */
	ck_assert_ptr_null(pt_walk(&host, root, 0x201000, 1, alloc_page, NULL));
	ck_assert_uint_eq(*pt_walk(&host, root, 0x201000, 2, NULL, NULL), 0x200000 | 0x83);
	ck_assert_int_eq(pt_map_range(&host, root, 0, 0, 2 << 20, 2, 3, alloc_page, NULL), -EEXIST);
	ck_assert_int_eq(pt_map_range(&host, root, 0x1000, 0, 2 << 20, 2, 3, alloc_page, NULL),
			 -EINVAL);
	ck_assert_int_eq(pt_map_range(&host, root, 1ULL << 40, 1ULL << 40, 1ULL << 30, 3, 3,
				      alloc_page, NULL),
			 0);
	ck_assert_ptr_null(pt_walk(&host, root, 0, 4, NULL, NULL)); /* level out of range */
	pt_free_tables(&host, root, free_page);
	free_page(root);
	ck_assert_int_eq(live_pages, 0);
}
END_TEST

START_TEST(npt_format_keeps_ad_across_unmap)
{
	static const struct pt_format walk = { NPT_P, NPT_P | NPT_W | NPT_U };
	struct gpt npt;
	uint64_t *leaf;

	live_pages = 0;
	ck_assert_int_eq(gpt_init(&npt, &gpt_npt_format, true, alloc_page, free_page, NULL), 0);
	ck_assert_int_eq(gpt_map(&npt, _gfn(0x12345), _hfn(0xabcde)), 0);
	ck_assert_int_eq(live_pages, 4);
	leaf = pt_walk(&walk, npt.root, 0x12345000, 1, NULL, NULL);
	ck_assert_ptr_nonnull(leaf);
	/* P, W, U (nested accesses are user accesses), PAT index 0: write-back. */
	ck_assert_uint_eq(*leaf, 0xabcde000ULL | 0x7);
	ck_assert_uint_eq(npt.root[0] & 0x7, 0x7);
	ck_assert_uint_eq(gpt_root(&npt), (uint64_t)(uintptr_t)npt.root);
	ck_assert_int_eq(gpt_map(&npt, _gfn(0x12345), _hfn(1)), -EEXIST);
	/* A and D are bits 5 and 6, as the CPU sets them. */
	*leaf |= 1 << 5;
	ck_assert(gpt_test_and_clear(&npt, _gfn(0x12345), GPT_ACCESSED));
	ck_assert(!gpt_test_and_clear(&npt, _gfn(0x12345), GPT_ACCESSED));
	ck_assert(!gpt_test_and_clear(&npt, _gfn(0x12345), GPT_DIRTY));
	*leaf |= 1 << 6;
	ck_assert_uint_eq(gpt_unmap(&npt, _gfn(0x12345)) & PT_ADDR_MASK, 0xabcde000ULL);
	ck_assert_uint_eq(*leaf & NPT_P, 0);
	ck_assert_uint_eq(hfn_x(gpt_lookup(&npt, _gfn(0x12345))), hfn_x(INVALID_HFN));
	ck_assert(gpt_test_and_clear(&npt, _gfn(0x12345), GPT_DIRTY)); /* write before unmap */
	ck_assert(!gpt_test_and_clear(&npt, _gfn(0x12345), GPT_DIRTY));
	ck_assert_int_eq(gpt_map(&npt, _gfn(0x12345), _hfn(7)), 0);
	ck_assert_uint_eq(*leaf, 0x7000ULL | 0x7); /* fresh: no history */
	gpt_destroy(&npt);
	ck_assert_int_eq(live_pages, 0);
}
END_TEST

/* A released leaf is forgotten; the tables it leaves empty are unlinked
 * (not the root), counted out, and freed only by gpt_reap(). */
START_TEST(release_frees_empty_tables_after_reap)
{
	struct gpt g;

	live_pages = 0;
	gpt_init(&g, &gpt_npt_format, true, alloc_page, free_page, NULL);
	ck_assert_int_eq(gpt_map(&g, _gfn(0x200), _hfn(100)), 0); /* PDPT, PD, PT */
	ck_assert_int_eq(gpt_map(&g, _gfn(0x201), _hfn(101)), 0); /* same PT */
	ck_assert_int_eq(gpt_map(&g, _gfn(0x400), _hfn(102)), 0); /* another PT */
	ck_assert_uint_eq(g.nr_tables, 4);
	ck_assert_uint_eq(gpt_release(&g, _gfn(0x200)), 0); /* still mapped: kept */
	ck_assert_uint_eq(hfn_x(gpt_lookup(&g, _gfn(0x200))), 100);
	gpt_unmap(&g, _gfn(0x200));
	ck_assert_uint_eq(gpt_release(&g, _gfn(0x200)), 0); /* 0x201 still in its PT */
	ck_assert(!gpt_test_and_clear(&g, _gfn(0x200), GPT_DIRTY)); /* entry forgotten */
	gpt_unmap(&g, _gfn(0x201));
	ck_assert_uint_eq(gpt_release(&g, _gfn(0x201)), 1); /* its PT */
	ck_assert_uint_eq(g.nr_tables, 3);
	ck_assert_int_eq(live_pages, 5); /* not freed before the reap */
	gpt_reap(&g);
	ck_assert_int_eq(live_pages, 4);
	gpt_unmap(&g, _gfn(0x400));
	ck_assert_uint_eq(gpt_release(&g, _gfn(0x400)), 3); /* PT, PD, PDPT; never the root */
	ck_assert_uint_eq(g.nr_tables, 0);
	gpt_reap(&g);
	ck_assert_int_eq(live_pages, 1);
	ck_assert_int_eq(gpt_map(&g, _gfn(0x400), _hfn(103)), 0); /* built again */
	ck_assert_uint_eq(hfn_x(gpt_lookup(&g, _gfn(0x400))), 103);
	gpt_destroy(&g);
	ck_assert_int_eq(live_pages, 0);
}
END_TEST

Suite *gpt_suite(void)
{
	Suite *s = suite_create("gpt");
	TCase *t = tcase_create("walk");

	tcase_add_test(t, map_encodes_leaf_and_eptp);
	tcase_add_test(t, refuses_remap_and_unmaps);
	tcase_add_test(t, accessed_dirty_test_and_clear);
	tcase_add_test(t, walker_large_pages_and_ranges);
	tcase_add_test(t, npt_format_keeps_ad_across_unmap);
	tcase_add_test(t, release_frees_empty_tables_after_reap);
	suite_add_tcase(s, t);
	return s;
}
