/* SPDX-License-Identifier: MIT */
/*
 * VT-x bring-up: feature checks, IA32_FEATURE_CONTROL, VMXON, and vmx_ops,
 * the back end's entry in the seam (asm/virt.h). Runs once on the BSP,
 * interrupts off. Capability MSRs: SDM Vol. 3D appendix A; enabling
 * VMX: Vol. 3C §24.7 (VMXON region, CR0/CR4 fixed bits, feature control).
 */
#include <asm/cpu.h>
#include <asm/pcpu.h>
#include <asm/guest_cpu.h>
#include <asm/virt.h>
#include <asm/vmx.h>
#include <asm/vmx_cpu.h>
#include <base/console.h>
#include <base/mem.h>

struct vmx_caps vmx_caps;
unsigned long vmx_write_failures;

/*
 * One control Hintvisor uses: which capability word it lives in, its bit,
 * and what happens without it. Required ones refuse to run; optional ones
 * degrade as stated in `without`.
 */
enum ctl_word { W_PIN, W_PROC, W_PROC2, W_EXIT, W_ENTRY };

struct vmx_feature {
	const char *name;
	enum ctl_word word;
	uint32_t bit;
	const char *without; /* NULL: required */
};

static const struct vmx_feature features[] = {
	{ "external-interrupt exiting", W_PIN, PIN_EXT_INTR, NULL },
	{ "NMI exiting", W_PIN, PIN_NMI, NULL },
	{ "virtual NMIs", W_PIN, PIN_VIRTUAL_NMI, NULL }, /* self-NMIs: blocking until IRET */
	{ "VMX-preemption timer", W_PIN, PIN_PREEMPT_TIMER, NULL },
	{ "HLT exiting", W_PROC, PROC_HLT, NULL },
	{ "use TSC offsetting", W_PROC, PROC_TSC_OFFSET, NULL }, /* guest writes to IA32_TSC */
	{ "MWAIT exiting", W_PROC, PROC_MWAIT, NULL },     /* MONITOR/MWAIT are not offered: #UD */
	{ "MONITOR exiting", W_PROC, PROC_MONITOR, NULL },
	{ "RDPMC exiting", W_PROC, PROC_RDPMC, NULL }, /* no counters are offered */
	/* MOV to/from CR8 reaches the emulated APIC's TPR, never the CPU's. */
	{ "CR8-load exiting", W_PROC, PROC_CR8_LOAD, NULL },
	{ "CR8-store exiting", W_PROC, PROC_CR8_STORE, NULL },
	{ "unconditional I/O exiting", W_PROC, PROC_UNCOND_IO, NULL },
	{ "MSR bitmaps", W_PROC, PROC_MSR_BITMAPS, NULL },
	{ "secondary controls", W_PROC, PROC_SECONDARY, NULL },
	{ "EPT", W_PROC2, PROC2_EPT, NULL },
	{ "unrestricted guest", W_PROC2, PROC2_UNRESTRICTED, NULL },
	{ "VPID", W_PROC2, PROC2_VPID, "TLB flushed on every VM entry and exit" },
	{ "RDTSCP", W_PROC2, PROC2_RDTSCP, "RDTSCP raises #UD in guests" },
	{ "WBINVD exiting", W_PROC2, PROC2_WBINVD, "a guest's WBINVD writes back the host's caches" },
	{ "save debug controls", W_EXIT, EXIT_SAVE_DEBUG, NULL }, /* guest DR7 in the VMCS */
	{ "host address-space size", W_EXIT, EXIT_HOST_64, NULL },
	{ "acknowledge interrupt on exit", W_EXIT, EXIT_ACK_INTR, NULL },
	{ "save IA32_EFER on exit", W_EXIT, EXIT_SAVE_EFER, NULL },
	{ "load IA32_EFER on exit", W_EXIT, EXIT_LOAD_EFER, NULL },
	{ "save IA32_PAT on exit", W_EXIT, EXIT_SAVE_PAT, NULL },
	{ "load IA32_PAT on exit", W_EXIT, EXIT_LOAD_PAT, NULL },
	{ "load IA32_PAT on entry", W_ENTRY, ENTRY_LOAD_PAT, NULL },
	{ "load debug controls", W_ENTRY, ENTRY_LOAD_DEBUG, NULL },
	{ "IA-32e mode guest", W_ENTRY, ENTRY_IA32E, NULL },
	{ "load IA32_EFER on entry", W_ENTRY, ENTRY_LOAD_EFER, NULL },
};

static uint64_t ctl_msr[5];

