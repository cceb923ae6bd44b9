/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: the decision table of the barriers between VMs
 * (arch/x86_64/mitig_policy.c): CPUID and IA32_ARCH_CAPABILITIES bits and
 * the mode in, the measures out.
 */
#include "unit.h"
#include <asm/mitigations.h>

#define X87 MITIG_BIT(MITIG_X87_PTRS)
#define L1D MITIG_BIT(MITIG_L1D_FLUSH)
#define VERW MITIG_BIT(MITIG_VERW)
#define IBPB MITIG_BIT(MITIG_IBPB)
#define RSB MITIG_BIT(MITIG_RSB_FILL)
#define ALL (X87 | L1D | VERW | IBPB | RSB)

/* CPUs, by what they report. */
#define INTEL_OLD .amd = false /* no leaf 7 bits, no ARCH_CAPABILITIES */
#define SPEC_7 (CPUID_7_EDX_IBPB | CPUID_7_EDX_L1D_FLUSH | CPUID_7_EDX_MD_CLEAR)
#define CAPS_FIXED (ARCH_CAP_RDCL_NO | ARCH_CAP_MDS_NO | ARCH_CAP_TAA_NO)

static const struct {
	const char *cpu;
	struct mitig_facts f;
	enum mitig_mode m;
	unsigned int on, skipped;
	bool l1d_msr;
} table[] = {
	/* Intel without microcode updates (Bochs corei7_skylake_x): all
	 * affected; no IA32_FLUSH_CMD or IBPB, so both skipped in auto;
	 * forced, the L1D flush by software. */
	{ "intel-old", { INTEL_OLD }, MITIG_AUTO, VERW | RSB, L1D | IBPB, false },
	{ "intel-old", { INTEL_OLD }, MITIG_FORCE, ALL & ~IBPB, IBPB, false },
	{ "intel-old", { INTEL_OLD }, MITIG_OFF, 0, 0, false },
	/* Skylake with microcode: L1D flush by MSR, which also clears the
	 * buffers with MD_CLEAR: no separate VERW. */
	{ "skylake-ucode", { .l7_edx = SPEC_7 }, MITIG_AUTO, L1D | IBPB | RSB, 0, true },
	/* ... without MD_CLEAR: VERW too (it may still clear them). */
	{ "skylake-no-md-clear",
	  { .l7_edx = CPUID_7_EDX_IBPB | CPUID_7_EDX_L1D_FLUSH },
	  MITIG_AUTO, L1D | VERW | IBPB | RSB, 0, true },
	/* Forced: VERW as well, the flush by MSR. */
	{ "skylake-ucode", { .l7_edx = SPEC_7 }, MITIG_FORCE, ALL, 0, true },
	/* Cascade Lake: RDCL_NO and MDS_NO, but RTM without TAA_NO: VERW for
	 * TAA only. */
	{ "cascade-lake",
	  { .l7_ebx = CPUID_7_EBX_RTM, .l7_edx = SPEC_7 | CPUID_7_EDX_ARCH_CAPS,
	    .arch_caps = ARCH_CAP_RDCL_NO | ARCH_CAP_MDS_NO },
	  MITIG_AUTO, VERW | IBPB | RSB, 0, false },
	/* The same with TSX off (no RTM): TAA does not apply. */
	{ "cascade-lake-no-tsx",
	  { .l7_edx = SPEC_7 | CPUID_7_EDX_ARCH_CAPS,
	    .arch_caps = ARCH_CAP_RDCL_NO | ARCH_CAP_MDS_NO },
	  MITIG_AUTO, IBPB | RSB, 0, false },
	/* Ice Lake and later: not affected by L1TF, MDS or TAA. */
	{ "icelake", { .l7_ebx = CPUID_7_EBX_RTM, .l7_edx = SPEC_7 | CPUID_7_EDX_ARCH_CAPS,
		       .arch_caps = CAPS_FIXED },
	  MITIG_AUTO, IBPB | RSB, 0, false },
	/* Forced there: L1D by MSR, VERW, x87 as well. */
	{ "icelake", { .l7_edx = SPEC_7 | CPUID_7_EDX_ARCH_CAPS, .arch_caps = CAPS_FIXED },
	  MITIG_FORCE, ALL, 0, true },
	/* A hypervisor below flushes the L1D on its own entries
	 * (SKIP_L1DFL_VMENTRY), MDS still open: VERW, no flush. */
	{ "nested-skip-l1d",
	  { .l7_edx = SPEC_7 | CPUID_7_EDX_ARCH_CAPS, .arch_caps = ARCH_CAP_SKIP_L1DFL_VMENTRY },
	  MITIG_AUTO, VERW | IBPB | RSB, 0, false },
	/* Bochs tigerlake: ARCH_CAPABILITIES 0x1f (RDCL_NO, IBRS_ALL, RSBA,
	 * SKIP_L1DFL_VMENTRY, SSB_NO), no MDS_NO. */
	{ "bochs-tigerlake",
	  { .l7_edx = 0xfc100510, .arch_caps = 0x1f }, MITIG_AUTO, VERW | IBPB | RSB, 0, false },
	{ "bochs-tigerlake", { .l7_edx = 0xfc100510, .arch_caps = 0x1f }, MITIG_FORCE, ALL, 0, true },
	/* AMD without XSaveErPtr and IBPB (QEMU/TCG -cpu max): x87 pointers,
	 * RSB; no L1TF/MDS/TAA whatever ARCH_CAPABILITIES says. */
	{ "amd-old", { .amd = true }, MITIG_AUTO, X87 | RSB, IBPB, false },
	{ "amd-old", { .amd = true }, MITIG_FORCE, ALL & ~IBPB, IBPB, false },
	/* off: the x87 pointers are not a transient-execution barrier. */
	{ "amd-old", { .amd = true }, MITIG_OFF, X87, 0, false },
	/* Zen 2 and later: XSaveErPtr and IBPB in 8000_0008h:EBX. */
	{ "zen2", { .amd = true, .e8_ebx = CPUID_E8_EBX_XSAVEERPTR | CPUID_E8_EBX_IBPB },
	  MITIG_AUTO, IBPB | RSB, 0, false },
	{ "zen2", { .amd = true, .e8_ebx = CPUID_E8_EBX_XSAVEERPTR | CPUID_E8_EBX_IBPB },
	  MITIG_OFF, 0, 0, false },
	/* Zen 1: IBPB, but the old FXRSTOR. */
	{ "zen1", { .amd = true, .e8_ebx = CPUID_E8_EBX_IBPB }, MITIG_AUTO, X87 | IBPB | RSB, 0,
	  false },
	/* An AMD CPU that also reports IBPB in leaf 7 (as some do). */
	{ "amd-leaf7-ibpb", { .amd = true, .e8_ebx = CPUID_E8_EBX_XSAVEERPTR,
			      .l7_edx = CPUID_7_EDX_IBPB },
	  MITIG_AUTO, IBPB | RSB, 0, false },
};

