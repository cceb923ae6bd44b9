/* SPDX-License-Identifier: MIT */
/*
 * VMCS set-up for one vCPU: controls from vmx_caps, host state of this CPU,
 * and the initial guest state of a 64-bit "hvboot" guest. Checks on these
 * fields: SDM Vol. 3C §27.2 (host state) and §27.3 (guest state).
 */
#include <asm/cpu.h>
#include <asm/pcpu.h>
#include <asm/guest_cpu.h>
#include <asm/trap.h>
#include <asm/vmx.h>
#include <asm/virt.h>
#include <asm/vmx_cpu.h>
#include <errcode.h>
#include <base/console.h>
#include <base/mem.h>
#include <string.h>

/* Access rights (SDM Table 25-2): type, S, DPL, P, L, D/B, G, unusable. */
#define AR_CODE64 0xa09b   /* execute/read accessed, S, P, L, G */
#define AR_CODE32 0xc09b   /* execute/read accessed, S, P, D/B, G */
#define AR_DATA 0xc093     /* read/write accessed, S, P, D/B, G */
#define AR_TSS64_BUSY 0x8b /* busy 64-bit TSS, P */
#define AR_UNUSABLE 0x10000
#define AR_CODE16 0x9b     /* real mode: execute/read accessed, S, P */
#define AR_DATA16 0x93     /* real mode: read/write accessed, S, P */

extern char vmx_exit_stub[];
static void *msr_bitmap; /* shared by all vCPUs: see msr_bitmap_init() */

static void allow(uint8_t *bm, uint32_t msr)
{
	unsigned int base = msr >= 0xc0000000 ? 1024 : 0, bit = msr & 0x1fff;

	bm[base + bit / 8] &= (uint8_t)~(1u << (bit % 8));        /* read */
	bm[2048 + base + bit / 8] &= (uint8_t)~(1u << (bit % 8)); /* write */
}

/* The MSR bitmap (SDM §25.6.9): everything exits but the MSRs that are
 * switched with the vCPU (see guest_cpu_switch()) or by the VMCS. */
static void msr_bitmap_init(uint8_t *bm)
{
	memset(bm, 0xff, PAGE_SIZE);
	for (size_t i = 0; i < GUEST_SWITCHED_MSRS; i++)
		if (guest_switched_msrs[i] != MSR_TSC_AUX || guest_rdtscp)
			allow(bm, guest_switched_msrs[i]);
	for (size_t i = 0; i < GUEST_HW_SWITCHED_MSRS; i++)
		allow(bm, guest_hw_switched_msrs[i]); /* in the guest-state area */
}

static uint64_t host_tr_base(void)
{
	struct desc_ptr gdtr;
	const uint64_t *gdt;
	uint16_t tr = read_tr();

	asm volatile("sgdt %0" : "=m"(gdtr));
	gdt = (const uint64_t *)(uintptr_t)gdtr.base;
	return ((gdt[tr / 8] >> 16) & 0xffffff) | ((gdt[tr / 8] >> 32) & 0xff000000) |
	       (gdt[tr / 8 + 1] << 32);
}

void vmx_host_state(void)
{
	struct desc_ptr gdtr, idtr;

	asm volatile("sgdt %0" : "=m"(gdtr));
	asm volatile("sidt %0" : "=m"(idtr));
	vmwrite(VMCS_HOST_CR0, read_cr0());
	vmwrite(VMCS_HOST_CR3, read_cr3());
	vmwrite(VMCS_HOST_CR4, read_cr4());
	for (int s = SEG_ES; s <= SEG_GS; s++)
		vmwrite(VMCS_SEG(VMCS_HOST_ES_SEL, s), s == SEG_CS ? HOST_CS :
						      (s == SEG_FS || s == SEG_GS) ? 0 : HOST_DS);
	vmwrite(VMCS_HOST_ES_SEL + 12, HOST_TR); /* TR follows GS in the host area */
	vmwrite(VMCS_HOST_FS_BASE, 0);
	vmwrite(VMCS_HOST_GS_BASE, (uint64_t)(uintptr_t)this_cpu()); /* this_cpu() after exits */
	vmwrite(VMCS_HOST_TR_BASE, host_tr_base());
	vmwrite(VMCS_HOST_GDTR_BASE, gdtr.base);
	vmwrite(VMCS_HOST_IDTR_BASE, idtr.base);
	vmwrite(VMCS_HOST_SYSENTER_CS, 0);
	vmwrite(VMCS_HOST_SYSENTER_ESP, 0);
	vmwrite(VMCS_HOST_SYSENTER_EIP, 0);
	vmwrite(VMCS_HOST_IA32_EFER, rdmsr(MSR_IA32_EFER));
	vmwrite(VMCS_HOST_RIP, (uint64_t)(uintptr_t)vmx_exit_stub);
}