static bool ctl_allowed(enum ctl_word w, uint32_t bit)
{
	return (uint32_t)(ctl_msr[w] >> 32) & bit;
}

static uint32_t ctl_required(enum ctl_word w)
{
	return (uint32_t)ctl_msr[w]; /* allowed-0 settings: must be 1 */
}

static int missing(const char *what)
{
	printk("vmx: missing feature: %s\n", what);
	return -1;
}

static int check_ept(void)
{
	uint64_t cap = vmx_caps.ept_vpid;

	if (!(cap & EPT_CAP_WALK_4))
		return missing("EPT 4-level page walk");
	if (!(cap & EPT_CAP_WB))
		return missing("EPT write-back memory type");
	if (!(cap & EPT_CAP_INVEPT) || !(cap & (EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL)))
		return missing("INVEPT");
	vmx_caps.invept_type = cap & EPT_CAP_INVEPT_SINGLE ? INVEPT_SINGLE : INVEPT_ALL;
	vmx_caps.ept_ad = cap & EPT_CAP_AD;
	if (!vmx_caps.ept_ad)
		printk("vmx: EPT accessed/dirty flags absent: ageing degrades to FIFO and dirty "
		       "tracking of hinted pages uses write protection\n");
	if (vmx_caps.vpid && !(cap & VPID_CAP_INVVPID && cap & VPID_CAP_INVVPID_SINGLE)) {
		printk("vmx: INVVPID single-context absent: VPID not used\n");
		vmx_caps.vpid = false;
		vmx_caps.proc2 &= ~PROC2_VPID;
	}
	return 0;
}

static void print_features(void)
{
	uint64_t cap = vmx_caps.ept_vpid;

	printk("vmx: revision %#x, features:", vmx_caps.revision);
	for (size_t i = 0; i < ARRAY_SIZE(features); i++)
		if (features[i].without && ctl_allowed(features[i].word, features[i].bit))
			printk(" %s", features[i].name);
	printk("%s%s%s%s%s%s\n", cap & EPT_CAP_AD ? " EPT-A/D" : "", cap & EPT_CAP_2M ? " EPT-2M" : "",
	       cap & EPT_CAP_1G ? " EPT-1G" : "",
	       cap & EPT_CAP_INVEPT_SINGLE ? " INVEPT-single" : "",
	       cap & EPT_CAP_INVEPT_ALL ? " INVEPT-all" : "",
	       ctl_allowed(W_PROC2, PROC2_EPT_VE) ? " EPT-#VE" : "");
	printk("vmx: preemption timer rate TSC/%u\n", 1u << vmx_caps.timer_rate);
}

static int enable_vmx(void)
{
	uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	void *region;
	uint64_t cr0, cr4;

	if (fc & FEATURE_CONTROL_LOCKED) {
		if (!(fc & FEATURE_CONTROL_VMXON_OUTSIDE_SMX))
			return missing("VMXON outside SMX (disabled and locked by firmware)");
	} else {
		/* Unlocked (OVMF leaves it so): enable VMX outside SMX and lock. */
		wrmsr(MSR_IA32_FEATURE_CONTROL,
		      fc | FEATURE_CONTROL_VMXON_OUTSIDE_SMX | FEATURE_CONTROL_LOCKED);
	}

	cr0 = (read_cr0() | vmx_caps.cr0_fixed0) & vmx_caps.cr0_fixed1;
	cr4 = (read_cr4() | vmx_caps.cr4_fixed0 | X86_CR4_VMXE) & vmx_caps.cr4_fixed1;
	write_cr0(cr0);
	write_cr4(cr4);

	region = this_cpu()->vmxon_region = page_alloc();
	if (!region)
		panic("vmx: no memory for the VMXON region");
	*(uint32_t *)region = vmx_caps.revision;
	if (!vmx_on(virt_to_hpa(region))) {
		printk("vmx: VMXON failed\n");
		return -1;
	}
	return 0;
}