START_TEST(decision_table)
{
	struct mitig_choice c = mitig_choose(&table[_i].f, table[_i].m);

	if (c.on != table[_i].on || c.skipped != table[_i].skipped ||
	    c.l1d_msr != table[_i].l1d_msr)
		ck_abort_msg("%s, mode %d: on %#x skipped %#x l1d_msr %d, expected %#x %#x %d",
			     table[_i].cpu, table[_i].m, c.on, c.skipped, c.l1d_msr, table[_i].on,
			     table[_i].skipped, table[_i].l1d_msr);
}
END_TEST

/* Whatever the facts: off runs no barrier, force runs every one the CPU
 * can, auto never more than force; skipped and on never overlap. */
START_TEST(modes_nest)
{
	for (unsigned int bits = 0; bits < 64; bits++) {
		struct mitig_facts f = {
			.amd = bits & 1,
			.l7_ebx = bits & 2 ? CPUID_7_EBX_RTM : 0,
			.l7_edx = (bits & 4 ? CPUID_7_EDX_IBPB : 0) |
				  (bits & 8 ? CPUID_7_EDX_L1D_FLUSH | CPUID_7_EDX_MD_CLEAR : 0),
			.e8_ebx = bits & 16 ? CPUID_E8_EBX_XSAVEERPTR | CPUID_E8_EBX_IBPB : 0,
			.arch_caps = bits & 32 ? ARCH_CAP_RDCL_NO | ARCH_CAP_MDS_NO : 0,
		};
		struct mitig_choice a = mitig_choose(&f, MITIG_AUTO);
		struct mitig_choice fo = mitig_choose(&f, MITIG_FORCE);
		struct mitig_choice o = mitig_choose(&f, MITIG_OFF);

		ck_assert_uint_eq(o.on & ~X87, 0);
		ck_assert_uint_eq(o.on, a.on & X87);
		ck_assert_uint_eq(a.on & ~fo.on, 0);
		ck_assert_uint_eq(fo.on | fo.skipped, ALL);
		ck_assert_uint_eq(a.on & a.skipped, 0);
		ck_assert_uint_eq(fo.on & RSB, RSB);
	}
}
END_TEST

START_TEST(names)
{
	for (unsigned int i = 0; i < MITIG_NR; i++)
		ck_assert_str_ne(mitig_name(i), "?");
	ck_assert_str_eq(mitig_name(MITIG_X87_PTRS), "x87-ptrs");
	ck_assert_str_eq(mitig_name(MITIG_L1D_FLUSH), "L1D-flush");
	ck_assert_str_eq(mitig_name(MITIG_NR), "?");
}
END_TEST

Suite *mitig_suite(void)
{
	Suite *s = suite_create("mitigations");
	TCase *tc = tcase_create("choose");

	tcase_add_loop_test(tc, decision_table, 0, sizeof(table) / sizeof(table[0]));
	tcase_add_test(tc, modes_nest);
	tcase_add_test(tc, names);
	suite_add_tcase(s, tc);
	return s;
}
