/* SPDX-License-Identifier: MIT */
/*
 * The decision table of asm/mitigations.h: CPU facts and the configured
 * mode in, the measures to carry out out. Plain C, also compiled into the
 * unit tests (tests/unit/test_mitig.c).
 */
#include <asm/mitigations.h>

static const char *const names[MITIG_NR] = {
	[MITIG_X87_PTRS] = "x87-ptrs",
};

const char *mitig_name(enum mitig_id id)
{
	return id < MITIG_NR ? names[id] : "?";
}

/*
 * x87 error pointers (XSA-52, CVE-2013-2076): AMD CPUs without XSaveErPtr
 * save FIP/FDP/FOP with FXSAVE and load them with FXRSTOR only when the
 * image has an unmasked exception pending; otherwise the previous values
 * stay in the CPU, where the next VM's FNSTENV/FNSAVE reads them. Linux
 * (X86_BUG_FXSAVE_LEAK) and Xen clear them on such CPUs. Not a
 * transient-execution barrier: "off" leaves it as in auto. Any x86-64 CPU
 * can do it, so "force" always turns it on.
 */
static bool x87_ptrs_needed(const struct mitig_facts *f)
{
	return f->amd && !(f->e8_ebx & CPUID_E8_EBX_XSAVEERPTR);
}

struct mitig_choice mitig_choose(const struct mitig_facts *f, enum mitig_mode m)
{
	struct mitig_choice c = { 0, 0 };

	if (m == MITIG_FORCE || x87_ptrs_needed(f))
		c.on |= MITIG_BIT(MITIG_X87_PTRS);
	return c;
}
