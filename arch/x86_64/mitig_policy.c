/* SPDX-License-Identifier: MIT */
/*
 * The decision table of asm/mitigations.h: CPU facts and the configured
 * mode in, the measures to carry out out, after what Linux (arch/x86/
 * kernel/cpu/bugs.c, KVM's vmx.c) and Xen (spec_ctrl.c) do, without their
 * per-model lists: a CPU counts as affected unless CPUID or
 * IA32_ARCH_CAPABILITIES says it is not. Plain C, also compiled into the
 * unit tests (tests/unit/test_mitig.c).
 */
#include <asm/mitigations.h>

static const char *const names[MITIG_NR] = {
	[MITIG_X87_PTRS] = "x87-ptrs", [MITIG_L1D_FLUSH] = "L1D-flush", [MITIG_VERW] = "VERW",
	[MITIG_IBPB] = "IBPB",         [MITIG_RSB_FILL] = "RSB-fill",
};

const char *mitig_name(unsigned int id)
{
	return id < MITIG_NR ? names[id] : "?";
}

/*
 * x87 error pointers (XSA-52, CVE-2013-2076): AMD CPUs without XSaveErPtr
 * save FIP/FDP/FOP with FXSAVE and load them with FXRSTOR only when the
 * image has an unmasked exception pending; otherwise the previous values
 * stay in the CPU, where the next VM's FNSTENV/FNSAVE reads them. Linux
 * (X86_BUG_FXSAVE_LEAK) and Xen clear them on such CPUs. Not a
 * transient-execution barrier: "off" leaves it as in auto.
 */
static bool x87_ptrs_needed(const struct mitig_facts *f)
{
	return f->amd && !(f->e8_ebx & CPUID_E8_EBX_XSAVEERPTR);
}

/* L1TF (L1 terminal fault): a guest's not-present page-table entries let
 * it read the L1D speculatively, whatever the host left there; AMD and
 * Hygon are not affected, nor CPUs with RDCL_NO, and SKIP_L1DFL_VMENTRY
 * says a hypervisor below us flushes already. */
static bool l1tf(const struct mitig_facts *f)
{
	return !f->amd && !(f->arch_caps & (ARCH_CAP_RDCL_NO | ARCH_CAP_SKIP_L1DFL_VMENTRY));
}

/* MDS (microarchitectural data sampling) and TAA (TSX asynchronous abort,
 * only with RTM): stale data in store, fill and load buffers; AMD and Hygon
 * are not affected. */
static bool mds_or_taa(const struct mitig_facts *f)
{
	bool mds = !(f->arch_caps & ARCH_CAP_MDS_NO);
	bool taa = (f->l7_ebx & CPUID_7_EBX_RTM) && !(f->arch_caps & ARCH_CAP_TAA_NO);

	return !f->amd && (mds || taa);
}

static bool has_ibpb(const struct mitig_facts *f)
{
	return (f->l7_edx & CPUID_7_EDX_IBPB) || (f->e8_ebx & CPUID_E8_EBX_IBPB);
}

struct mitig_choice mitig_choose(const struct mitig_facts *f, enum mitig_mode m)
{
	struct mitig_choice c = { 0, 0, false };
	bool force = m == MITIG_FORCE, barriers = m != MITIG_OFF;
	unsigned int want = 0;

	if (force || x87_ptrs_needed(f))
		c.on |= MITIG_BIT(MITIG_X87_PTRS);
	if (!barriers)
		return c;
	/* Every CPU that runs Hintvisor predicts RETs from a return stack
	 * that the guest fills; no CPUID bit says otherwise (Linux fills it
	 * on every VM exit unless enhanced IBRS is on, which Hintvisor does
	 * not use). Predictors trained by one VM: IBPB at every switch to
	 * another VM, as KVM and Xen do, where the CPU has it. */
	want |= MITIG_BIT(MITIG_RSB_FILL) | MITIG_BIT(MITIG_IBPB);
	if (force || l1tf(f))
		want |= MITIG_BIT(MITIG_L1D_FLUSH);
	if (force || mds_or_taa(f))
		want |= MITIG_BIT(MITIG_VERW);
	/* With MD_CLEAR microcode, IA32_FLUSH_CMD also overwrites the CPU
	 * buffers (Linux's hw-vuln/mds.rst, "Virtualization mitigation"; KVM
	 * skips VERW then). */
	if (!force && (want & MITIG_BIT(MITIG_L1D_FLUSH)) && (f->l7_edx & CPUID_7_EDX_L1D_FLUSH) &&
	    (f->l7_edx & CPUID_7_EDX_MD_CLEAR))
		want &= ~MITIG_BIT(MITIG_VERW);
	/* What the CPU cannot do: IBPB needs its MSR. So does the L1D flush
	 * in auto, as in Xen: Intel's L1TF microcode updates (2018) add
	 * IA32_FLUSH_CMD, and the software fill (KVM's fallback) costs a
	 * thousand loads per entry. Forced, the fill stands in for the MSR,
	 * so that the flush runs on any CPU (emulators). VERW and RSB
	 * filling work everywhere (VERW without MD_CLEAR does not clear
	 * buffers, but may where a hypervisor below hides it). */
	if (!has_ibpb(f))
		c.skipped |= want & MITIG_BIT(MITIG_IBPB);
	if (!force && !(f->l7_edx & CPUID_7_EDX_L1D_FLUSH))
		c.skipped |= want & MITIG_BIT(MITIG_L1D_FLUSH);
	c.on |= want & ~c.skipped;
	c.l1d_msr = (c.on & MITIG_BIT(MITIG_L1D_FLUSH)) && (f->l7_edx & CPUID_7_EDX_L1D_FLUSH);
	return c;
}
