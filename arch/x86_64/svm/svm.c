/* SPDX-License-Identifier: MIT */
/*
 * AMD SVM bring-up and the VMCB of a vCPU: feature checks (CPUID
 * 8000000Ah, VM_CR), EFER.SVME and the host save area, the I/O and MSR
 * permission maps, VMCB set-up for the start state, and svm_ops, this back
 * end's entry in the seam (asm/virt.h). AMD APM Vol. 2 chapter 15: §15.4
 * (enabling SVM), §15.5 (VMRUN and its consistency checks), §15.10 (IOPM),
 * §15.11 (MSRPM), §15.25 (nested paging). BSP, interrupts off.
 */
#include <asm/cpu.h>
#include <asm/pcpu.h>
#include <asm/guest_cpu.h>
#include <asm/host_timer.h>
#include <asm/svm.h>
#include <asm/svm_cpu.h>
#include <asm/virt.h>
#include <errcode.h>
#include <base/console.h>
#include <base/mem.h>
#include <string.h>

#define CPUID_EXT_SVM (1u << 2)
#define CPUID_EXT_RDTSCP (1u << 27)
#define IOPM_PAGES 3  /* 12 KiB: one bit per port, 65536 ports + 3 bytes */
#define MSRPM_PAGES 2 /* 8 KiB: two bits per MSR in three ranges */

struct svm_caps svm_caps;
static void *iopm, *msrpm;

static int missing(const char *what)
{
	printk("svm: missing feature: %s\n", what);
	return -1;
}

/* One optional feature: its CPUID bit and what happens without it. */
struct svm_feature {
	const char *name;
	uint32_t bit;
	bool *have;
	const char *without;
};

static const struct svm_feature features[] = {
	{ "NRIP-save", SVM_FEAT_NRIPS, &svm_caps.nrips,
	  "instruction lengths from the exit codes (IOIO: EXITINFO2; CPUID, RDMSR, WRMSR, HLT, "
	  "VMMCALL: their fixed encodings)" },
	{ "VMCB-clean", SVM_FEAT_VMCB_CLEAN, &svm_caps.clean,
	  "clean bits left 0: the CPU reloads the whole VMCB on every VMRUN" },
	{ "flush-by-ASID", SVM_FEAT_FLUSH_BY_ASID, &svm_caps.flush_by_asid,
	  "nested-table flushes flush every ASID" },
	{ "decode-assists", SVM_FEAT_DECODE_ASSISTS, &svm_caps.decode_assists,
	  "none: MMIO instructions are fetched through the guest's page tables anyway" },
};

/* MSRPM bit pair of msr (read, write = read + 1), or -1 outside its ranges. */
static long msrpm_bit(uint32_t msr)
{
	if (msr < 0x2000)
		return (long)msr * 2;
	if (msr >= 0xc0000000 && msr < 0xc0002000)
		return 0x800 * 8 + (long)(msr - 0xc0000000) * 2;
	if (msr >= 0xc0010000 && msr < 0xc0012000)
		return 0x1000 * 8 + (long)(msr - 0xc0010000) * 2;
	return -1;
}

static void msrpm_allow(uint8_t *pm, uint32_t msr)
{
	long bit = msrpm_bit(msr);

	if (bit < 0)
		return;
	pm[bit / 8] &= (uint8_t)~(3u << (bit % 8)); /* read and write */
}

/* SVM on this CPU, with its own host save areas. */
static void svm_cpu_on_areas(void)
{
	struct pcpu *p = this_cpu();

	/* NXE: nested page faults report instruction fetches (EXITINFO1 bit 4)
	 * only with no-execute enabled in the host (APM §15.25.6). */
	wrmsr(MSR_IA32_EFER, rdmsr(MSR_IA32_EFER) | X86_EFER_SVME | X86_EFER_NXE);
	p->svm_host_save = page_alloc();
	p->svm_hsave = page_alloc();
	if (!p->svm_host_save || !p->svm_hsave)
		panic("svm: no memory for the host save areas");
	wrmsr(MSR_VM_HSAVE_PA, hpa_x(virt_to_hpa(p->svm_hsave)));
}

/* Another CPU: SVM, its save areas, and the time-slice timer with the boot
 * CPU's calibration. */
static int svm_cpu_on(void)
{
	svm_cpu_on_areas();
	if (!host_apic_init())
		return missing("local APIC timer (the time slice)");
	host_timer_cpu_init(pcpus[0].apic_per_tsc);
	return 0;
}

