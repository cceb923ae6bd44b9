/* SPDX-License-Identifier: MIT */
/* Unit tests: the MOV decoder used for xAPIC MMIO emulation. */
#include "unit.h"
#include <asm/mmio.h>
#include <errno.h>

static struct mmio_insn d;

static int dec(const uint8_t *p, size_t n)
{
	return mmio_decode(p, n, &d);
}

START_TEST(linux_apic_accessors)
{
	/* native_apic_mem_read: mov 0xffffffffff7fd000(%rdi),%eax */
	static const uint8_t rd[] = { 0x8b, 0x87, 0x00, 0xd0, 0x7f, 0xff, 0xc3 };
	/* native_apic_mem_write: mov %esi,0xffffffffff7fd000(%rdi) */
	static const uint8_t wr[] = { 0x89, 0xb7, 0x00, 0xd0, 0x7f, 0xff };

	ck_assert_int_eq(dec(rd, sizeof(rd)), 0);
	ck_assert_uint_eq(d.len, 6);
	ck_assert(!d.write);
	ck_assert_uint_eq(d.size, 4);
	ck_assert_uint_eq(d.reg, 0); /* EAX */
	ck_assert_int_eq(dec(wr, sizeof(wr)), 0);
	ck_assert_uint_eq(d.len, 6);
	ck_assert(d.write && !d.has_imm);
	ck_assert_uint_eq(d.reg, 6); /* ESI */
}
END_TEST

START_TEST(addressing_forms)
{
	static const struct {
		uint8_t b[15];
		size_t n;
		unsigned int len, size, reg;
		bool write;
	} c[] = {
		{ { 0xa1, 0x30, 0, 0xe0, 0xfe, 0, 0, 0, 0 }, 9, 9, 4, 0, false }, /* movabs moffs,%eax */
		{ { 0xa3, 0x80, 0, 0xe0, 0xfe, 0, 0, 0, 0 }, 9, 9, 4, 0, true },  /* movabs %eax,moffs */
		{ { 0x48, 0xa1, 0, 0, 0xe0, 0xfe, 0, 0, 0, 0 }, 10, 10, 8, 0, false }, /* REX.W */
		{ { 0x8b, 0x00 }, 2, 2, 4, 0, false },                         /* mov (%rax),%eax */
		{ { 0x8b, 0x40, 0x10 }, 3, 3, 4, 0, false },                   /* disp8 */
		{ { 0x8b, 0x04, 0x24 }, 3, 3, 4, 0, false },                   /* SIB (%rsp) */
		{ { 0x8b, 0x44, 0x24, 0x08 }, 4, 4, 4, 0, false },             /* SIB + disp8 */
		{ { 0x8b, 0x04, 0x25, 0, 0, 0xe0, 0xfe }, 7, 7, 4, 0, false }, /* SIB, no base */
		{ { 0x8b, 0x05, 1, 2, 3, 4 }, 6, 6, 4, 0, false },             /* RIP-relative */
		{ { 0x44, 0x89, 0x08 }, 3, 3, 4, 9, true },                    /* REX.R: %r9d */
		{ { 0x48, 0x8b, 0x18 }, 3, 3, 8, 3, false },                   /* REX.W: %rbx */
		{ { 0x66, 0x89, 0x10 }, 3, 3, 2, 2, true },                    /* 16-bit */
		{ { 0x88, 0x08 }, 2, 2, 1, 1, true },                          /* 8-bit store */
		{ { 0x8a, 0x08 }, 2, 2, 1, 1, false },                         /* 8-bit load */
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		ck_assert_int_eq(dec(c[i].b, c[i].n), 0);
		ck_assert_uint_eq(d.len, c[i].len);
		ck_assert_uint_eq(d.size, c[i].size);
		ck_assert_uint_eq(d.reg, c[i].reg);
		ck_assert(d.write == c[i].write);
	}
}
END_TEST

START_TEST(immediates)
{
	static const uint8_t imm32[] = { 0xc7, 0x80, 0xb0, 0, 0, 0, 0, 0, 0, 0 }; /* movl $0,0xb0(%rax) */
	static const uint8_t imm64[] = { 0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t imm8[] = { 0xc6, 0x00, 0x5a };

	ck_assert_int_eq(dec(imm32, sizeof(imm32)), 0);
	ck_assert_uint_eq(d.len, 10);
	ck_assert(d.write && d.has_imm);
	ck_assert_uint_eq(d.imm, 0);
	ck_assert_int_eq(dec(imm64, sizeof(imm64)), 0);
	ck_assert_uint_eq(d.size, 8);
	ck_assert_uint_eq(d.imm, ~0ULL); /* sign-extended */
	ck_assert_int_eq(dec(imm8, sizeof(imm8)), 0);
	ck_assert_uint_eq(d.imm, 0x5a);
	ck_assert_uint_eq(d.len, 3);
}
END_TEST

START_TEST(rejects_the_rest)
{
	static const uint8_t regreg[] = { 0x89, 0xc0 };      /* mov %eax,%eax: no memory */
	static const uint8_t add[] = { 0x01, 0x00 };         /* add: not a MOV */
	static const uint8_t c7_1[] = { 0xc7, 0x08, 0, 0, 0, 0 }; /* C7 /1 */
	static const uint8_t trunc[] = { 0x8b, 0x80, 0x00 }; /* disp32 cut short */
	static const uint8_t addr32[] = { 0x67, 0x8b, 0x00 };
	/* movabs with 7 operand-size prefixes: 16 bytes, over the 15-byte limit. */
	static const uint8_t movabs16[] = { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0xa3,
					    0, 0, 0xe0, 0xfe, 0, 0, 0, 0 };

	ck_assert_int_eq(dec(regreg, sizeof(regreg)), -EINVAL);
	ck_assert_int_eq(dec(add, sizeof(add)), -EINVAL);
	ck_assert_int_eq(dec(c7_1, sizeof(c7_1)), -EINVAL);
	ck_assert_int_eq(dec(trunc, sizeof(trunc)), -EINVAL);
	ck_assert_int_eq(dec(addr32, sizeof(addr32)), -EINVAL);
	ck_assert_int_eq(dec(regreg, 0), -EINVAL);
	ck_assert_int_eq(dec(movabs16, sizeof(movabs16)), -EINVAL);
	ck_assert_int_eq(dec(movabs16 + 6, sizeof(movabs16) - 6), 0); /* 10 bytes: fine */
}
END_TEST

Suite *mmio_suite(void)
{
	Suite *s = suite_create("mmio");
	TCase *t = tcase_create("decode");

	tcase_add_test(t, linux_apic_accessors);
	tcase_add_test(t, addressing_forms);
	tcase_add_test(t, immediates);
	tcase_add_test(t, rejects_the_rest);
	suite_add_tcase(s, t);
	return s;
}
