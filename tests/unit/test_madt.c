/* SPDX-License-Identifier: MIT */
/* Unit tests: the host's CPUs from the ACPI MADT (arch/x86_64/lib/madt.c). */
#include "unit.h"
#include <asm/madt.h>
#include <string.h>

/* A fake physical memory of 64 KiB: RSDP at 0x100, XSDT at 0x1000, RSDT at
 * 0x2000, a FACP-like table at 0x3000, the MADT at 0x4000. */
static uint8_t mem[0x10000];

static const void *map(uint64_t pa, size_t len, void *ctx)
{
	(void)ctx;
	return pa + len <= sizeof(mem) && pa + len > pa ? mem + pa : NULL;
}

static void put32(uint64_t pa, uint32_t v)
{
	memcpy(mem + pa, &v, 4);
}

static void put64(uint64_t pa, uint64_t v)
{
	memcpy(mem + pa, &v, 8);
}

static void sum(uint64_t pa, size_t len, size_t at)
{
	uint8_t s = 0;

	mem[pa + at] = 0;
	for (size_t i = 0; i < len; i++)
		s = (uint8_t)(s + mem[pa + i]);
	mem[pa + at] = (uint8_t)-s;
}

static void table(uint64_t pa, const char *sig, uint32_t len)
{
	memcpy(mem + pa, sig, 4);
	put32(pa + 4, len);
	sum(pa, len, 9);
}

static uint32_t madt_len;

/* The MADT with the entries of e (n bytes) after its 44-byte header. */
static void madt(const uint8_t *e, uint32_t n)
{
	memset(mem + 0x4000, 0, 0x1000);
	memcpy(mem + 0x4000 + 44, e, n);
	madt_len = 44 + n;
	table(0x4000, "APIC", madt_len);
}

static void build(int revision)
{
	memset(mem, 0, 0x4000);
	memcpy(mem + 0x100, "RSD PTR ", 8);
	mem[0x100 + 15] = (uint8_t)revision;
	put32(0x100 + 16, 0x2000);
	sum(0x100, 20, 8);
	if (revision >= 2) {
		put32(0x100 + 20, 36);
		put64(0x100 + 24, 0x1000);
		sum(0x100, 36, 32);
	}
	table(0x3000, "FACP", 36);
	put64(0x1000 + 36, 0x3000);
	put64(0x1000 + 44, 0x4000);
	table(0x1000, "XSDT", 52);
	put32(0x2000 + 36, 0x3000);
	put32(0x2000 + 40, 0x4000);
	table(0x2000, "RSDT", 44);
}

/* Local APIC 0 and 1 enabled, 2 disabled; x2APIC 300 enabled; an I/O APIC. */
static const uint8_t entries[] = {
	0, 8, 0, 0, 1, 0, 0, 0,
	0, 8, 1, 1, 1, 0, 0, 0,
	0, 8, 2, 2, 0, 0, 0, 0,
	1, 12, 9, 0, 0, 0, 0xc0, 0xfe, 0, 0, 0, 0,
	9, 16, 0, 0, 0x2c, 1, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0,
};

START_TEST(xsdt_and_rsdt)
{
	uint32_t ids[8];

	for (int rev = 0; rev <= 2; rev += 2) {
		build(rev);
		madt(entries, sizeof(entries));
		memset(ids, 0xff, sizeof(ids));
		ck_assert_int_eq(madt_cpus(0x100, map, NULL, ids, 8), 3);
		ck_assert_uint_eq(ids[0], 0);
		ck_assert_uint_eq(ids[1], 1);
		ck_assert_uint_eq(ids[2], 300);
	}
}
END_TEST

START_TEST(more_than_room)
{
	uint32_t ids[2];

	build(2);
	madt(entries, sizeof(entries));
	ck_assert_int_eq(madt_cpus(0x100, map, NULL, ids, 2), 3); /* the count, 2 stored */
	ck_assert_uint_eq(ids[1], 1);
}
END_TEST

START_TEST(bad_tables)
{
	uint32_t ids[8];
	uint8_t bad[sizeof(entries)];

	build(2);
	madt(entries, sizeof(entries));
	mem[0x4000 + 50] ^= 1; /* MADT checksum */
	ck_assert_int_eq(madt_cpus(0x100, map, NULL, ids, 8), -1);
	build(2);
	madt(entries, sizeof(entries));
	mem[0x100 + 1] = 'X'; /* RSDP signature */
	ck_assert_int_eq(madt_cpus(0x100, map, NULL, ids, 8), -1);
	ck_assert_int_eq(madt_cpus(0xfff0, map, NULL, ids, 8), -1); /* beyond what maps */
	build(2);
	put32(0x1000 + 4, 1u << 24); /* XSDT length far too large */
	ck_assert_int_eq(madt_cpus(0x100, map, NULL, ids, 8), -1);
	/* An entry of length 0 or past the end stops the walk, keeps what came before. */
	memcpy(bad, entries, sizeof(bad));
	bad[17] = 0;
	build(2);
	madt(bad, sizeof(bad));
	ck_assert_int_eq(madt_cpus(0x100, map, NULL, ids, 8), 2);
	bad[17] = 200;
	madt(bad, sizeof(bad));
	ck_assert_int_eq(madt_cpus(0x100, map, NULL, ids, 8), 2);
}
END_TEST

Suite *madt_suite(void)
{
	Suite *s = suite_create("madt");
	TCase *tc = tcase_create("madt");

	tcase_add_test(tc, xsdt_and_rsdt);
	tcase_add_test(tc, more_than_room);
	tcase_add_test(tc, bad_tables);
	suite_add_tcase(s, tc);
	return s;
}