int vmx_init(void)
{
	struct cpuid_regs r = cpuid(1, 0);
	uint64_t basic;
	bool true_ctls;

	if (!(r.ecx & (1u << 5)))
		return missing("VMX (CPUID.1:ECX.VMX[bit 5] = 0)");

	basic = rdmsr(MSR_IA32_VMX_BASIC);
	true_ctls = basic & VMX_BASIC_TRUE_CTLS;
	vmx_caps.revision = VMX_BASIC_REVISION(basic);
	ctl_msr[W_PIN] = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS);
	ctl_msr[W_PROC] =
		rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS);
	ctl_msr[W_EXIT] = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS);
	ctl_msr[W_ENTRY] = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS);
	/* Secondary controls have no allowed-0 bits (SDM A.3.3). */
	if ((ctl_msr[W_PROC] >> 32) & PROC_SECONDARY)
		ctl_msr[W_PROC2] = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2) & 0xffffffff00000000ULL;

	uint32_t *words[] = { &vmx_caps.pin, &vmx_caps.proc, &vmx_caps.proc2, &vmx_caps.exit,
			      &vmx_caps.entry };
	for (int w = W_PIN; w <= W_ENTRY; w++)
		*words[w] = ctl_required((enum ctl_word)w);
	for (size_t i = 0; i < ARRAY_SIZE(features); i++) {
		const struct vmx_feature *f = &features[i];

		if (ctl_allowed(f->word, f->bit))
			*words[f->word] |= f->bit;
		else if (!f->without)
			return missing(f->name);
		else
			printk("vmx: %s absent: %s\n", f->name, f->without);
	}
	/* Set per vCPU while a self-NMI waits for the guest's IRET (vmx_exit.c
	 * vmx_nmi_gate()); every CPU with virtual NMIs has it. */
	if (!ctl_allowed(W_PROC, PROC_NMI_WINDOW))
		return missing("NMI-window exiting");
	/* Unconditional I/O exiting replaces the bitmaps; CR3 accesses need no exit
	 * with EPT (only possible to clear with the TRUE controls). */
	vmx_caps.proc &= ~(PROC_CR3_LOAD | PROC_CR3_STORE) | ctl_required(W_PROC);
	/* IA32_VMX_EXIT_CTLS allows EXIT_ACK_INTR; the entry IA32E bit is per guest. */
	vmx_caps.entry &= ~ENTRY_IA32E;
	vmx_caps.vpid = vmx_caps.proc2 & PROC2_VPID;

	vmx_caps.ept_vpid = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
	vmx_caps.cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
	vmx_caps.cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
	vmx_caps.cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
	vmx_caps.cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
	vmx_caps.timer_rate = VMX_MISC_TIMER_RATE(rdmsr(MSR_IA32_VMX_MISC));
	if (check_ept())
		return -1;
	guest_rdtscp = vmx_caps.proc2 & PROC2_RDTSCP;
	print_features();
	return enable_vmx();
}

static int vmx_gpt_init(struct gpt *g, pt_alloc_fn alloc, void (*free_fn)(void *), void *ctx)
{
	return gpt_init(g, &gpt_ept_format, vmx_caps.ept_ad, alloc, free_fn, ctx);
}

/* VMCS fields of the MSRs the VMCS switches (SDM §25.4.1, §25.4.2). */
static uint32_t msr_field(uint32_t msr)
{
	switch (msr) {
	case MSR_IA32_EFER:
		return VMCS_GUEST_IA32_EFER;
	case MSR_IA32_PAT:
		return VMCS_GUEST_IA32_PAT;
	case MSR_FS_BASE:
		return VMCS_SEG(VMCS_GUEST_ES_BASE, SEG_FS);
	default:
		return VMCS_SEG(VMCS_GUEST_ES_BASE, SEG_GS);
	}
}

static uint64_t vmx_get_msr(struct vcpu *v, uint32_t msr)
{
	return vmread(msr_field(msr));
}

/* EFER.LMA and the "IA-32e mode guest" entry control must agree at every
 * VM entry (SDM §26.3.1.1): the control follows what vcr.c decided. */
static void vmx_set_msr(struct vcpu *v, uint32_t msr, uint64_t val)
{
	vmwrite(msr_field(msr), val);
	if (msr == MSR_IA32_EFER) {
		uint64_t entry = vmread(VMCS_ENTRY_CTLS);

		vmwrite(VMCS_ENTRY_CTLS,
			val & X86_EFER_LMA ? entry | ENTRY_IA32E : entry & ~(uint64_t)ENTRY_IA32E);
	}
}

static void vmx_get_paging(struct vcpu *v, struct guest_paging *p)
{
	p->cr0 = vmread(VMCS_GUEST_CR0);
	p->cr3 = vmread(VMCS_GUEST_CR3);
	p->cr4 = vmread(VMCS_GUEST_CR4);
	p->efer = vmread(VMCS_GUEST_IA32_EFER);
	p->rflags = vmread(VMCS_GUEST_RFLAGS);
	for (int s = SEG_ES; s <= SEG_GS; s++)
		p->seg_base[s] = vmread(VMCS_SEG(VMCS_GUEST_ES_BASE, s));
	if (!(p->cr0 & X86_CR0_PE) || (p->rflags & X86_RFLAGS_VM)) {
		p->cs_bits = 16;
	} else {
		uint64_t ar = vmread(VMCS_SEG(VMCS_GUEST_ES_AR, SEG_CS)); /* L bit 13, D bit 14 */

		p->cs_bits = (p->efer & X86_EFER_LMA) && (ar & (1u << 13)) ? 64 : ar & (1u << 14) ? 32 : 16;
	}
}