static int enable_svm(void)
{
	svm_cpu_on_areas();
	iopm = pages_alloc(IOPM_PAGES);
	msrpm = pages_alloc(MSRPM_PAGES);
	if (!iopm || !msrpm)
		panic("svm: no memory for the permission maps");
	/* Every port and every MSR exits, but the MSRs switched with the vCPU:
	 * VMLOAD/VMSAVE move STAR..KERNEL_GS_BASE, guest_cpu_switch() TSC_AUX. */
	memset(iopm, 0xff, IOPM_PAGES * PAGE_SIZE);
	memset(msrpm, 0xff, MSRPM_PAGES * PAGE_SIZE);
	for (size_t i = 0; i < GUEST_SWITCHED_MSRS; i++)
		if (guest_switched_msrs[i] != MSR_TSC_AUX || guest_rdtscp)
			msrpm_allow(msrpm, guest_switched_msrs[i]);
	for (size_t i = 0; i < GUEST_HW_SWITCHED_MSRS; i++)
		msrpm_allow(msrpm, guest_hw_switched_msrs[i]); /* VMLOAD/VMSAVE: SYSENTER */
	if (host_timer_init())
		return missing("local APIC timer (the time slice)");
	return 0;
}

int svm_init(void)
{
	struct cpuid_regs r;

	if (cpuid(0x80000000, 0).eax < 0x8000000a || !(cpuid(0x80000001, 0).ecx & CPUID_EXT_SVM))
		return missing("SVM (CPUID 8000_0001h:ECX.SVM[bit 2] = 0)");
	if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS)
		return missing("SVM enabled (VM_CR.SVMDIS set by firmware)");
	r = cpuid(0x8000000a, 0);
	svm_caps.revision = r.eax & 0xff;
	svm_caps.nr_asids = r.ebx;
	svm_caps.features = r.edx;
	if (!(r.edx & SVM_FEAT_NPT))
		return missing("nested paging (CPUID 8000_000Ah:EDX.NP[bit 0] = 0)");
	if (svm_caps.nr_asids < 2)
		return missing("an ASID for guests (CPUID 8000_000Ah:EBX < 2)");
	printk("svm: revision %u, %u ASIDs, features: NPT", svm_caps.revision, svm_caps.nr_asids);
	for (size_t i = 0; i < ARRAY_SIZE(features); i++) {
		*features[i].have = r.edx & features[i].bit;
		if (*features[i].have)
			printk(" %s", features[i].name);
	}
	printk("\n");
	for (size_t i = 0; i < ARRAY_SIZE(features); i++)
		if (!*features[i].have)
			printk("svm: %s absent: %s\n", features[i].name, features[i].without);
	if (svm_caps.nr_asids - 1 < VM_MAX * VCPU_MAX)
		printk("svm: %u ASIDs for up to %u vCPUs: vCPUs share them, TLB flushed on a switch\n",
		       svm_caps.nr_asids - 1, VM_MAX * VCPU_MAX);
	guest_rdtscp = cpuid(0x80000001, 0).edx & CPUID_EXT_RDTSCP;
	return enable_svm();
}

static void set_seg(struct vmcb_seg *s, uint16_t sel, uint32_t limit, uint16_t attrib)
{
	s->sel = sel;
	s->attrib = attrib;
	s->limit = limit;
	s->base = 0;
}

/* Real mode at CS:0, base CS * 16 (a start by SIPI, APM Vol. 2 §16.5). */
static void setup_real_mode(struct vmcb_save *g, uint16_t cs)
{
	struct vmcb_seg *data[] = { &g->ds, &g->es, &g->ss, &g->fs, &g->gs };

	set_seg(&g->cs, cs, 0xffff, SVM_ATTR_CODE16);
	g->cs.base = (uint64_t)cs << 4;
	for (unsigned int i = 0; i < ARRAY_SIZE(data); i++)
		set_seg(data[i], 0, 0xffff, SVM_ATTR_DATA16);
	g->gdtr.base = g->idtr.base = 0;
	g->gdtr.limit = g->idtr.limit = 0xffff;
	g->rip = 0;
}