static void set_seg(enum seg s, uint16_t sel, uint64_t base, uint32_t limit, uint32_t ar)
{
	vmwrite(VMCS_SEG(VMCS_GUEST_ES_SEL, s), sel);
	vmwrite(VMCS_SEG(VMCS_GUEST_ES_BASE, s), base);
	vmwrite(VMCS_SEG(VMCS_GUEST_ES_LIMIT, s), limit);
	vmwrite(VMCS_SEG(VMCS_GUEST_ES_AR, s), ar);
}

/* Real mode at CS:0, base CS * 16 (a start by SIPI, SDM Vol. 3A §9.4.4). */
static void setup_real_mode(uint16_t cs)
{
	set_seg(SEG_CS, cs, (uint64_t)cs << 4, 0xffff, AR_CODE16);
	for (int seg = SEG_ES; seg <= SEG_GS; seg++)
		if (seg != SEG_CS)
			set_seg((enum seg)seg, 0, 0, 0xffff, AR_DATA16);
	vmwrite(VMCS_GUEST_GDTR_BASE, 0);
	vmwrite(VMCS_GUEST_GDTR_LIMIT, 0xffff);
	vmwrite(VMCS_GUEST_IDTR_BASE, 0);
	vmwrite(VMCS_GUEST_IDTR_LIMIT, 0xffff);
	vmwrite(VMCS_GUEST_RIP, 0);
}

