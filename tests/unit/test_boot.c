/* SPDX-License-Identifier: MIT */
/* Unit tests: multiboot2 information parsing and boot_info helpers. */
#include "unit.h"
#include <boot_info.h>
#include <string.h>

static uint8_t mbi[1024] __attribute__((aligned(8)));
static size_t off;

static void *tag(uint32_t type, uint32_t size)
{
	uint8_t *t = mbi + off;

	memcpy(t, &type, 4);
	memcpy(t + 4, &size, 4);
	off += ALIGN_UP(size, 8u);
	return t;
}

static void begin(void)
{
	memset(mbi, 0, sizeof(mbi));
	off = 8;
}

static void finish(void)
{
	uint32_t total;

	tag(0, 8);
	total = (uint32_t)off;
	memcpy(mbi, &total, 4);
}

static void add_mmap(const uint64_t (*e)[3], int n)
{
	uint8_t *t = tag(6, (uint32_t)(16 + 24 * n));
	uint32_t esize = 24, ever = 0;

	memcpy(t + 8, &esize, 4);
	memcpy(t + 12, &ever, 4);
	for (int i = 0; i < n; i++) {
		uint32_t type = (uint32_t)e[i][2];

		memcpy(t + 16 + 24 * i, &e[i][0], 8);
		memcpy(t + 24 + 24 * i, &e[i][1], 8);
		memcpy(t + 32 + 24 * i, &type, 4);
	}
}

static void add_module(uint32_t start, uint32_t end, const char *name)
{
	uint8_t *t = tag(3, (uint32_t)(16 + strlen(name) + 1));

	memcpy(t + 8, &start, 4);
	memcpy(t + 12, &end, 4);
	strcpy((char *)t + 16, name);
}

START_TEST(parses_mmap_modules_cmdline)
{
	static const uint64_t map[][3] = {
		{ 0, 0x9fc00, 1 },          { 0x9fc00, 0x400, 2 },     { 0x100000, 0x7ee0000, 1 },
		{ 0x7fe0000, 0x20000, 3 }, { 0xfffc0000, 0x40000, 2 },
	};
	struct boot_info bi = { 0 };
	uint8_t *t;

	begin();
	t = tag(1, 8 + 9);
	strcpy((char *)t + 8, "loglevel");
	add_mmap(map, 5);
	add_module(0x200000, 0x201234, "/boot/hello.elf hello.elf");
	add_module(0x300000, 0x300100, "hintvisor.cfg");
	finish();
	ck_assert_int_eq(mb2_parse(mbi, &bi), 0);
	ck_assert_str_eq(bi.cmdline, "loglevel");
	ck_assert_uint_eq(bi.nr_mem, 5);
	ck_assert_uint_eq(bi.mem[0].type, BOOT_MEM_USABLE);
	ck_assert_uint_eq(bi.mem[1].type, BOOT_MEM_RESERVED);
	ck_assert_uint_eq(bi.mem[3].type, BOOT_MEM_ACPI);
	ck_assert_uint_eq(bi.mem[2].len, 0x7ee0000);
	ck_assert_uint_eq(bi.nr_modules, 2);
	ck_assert_str_eq(bi.modules[0].name, "hello.elf");
	ck_assert_uint_eq(bi.modules[0].len, 0x1234);
	ck_assert_ptr_nonnull(boot_find_module(&bi, "hintvisor.cfg"));
	ck_assert_ptr_null(boot_find_module(&bi, "nope"));
}
END_TEST

START_TEST(rejects_malformed)
{
	static const uint64_t map[][3] = { { 0, 0x1000, 1 } };
	struct boot_info bi = { 0 };
	uint32_t big = 0x7fffffff;

	/* No end tag. */
	begin();
	add_mmap(map, 1);
	memcpy(mbi, &(uint32_t){ (uint32_t)off }, 4);
	ck_assert_int_ne(mb2_parse(mbi, &bi), 0);
	/* A tag larger than the structure. */
	memset(&bi, 0, sizeof(bi));
	begin();
	add_mmap(map, 1);
	finish();
	memcpy(mbi + 12, &big, 4);
	ck_assert_int_ne(mb2_parse(mbi, &bi), 0);
	/* Module end before start. */
	memset(&bi, 0, sizeof(bi));
	begin();
	add_mmap(map, 1);
	add_module(0x2000, 0x1000, "x");
	finish();
	ck_assert_int_ne(mb2_parse(mbi, &bi), 0);
	/* No memory map at all. */
	memset(&bi, 0, sizeof(bi));
	begin();
	finish();
	ck_assert_int_ne(mb2_parse(mbi, &bi), 0);
}
END_TEST

START_TEST(add_mem_merges_neighbours)
{
	struct boot_info bi = { 0 };

	ck_assert(boot_add_mem(&bi, 0, 0x1000, BOOT_MEM_USABLE));
	ck_assert(boot_add_mem(&bi, 0x1000, 0x1000, BOOT_MEM_USABLE));
	ck_assert(boot_add_mem(&bi, 0x2000, 0x1000, BOOT_MEM_RESERVED));
	ck_assert(boot_add_mem(&bi, 0x5000, 0x1000, BOOT_MEM_RESERVED));
	ck_assert_uint_eq(bi.nr_mem, 3);
	ck_assert_uint_eq(bi.mem[0].len, 0x2000);
	for (int i = 0; i < BOOT_MAX_MEM; i++)
		boot_add_mem(&bi, 0x100000 + (uint64_t)i * 0x2000, 0x1000, BOOT_MEM_USABLE);
	ck_assert(!boot_add_mem(&bi, 0x90000000, 0x1000, BOOT_MEM_USABLE));
}
END_TEST

START_TEST(module_names_are_basenames)
{
	struct boot_info bi = { 0 };

	ck_assert(boot_add_module(&bi, 0, 1, "\\hintvisor\\guest.elf"));
	ck_assert(boot_add_module(&bi, 0, 1, "/a/b/c.cfg extra args"));
	ck_assert_str_eq(bi.modules[0].name, "guest.elf");
	ck_assert_str_eq(bi.modules[1].name, "c.cfg");
}
END_TEST

Suite *boot_suite(void)
{
	Suite *s = suite_create("boot");
	TCase *t = tcase_create("multiboot2");

	tcase_add_test(t, parses_mmap_modules_cmdline);
	tcase_add_test(t, rejects_malformed);
	tcase_add_test(t, add_mem_merges_neighbours);
	tcase_add_test(t, module_names_are_basenames);
	suite_add_tcase(s, t);
	return s;
}