static void vmx_set_rflags(struct vcpu *v, uint64_t val)
{
	vmwrite(VMCS_GUEST_RFLAGS, val);
}

/* The VMCS has no CR2: the hardware register holds the guest's while its
 * vCPU runs (guest_cpu_switch()), and the exit handlers leave it alone. */
static void vmx_set_cr2(struct vcpu *v, uint64_t val)
{
	asm volatile("mov %0, %%cr2" ::"r"(val));
}

/* What the guest reads: bits the guest/host mask owns come from the read
 * shadow (SDM §25.3), the rest from the register itself. */
static uint64_t vmx_get_cr(struct vcpu *v, unsigned int cr)
{
	uint64_t mask;

	if (cr == 3)
		return vmread(VMCS_GUEST_CR3);
	mask = vmread(cr == 0 ? VMCS_CR0_MASK : VMCS_CR4_MASK);
	return (vmread(cr == 0 ? VMCS_GUEST_CR0 : VMCS_GUEST_CR4) & ~mask) |
	       (vmread(cr == 0 ? VMCS_CR0_SHADOW : VMCS_CR4_SHADOW) & mask);
}

/* The guest's value goes to the read shadow; the register itself gets the
 * bits VMX operation forces (IA32_VMX_CR0/CR4_FIXED0/1, SDM §A.7/§A.8;
 * with unrestricted guest PE and PG are free). */
static void vmx_set_cr(struct vcpu *v, unsigned int cr, uint64_t val)
{
	switch (cr) {
	case 0:
		vmwrite(VMCS_GUEST_CR0, (val | vmx_cr0_fixed0()) & vmx_caps.cr0_fixed1);
		vmwrite(VMCS_CR0_SHADOW, val);
		break;
	case 3:
		vmwrite(VMCS_GUEST_CR3, val);
		break;
	default:
		vmwrite(VMCS_GUEST_CR4, (val | vmx_caps.cr4_fixed0) & vmx_caps.cr4_fixed1);
		vmwrite(VMCS_CR4_SHADOW, val);
		break;
	}
}

static void vmx_set_pdptes(struct vcpu *v, const uint64_t pdpte[4])
{
	for (unsigned int i = 0; i < 4; i++)
		vmwrite(VMCS_GUEST_PDPTE0 + 2 * i, pdpte[i]);
}

/* The current VMCS is v's (called on an exit of v). */
static void vmx_set_tsc_offset(struct vcpu *v, uint64_t offset)
{
	vmwrite(VMCS_TSC_OFFSET, offset);
	(void)v;
}

const struct virt_ops vmx_ops = {
	.name = "VT-x",
	.fault_name = "EPT violation",
	.init = vmx_init,
	.cpu_on = enable_vmx,
	.gpt_init = vmx_gpt_init,
	.vcpu_init = vmx_vcpu_init,
	.sipi = vmx_sipi,
	.vcpu_destroy = vmx_vcpu_destroy,
	.vcpu_load = vmx_vcpu_load,
	.vcpu_put = vmx_vcpu_put,
	.enter = vmx_enter_guest,
	.apply = vmx_apply,
	.switch_syscall_msrs = true,
	.nmi_gate = vmx_nmi_gate,
	.irq_allowed = vmx_irq_allowed,
	.inject_nmi = vmx_inject_nmi,
	.inject_irq = vmx_inject_irq,
	.set_windows = vmx_set_windows,
	.inject_exception = vmx_inject_exception,
	.inject_discard_fault = vmx_inject_discard_fault,
	.flush_gpt = vmx_flush_ept,
	.get_msr = vmx_get_msr,
	.set_msr = vmx_set_msr,
	.set_tsc_offset = vmx_set_tsc_offset,
	.get_paging = vmx_get_paging,
	.get_cr = vmx_get_cr,
	.set_cr = vmx_set_cr,
	.set_pdptes = vmx_set_pdptes,
	.set_rflags = vmx_set_rflags,
	.set_cr2 = vmx_set_cr2,
	.exit_name = vmx_exit_name,
	.dump = vmx_dump,
};