/* The guest's registers in the VMCB for the start state s. */
static void start_state(struct vmcb_save *g, const struct vcpu_start *s)
{
	bool lm = s->mode == VCPU_MODE_LONG;

	set_seg(&g->cs, s->cs, 0xffffffff, lm ? SVM_ATTR_CODE64 : SVM_ATTR_CODE32);
	set_seg(&g->ds, s->ds, 0xffffffff, SVM_ATTR_DATA);
	set_seg(&g->es, s->ds, 0xffffffff, SVM_ATTR_DATA);
	set_seg(&g->ss, s->ds, 0xffffffff, SVM_ATTR_DATA);
	set_seg(&g->fs, s->ds, 0xffffffff, SVM_ATTR_DATA);
	set_seg(&g->gs, s->ds, 0xffffffff, SVM_ATTR_DATA);
	set_seg(&g->ldtr, 0, 0, 0);
	set_seg(&g->tr, 0, 0xffff, SVM_ATTR_TSS64_BUSY);
	g->gdtr.base = s->gdt_base;
	g->gdtr.limit = s->gdt_limit;
	g->idtr.base = 0;
	g->idtr.limit = 0; /* any early exception triple-faults */
	g->cpl = 0;
	g->cr0 = X86_CR0_ET | (s->mode == VCPU_MODE_REAL ? 0 : X86_CR0_PE | X86_CR0_NE) |
		 (lm ? X86_CR0_MP | X86_CR0_WP | X86_CR0_PG : 0);
	g->cr3 = lm ? s->cr3 : 0;
	g->cr4 = lm ? X86_CR4_PAE : 0;
	/* EFER.SVME must be set in the guest's VMCB; the guest sees it clear. */
	g->efer = X86_EFER_SVME | (lm ? X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE : 0);
	g->g_pat = 0x0007040600070406ULL; /* power-on default */
	g->dr6 = 0xffff0ff0;
	g->dr7 = 0x400;
	g->rflags = X86_RFLAGS_FIXED;
	g->rip = s->rip;
	g->rsp = s->rsp;
	if (s->mode == VCPU_MODE_REAL)
		setup_real_mode(g, s->cs);
}

/*
 * A SIPI for a vCPU in wait-for-SIPI: the INIT state (SDM Vol. 3A Table
 * 9-1: real mode, registers cleared, nothing pending), started at vector *
 * 4096. An AP that never ran was built in it; a vCPU that ran and got an
 * INIT (a kexec'd kernel starting its APs again) is put back into it.
 */
void svm_sipi(struct vcpu *v, uint8_t vector)
{
	struct vmcb *vmcb = v->arch.svm.vmcb;

	start_state(&vmcb->save, &(struct vcpu_start){ .mode = VCPU_MODE_REAL,
							.cs = (uint16_t)(vector << 8) });
	vmcb->save.rax = 0;
	vmcb->ctl.event_inj = 0;
	vmcb->ctl.int_ctl &= ~SVM_V_IRQ;
	vmcb->ctl.int_state = 0;
	vmcb->ctl.clean = 0;
	memset(&v->regs, 0, sizeof(v->regs));
	v->arch.svm.vintr = false;
}