static void setup_guest_state(struct vcpu *v, const struct vcpu_start *s)
{
	bool lm = s->mode == VCPU_MODE_LONG, real = s->mode == VCPU_MODE_REAL;
	uint64_t cr0 = X86_CR0_ET | (real ? 0 : X86_CR0_PE | X86_CR0_NE) |
		       (lm ? X86_CR0_MP | X86_CR0_WP | X86_CR0_PG : 0);
	uint64_t cr4 = lm ? X86_CR4_PAE : 0;

	/* The guest/host masks own the CR0 bits of vmx_cr0_owned() and every
	 * CR4 bit the guest may not set (VMXE among them, which VMX operation
	 * forces to 1): a MOV that changes one exits, and vcr.c emulates it or
	 * raises #GP. The guest reads its own values from the shadows. */
	vmwrite(VMCS_GUEST_CR0, (cr0 | vmx_cr0_fixed0()) & vmx_caps.cr0_fixed1);
	vmwrite(VMCS_CR0_MASK, vmx_cr0_owned());
	vmwrite(VMCS_CR0_SHADOW, cr0);
	vmwrite(VMCS_GUEST_CR3, lm ? s->cr3 : 0);
	vmwrite(VMCS_GUEST_CR4, (cr4 | vmx_caps.cr4_fixed0) & vmx_caps.cr4_fixed1);
	vmwrite(VMCS_CR4_MASK, ~guest_cr4_allowed());
	vmwrite(VMCS_CR4_SHADOW, cr4);

	set_seg(SEG_CS, s->cs, 0, 0xffffffff, lm ? AR_CODE64 : AR_CODE32);
	for (int seg = SEG_ES; seg <= SEG_GS; seg++)
		if (seg != SEG_CS)
			set_seg((enum seg)seg, s->ds, 0, 0xffffffff, AR_DATA);
	set_seg(SEG_LDTR, 0, 0, 0, AR_UNUSABLE);
	set_seg(SEG_TR, 0, 0, 0xffff, AR_TSS64_BUSY);
	vmwrite(VMCS_GUEST_GDTR_BASE, s->gdt_base);
	vmwrite(VMCS_GUEST_GDTR_LIMIT, s->gdt_limit);
	vmwrite(VMCS_GUEST_IDTR_BASE, 0);
	vmwrite(VMCS_GUEST_IDTR_LIMIT, 0); /* any early exception triple-faults */

	vmwrite(VMCS_GUEST_IA32_EFER, lm ? X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE : 0);
	vmwrite(VMCS_GUEST_IA32_PAT, 0x0007040600070406ULL); /* power-on default */
	vmwrite(VMCS_GUEST_DR7, 0x400);
	vmwrite(VMCS_GUEST_RSP, s->rsp);
	vmwrite(VMCS_GUEST_RIP, s->rip);
	vmwrite(VMCS_GUEST_RFLAGS, X86_RFLAGS_FIXED);
	vmwrite(VMCS_GUEST_SYSENTER_CS, 0);
	vmwrite(VMCS_GUEST_SYSENTER_ESP, 0);
	vmwrite(VMCS_GUEST_SYSENTER_EIP, 0);
	vmwrite(VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmwrite(VMCS_GUEST_ACTIVITY_STATE, 0);
	vmwrite(VMCS_GUEST_PENDING_DBG, 0);
	vmwrite(VMCS_LINK_POINTER, ~0ULL);
	if (real)
		setup_real_mode(s->cs);
}

/*
 * A SIPI for a vCPU in wait-for-SIPI, its VMCS loaded: the INIT state (SDM
 * Vol. 3A Table 9-1: real mode, registers cleared, nothing pending),
 * started at vector * 4096. An AP that never ran was built in it; a vCPU
 * that ran and got an INIT (a kexec'd kernel starting its APs again) is
 * put back into it.
 */
void vmx_sipi(struct vcpu *v, uint8_t vector)
{
	setup_guest_state(v, &(struct vcpu_start){ .mode = VCPU_MODE_REAL,
						    .cs = (uint16_t)(vector << 8) });
	vmwrite(VMCS_ENTRY_CTLS, vmx_caps.entry); /* not IA-32e mode */
	vmwrite(VMCS_ENTRY_INTR_INFO, 0);
	memset(&v->regs, 0, sizeof(v->regs));
}

int vmx_vcpu_init(struct vcpu *v, const struct vcpu_start *s)
{
	struct vmx_vcpu *x = &v->arch.vmx;

	if (!msr_bitmap) {
		msr_bitmap = page_alloc();
		if (!msr_bitmap)
			return -ENOMEM;
		msr_bitmap_init(msr_bitmap);
	}
	x->vmcs = page_alloc();
	if (!x->vmcs)
		return -ENOMEM;
	*(uint32_t *)x->vmcs = vmx_caps.revision;
	if (!vmclear(virt_to_hpa(x->vmcs)) || !vmptrld(virt_to_hpa(x->vmcs)))
		panic("vmx: VMCLEAR/VMPTRLD of a fresh VMCS failed");
	x->launched = false;
	x->intr_window = false;
	x->nmi_window = false;
	/* One VPID per vCPU, not per VM: vCPUs of one VM that take turns on a
	 * CPU have different page tables, and VM entries do not flush what a
	 * VPID's linear translations cached (SDM Vol. 3C §29.1). */
	x->vpid = (uint16_t)(v->vm->id * VCPU_MAX + v->id + 1);

	vmwrite(VMCS_PIN_CTLS, vmx_caps.pin);
	vmwrite(VMCS_PROC_CTLS, vmx_caps.proc);
	vmwrite(VMCS_PROC_CTLS2, vmx_caps.proc2);
	vmwrite(VMCS_EXIT_CTLS, vmx_caps.exit);
	vmwrite(VMCS_ENTRY_CTLS, vmx_caps.entry | (s->mode == VCPU_MODE_LONG ? ENTRY_IA32E : 0));
	/* #UD: VMMCALL (vmx_exit.c); #AC and #DB: passed on, but each as an
	 * exit, so that a delivery that raises the same exception again loops
	 * through the host and not inside the CPU (vexit.c x_reflect()). */
	vmwrite(VMCS_EXCEPTION_BITMAP, (1u << 1) | (1u << 6) | (1u << 17));
	vmwrite(VMCS_CR3_TARGET_COUNT, 0);
	vmwrite(VMCS_EXIT_MSR_STORE_COUNT, 0);
	vmwrite(VMCS_EXIT_MSR_LOAD_COUNT, 0);
	vmwrite(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	vmwrite(VMCS_ENTRY_INTR_INFO, 0);
	vmwrite(VMCS_TSC_OFFSET, 0); /* guest TSC = host TSC + offset (IA32_TSC writes) */
	vmwrite(VMCS_MSR_BITMAP, hpa_x(virt_to_hpa(msr_bitmap)));
	vmwrite(VMCS_EPT_POINTER, gpt_eptp(&v->vm->arch.gpt));
	if (vmx_caps.vpid)
		vmwrite(VMCS_VPID, x->vpid);

	vmx_host_state();
	vmwrite(VMCS_HOST_IA32_PAT, rdmsr(MSR_IA32_PAT));
	setup_guest_state(v, s);
	v->regs = s->regs;
	v->regs.rsp = s->rsp;
	guest_cpu_init(v);
	if (vmx_write_failures)
		panic("vmx: %lu VMWRITEs failed while building the VMCS", vmx_write_failures);
	/* Its host state is this CPU's; with several CPUs it is cleared, so
	 * that any of them may load it (vmx_vcpu_load()). */
	x->cpu = this_cpu()->index + 1;
	if (nr_pcpus > 1 && !vmclear(virt_to_hpa(x->vmcs)))
		panic("vmx: VMCLEAR failed for a new VMCS");
	return 0;
}

void vmx_vcpu_destroy(struct vcpu *v)
{
	struct vmx_vcpu *x = &v->arch.vmx;

	if (!x->vmcs)
		return;
	vmclear(virt_to_hpa(x->vmcs));
	pages_free(x->vmcs, 1);
	x->vmcs = NULL;
}
