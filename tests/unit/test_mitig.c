/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: the decision table of the barriers between VMs
 * (arch/x86_64/mitig_policy.c): CPU facts and mode in, measures out.
 */
#include "unit.h"
#include <asm/mitigations.h>

static unsigned int on(const struct mitig_facts *f, enum mitig_mode m)
{
	return mitig_choose(f, m).on;
}

#define X87 MITIG_BIT(MITIG_X87_PTRS)

START_TEST(x87_pointers)
{
	struct mitig_facts amd_old = { .amd = true, .e8_ebx = 0 };
	struct mitig_facts amd_fixed = { .amd = true, .e8_ebx = CPUID_E8_EBX_XSAVEERPTR };
	struct mitig_facts intel = { .amd = false, .e8_ebx = 0 };

	/* AMD without XSaveErPtr: FXRSTOR keeps the old pointers. */
	ck_assert_uint_eq(on(&amd_old, MITIG_AUTO) & X87, X87);
	/* Not a transient-execution barrier: "off" keeps it. */
	ck_assert_uint_eq(on(&amd_old, MITIG_OFF) & X87, X87);
	/* The fix in the CPU, or an Intel CPU (FXSAVE always saves them). */
	ck_assert_uint_eq(on(&amd_fixed, MITIG_AUTO) & X87, 0);
	ck_assert_uint_eq(on(&intel, MITIG_AUTO) & X87, 0);
	ck_assert_uint_eq(on(&intel, MITIG_OFF) & X87, 0);
	/* Forced: on everywhere, never skipped. */
	ck_assert_uint_eq(on(&amd_fixed, MITIG_FORCE) & X87, X87);
	ck_assert_uint_eq(on(&intel, MITIG_FORCE) & X87, X87);
	ck_assert_uint_eq(mitig_choose(&intel, MITIG_FORCE).skipped, 0);
}
END_TEST

START_TEST(names)
{
	for (unsigned int i = 0; i < MITIG_NR; i++)
		ck_assert_ptr_nonnull(mitig_name(i));
	ck_assert_str_eq(mitig_name(MITIG_X87_PTRS), "x87-ptrs");
	ck_assert_str_eq(mitig_name(MITIG_NR), "?");
}
END_TEST

Suite *mitig_suite(void)
{
	Suite *s = suite_create("mitigations");
	TCase *tc = tcase_create("choose");

	tcase_add_test(tc, x87_pointers);
	tcase_add_test(tc, names);
	suite_add_tcase(s, tc);
	return s;
}