int svm_vcpu_init(struct vcpu *v, const struct vcpu_start *s)
{
	struct svm_vcpu *sv = &v->arch.svm;
	struct vmcb_control *c;
	struct vmcb_save *g;
	struct vmcb *vmcb;

	vmcb = page_alloc();
	if (!vmcb)
		return -ENOMEM;
	sv->vmcb = vmcb;
	/* One ASID per vCPU where there are enough (svm_vcpu_load() flushes on
	 * a switch where there are not): vCPUs of one VM taking turns on a CPU
	 * have different page tables. */
	sv->asid = 1 + (v->vm->id * VCPU_MAX + v->id) % (svm_caps.nr_asids - 1);
	sv->vintr = false;
	c = &vmcb->ctl;
	g = &vmcb->save;

	/* #UD: VMCALL from guests written for VT-x (see svm_exit.c). */
	c->intercept_exc = 1u << 6;
	/* #AC, and on SVM #DB: delivered by us, as an exit each time
	 * (vexit.c, svm_exit.c). */
	c->intercept_exc |= (1u << 17) | (1u << 1);
	/* RDPMC: no counters are offered (#GP). CR4 writes: only the bits
	 * guest_cr4_allowed() gives (state that is switched, features CPUID
	 * shows). CR8 writes: the emulated APIC's TPR (vcr.c); reads return
	 * V_TPR, which svm_exit.c keeps equal to it. CR0, CR3 and EFER.LMA are
	 * the hardware's own (the guest switches modes as on bare metal; EFER
	 * writes exit through the MSR map). */
	c->intercept_cr = SVM_INTCR_WRITE_CR4 | SVM_INTCR_WRITE_CR8;
	/* INVD must never reach the hardware (it drops the host's dirty cache
	 * lines); WBINVD is emulated too. MONITOR/MWAIT and XSETBV: not
	 * offered by CPUID, #UD. INVLPGA is an SVM instruction (#UD below):
	 * with the EFER.SVME that VMRUN requires it would flush a page of any
	 * ASID, the host's and other VMs' included (APM Vol. 3, INVLPGA). */
	c->intercept3 = SVM_INT3_INTR | SVM_INT3_NMI | SVM_INT3_RDPMC | SVM_INT3_CPUID |
			SVM_INT3_INVD | SVM_INT3_HLT | SVM_INT3_INVLPGA | SVM_INT3_IOIO |
			SVM_INT3_MSR | SVM_INT3_SHUTDOWN;
	/* VMRUN must be intercepted (§15.5.1); the guest gets no SVM at all. */
	c->intercept4 = SVM_INT4_VMRUN | SVM_INT4_VMMCALL | SVM_INT4_VMLOAD | SVM_INT4_VMSAVE |
			SVM_INT4_STGI | SVM_INT4_CLGI | SVM_INT4_SKINIT | SVM_INT4_WBINVD |
			SVM_INT4_MONITOR | SVM_INT4_MWAIT | SVM_INT4_MWAIT_COND | SVM_INT4_XSETBV;
	c->intercept5 = SVM_INT5_INVPCID; /* not offered by CPUID: #UD, as on VT-x */
	c->iopm_pa = hpa_x(virt_to_hpa(iopm));
	c->msrpm_pa = hpa_x(virt_to_hpa(msrpm));
	c->asid = sv->asid;
	c->tlb_ctl = SVM_TLB_FLUSH_ALL; /* an ASID may have served another VM */
	/* Physical interrupts exit (INTR) instead of reaching the guest's IF. */
	c->int_ctl = SVM_V_INTR_MASKING;
	c->nested_ctl = SVM_NESTED_NP;
	c->nested_cr3 = gpt_root(&v->vm->arch.gpt);
	c->clean = 0;

	start_state(g, s);
	v->regs = s->regs;
	v->regs.rsp = s->rsp;
	g->rax = v->regs.rax;
	guest_cpu_init(v);
	return 0;
}

void svm_vcpu_destroy(struct vcpu *v)
{
	if (!v->arch.svm.vmcb)
		return;
	pages_free(v->arch.svm.vmcb, 1);
	v->arch.svm.vmcb = NULL;
}

static int svm_gpt_init(struct gpt *g, pt_alloc_fn alloc, void (*free_fn)(void *), void *ctx)
{
	/* The nested walker always maintains A/D bits (§15.25.5). */
	return gpt_init(g, &gpt_npt_format, true, alloc, free_fn, ctx);
}

static uint64_t svm_get_msr(struct vcpu *v, uint32_t msr)
{
	struct vmcb *vmcb = v->arch.svm.vmcb;

	switch (msr) {
	case MSR_IA32_EFER:
		return vmcb->save.efer & ~X86_EFER_SVME;
	case MSR_IA32_PAT:
		return vmcb->save.g_pat;
	case MSR_FS_BASE:
		return vmcb->save.fs.base; /* VMSAVE'd at every exit */
	default:
		return vmcb->save.gs.base;
	}
}

static void svm_set_msr(struct vcpu *v, uint32_t msr, uint64_t val)
{
	struct vmcb *vmcb = v->arch.svm.vmcb;

	switch (msr) {
	case MSR_IA32_EFER:
		vmcb->save.efer = val | X86_EFER_SVME;
		vmcb->ctl.clean &= ~SVM_CLEAN_CRX;
		break;
	case MSR_IA32_PAT:
		vmcb->save.g_pat = val;
		vmcb->ctl.clean &= ~SVM_CLEAN_NP;
		break;
	case MSR_FS_BASE:
		vmcb->save.fs.base = val;
		break;
	default:
		vmcb->save.gs.base = val;
		break;
	}
}

static void svm_set_tsc_offset(struct vcpu *v, uint64_t offset)
{
	struct vmcb *vmcb = v->arch.svm.vmcb;

	vmcb->ctl.tsc_offset = offset;
	vmcb->ctl.clean &= ~SVM_CLEAN_INTERCEPTS; /* the TSC offset is in that group */
}

static void svm_get_paging(struct vcpu *v, struct guest_paging *p)
{
	struct vmcb *vmcb = v->arch.svm.vmcb;

	p->cr0 = vmcb->save.cr0;
	p->cr3 = vmcb->save.cr3;
	p->cr4 = vmcb->save.cr4;
	p->efer = vmcb->save.efer;
	p->rflags = vmcb->save.rflags;
	p->seg_base[0] = vmcb->save.es.base;
	p->seg_base[1] = vmcb->save.cs.base;
	p->seg_base[2] = vmcb->save.ss.base;
	p->seg_base[3] = vmcb->save.ds.base;
	p->seg_base[4] = vmcb->save.fs.base;
	p->seg_base[5] = vmcb->save.gs.base;
	/* VMCB attributes: L bit 9, D/B bit 10 (APM Vol. 2 §15.5.1). */
	if (!(p->cr0 & X86_CR0_PE) || (p->rflags & X86_RFLAGS_VM))
		p->cs_bits = 16;
	else
		p->cs_bits = (p->efer & X86_EFER_LMA) && (vmcb->save.cs.attrib & (1u << 9)) ? 64 :
			     vmcb->save.cs.attrib & (1u << 10) ? 32 : 16;
}

static void svm_set_rflags(struct vcpu *v, uint64_t val)
{
	struct vmcb *vmcb = v->arch.svm.vmcb;

	vmcb->save.rflags = val;
}

static void svm_set_cr2(struct vcpu *v, uint64_t val)
{
	struct vmcb *vmcb = v->arch.svm.vmcb;

	vmcb->save.cr2 = val;
	vmcb->ctl.clean &= ~SVM_CLEAN_CR2;
}

static uint64_t svm_get_cr(struct vcpu *v, unsigned int cr)
{
	const struct vmcb *vmcb = v->arch.svm.vmcb;
	const struct vmcb_save *g = &vmcb->save;

	return cr == 0 ? g->cr0 : cr == 3 ? g->cr3 : g->cr4;
}

/* Only CR4 writes reach here on SVM (CR0 and CR3 are not intercepted);
 * vcr.c flushes the ASID where hardware would flush the TLB. */
static void svm_set_cr(struct vcpu *v, unsigned int cr, uint64_t val)
{
	struct vmcb *vmcb = v->arch.svm.vmcb;

	if (cr == 0)
		vmcb->save.cr0 = val;
	else if (cr == 3)
		vmcb->save.cr3 = val;
	else
		vmcb->save.cr4 = val;
	vmcb->ctl.clean &= ~SVM_CLEAN_CRX;
}

const struct virt_ops svm_ops = {
	.name = "AMD SVM",
	.fault_name = "nested page fault",
	.init = svm_init,
	.cpu_on = svm_cpu_on,
	.gpt_init = svm_gpt_init,
	.vcpu_init = svm_vcpu_init,
	.sipi = svm_sipi,
	.vcpu_destroy = svm_vcpu_destroy,
	.vcpu_load = svm_vcpu_load,
	.vcpu_put = svm_vcpu_put,
	.enter = svm_enter_guest,
	.apply = svm_apply,
	.switch_syscall_msrs = false,
	.nmi_gate = svm_nmi_gate,
	.irq_allowed = svm_irq_allowed,
	.inject_nmi = svm_inject_nmi,
	.inject_irq = svm_inject_irq,
	.set_windows = svm_set_windows,
	.inject_exception = svm_inject_exception,
	.inject_discard_fault = svm_inject_discard_fault,
	.flush_gpt = svm_flush_gpt,
	.get_msr = svm_get_msr,
	.set_msr = svm_set_msr,
	.set_tsc_offset = svm_set_tsc_offset,
	.get_paging = svm_get_paging,
	.get_cr = svm_get_cr,
	.set_cr = svm_set_cr,
	.set_pdptes = NULL, /* nested paging walks legacy-PAE PDPTEs from memory */
	.set_rflags = svm_set_rflags,
	.set_cr2 = svm_set_cr2,
	.exit_name = svm_exit_name,
	.dump = svm_dump,
};
