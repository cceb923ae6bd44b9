/* SPDX-License-Identifier: MIT */
/*
 * Guest control registers and EFER (see vcr.h): the architectural checks of
 * MOV to/from CRn and of EFER writes, the switches into and out of IA-32e
 * mode (SDM Vol. 3A §9.8.5: LME with paging off, LMA when CR0.PG is set,
 * the reverse when it is cleared in compatibility mode), PAE PDPTE loads,
 * and CR8 as the local APIC's TPR. The back ends only decode and store.
 * Hypervisor context, on an exit of the current vCPU, interrupts off.
 */
#include <asm/cpu.h>
#include <asm/guest_cpu.h>
#include <hv/vcpu/cpu_model.h>
#include <hv/vcpu/emulate.h>
#include <hv/vcpu/vcr.h>
#include <asm/virt.h>
#include <hv/mem/gmem.h>
#include <hv/vm/vm.h>

/* PDPTE bits that must be 0 when present: 1-2, 5-8, 52-63 (SDM Table 4-8). */
#define PDPTE_RSVD 0xfff00000000001e6ULL

static enum vexit_action gp(struct vexit *e)
{
	e->vector = 13;
	e->has_error = true;
	e->error = 0;
	return VEXIT_INJECT;
}

static bool pae_paging(uint64_t cr0, uint64_t cr4, uint64_t efer)
{
	return (cr0 & X86_CR0_PG) && (cr4 & X86_CR4_PAE) && !(efer & X86_EFER_LMA);
}

/* PAE paging: read the four PDPTEs at cr3 and hand them to the back end;
 * false (the MOV raises #GP) if one that is present has a reserved bit set
 * or they are not in RAM. A back end without set_pdptes (SVM: the nested
 * walk reads them from memory, and sets their A bit) needs none of this. */
static bool load_pdptes(struct vcpu *v, uint64_t cr3)
{
	const uint64_t *p;
	uint64_t pdpte[4];

	if (!virt->set_pdptes)
		return true;
	p = gmem_ptr(v->vm, _gpa(cr3 & 0xffffffe0ULL), 32, false);
	if (!p)
		return false;
	for (int i = 0; i < 4; i++) {
		pdpte[i] = p[i];
		if ((pdpte[i] & 1) && (pdpte[i] & PDPTE_RSVD))
			return false;
	}
	virt->set_pdptes(v, pdpte);
	return true;
}

static enum vexit_action mov_to_cr0(struct vcpu *v, struct vexit *e, uint64_t val)
{
	uint64_t old = virt->get_cr(v, 0), cr4 = virt->get_cr(v, 4);
	uint64_t efer = virt->get_msr(v, MSR_IA32_EFER), nefer = efer;

	if (val >> 32)
		return gp(e);
	val = (val & VCR_CR0_DEFINED) | X86_CR0_ET; /* ET is hard-wired to 1 */
	if ((val & X86_CR0_PG) && !(val & X86_CR0_PE))
		return gp(e);
	if ((val & X86_CR0_NW) && !(val & X86_CR0_CD))
		return gp(e);
	/* Paging on with LME: IA-32e mode is activated (needs PAE). */
	if (!(old & X86_CR0_PG) && (val & X86_CR0_PG) && (efer & X86_EFER_LME)) {
		if (!(cr4 & X86_CR4_PAE))
			return gp(e);
		nefer |= X86_EFER_LMA;
	}
	/* Paging off in IA-32e mode: only from compatibility mode. */
	if ((old & X86_CR0_PG) && !(val & X86_CR0_PG) && (efer & X86_EFER_LMA)) {
		if (e->long_mode)
			return gp(e);
		nefer &= ~X86_EFER_LMA;
	}
	if (pae_paging(val, cr4, nefer) && ((old ^ val) & (X86_CR0_PG | X86_CR0_CD | X86_CR0_NW)) &&
	    !load_pdptes(v, virt->get_cr(v, 3)))
		return gp(e);
	if (nefer != efer)
		virt->set_msr(v, MSR_IA32_EFER, nefer);
	virt->set_cr(v, 0, val);
	if ((old ^ val) & (X86_CR0_PG | X86_CR0_WP | X86_CR0_PE))
		virt->flush_gpt(v->vm); /* the guest's TLB goes with its paging mode */
	return VEXIT_SKIP; /* Safe: MOV to CR0 emulated */
}

bool vcr_load_cr3(struct vcpu *v, uint64_t val)
{
	uint64_t cr0 = virt->get_cr(v, 0), cr4 = virt->get_cr(v, 4);
	uint64_t efer = virt->get_msr(v, MSR_IA32_EFER);

	if (pae_paging(cr0, cr4, efer) && !load_pdptes(v, val))
		return false;
	virt->set_cr(v, 3, val);
	virt->flush_gpt(v->vm);
	return true;
}

/* Reached only where the hardware makes CR3 loads exit (VT-x without the
 * TRUE controls); with EPT or NPT they normally do not. */
static enum vexit_action mov_to_cr3(struct vcpu *v, struct vexit *e, uint64_t val)
{
	uint64_t efer = virt->get_msr(v, MSR_IA32_EFER);

	if ((efer & X86_EFER_LMA) && (val >> 52))
		return gp(e); /* above the physical-address width (no PCIDE) */
	if (!vcr_load_cr3(v, val))
		return gp(e);
	return VEXIT_SKIP; /* Safe: MOV to CR3 emulated */
}

static enum vexit_action mov_to_cr4(struct vcpu *v, struct vexit *e, uint64_t val)
{
	uint64_t old = virt->get_cr(v, 4), cr0 = virt->get_cr(v, 0);
	uint64_t efer = virt->get_msr(v, MSR_IA32_EFER);
	const uint64_t paging_bits = X86_CR4_PAE | X86_CR4_PGE | X86_CR4_PSE | X86_CR4_SMEP;

	/* Reserved for this guest: what CPUID hides, and the bits of state
	 * that is not switched (OSXSAVE, PKE, PCE, ...): #GP(0). */
	if (val & ~guest_cr4_allowed())
		return gp(e);
	if ((efer & X86_EFER_LMA) && !(val & X86_CR4_PAE))
		return gp(e); /* PAE cannot be cleared in IA-32e mode */
	if (pae_paging(cr0, val, efer) && ((old ^ val) & paging_bits) &&
	    !load_pdptes(v, virt->get_cr(v, 3)))
		return gp(e);
	virt->set_cr(v, 4, val);
	/* A change of PGE, PAE, PSE or SMEP flushes the TLB on hardware, and
	 * guests rely on it (Linux toggles PGE to drop global entries). */
	if ((old ^ val) & (paging_bits | X86_CR4_SMAP))
		virt->flush_gpt(v->vm);
	return VEXIT_SKIP; /* Safe: MOV to CR4 emulated */
}

enum vexit_action vcr_write(struct vcpu *v, struct vexit *e)
{
	uint64_t val = e->cr.val;

	switch (e->cr.n) {
	case 0:
		return mov_to_cr0(v, e, val);
	case 3:
		return mov_to_cr3(v, e, val);
	case 4:
		return mov_to_cr4(v, e, val);
	case 8:
		/* CR8[3:0] is TPR[7:4] of the emulated APIC, never the CPU's
		 * (SDM §10.8.6.1); bits 63:4 are reserved. */
		if (val & ~0xfULL)
			return gp(e);
		lapic_set_tpr(&v->lapic, (uint8_t)(val << 4));
		return VEXIT_SKIP; /* Safe: MOV to CR8 emulated */
	default:
		virt->dump(v);
		vm_crash(v->vm, "MOV to CR%u not emulated", e->cr.n);
		return VEXIT_STOP;
	}
}

enum vexit_action vcr_read(struct vcpu *v, struct vexit *e)
{
	uint64_t val;

	switch (e->cr.n) {
	case 0:
	case 3:
	case 4:
		val = virt->get_cr(v, e->cr.n);
		break;
	case 8:
		val = lapic_get_tpr(&v->lapic) >> 4;
		break;
	default:
		virt->dump(v);
		vm_crash(v->vm, "MOV from CR%u not emulated", e->cr.n);
		return VEXIT_STOP;
	}
	*guest_reg(&v->regs, e->cr.gpr) = val;
	return VEXIT_SKIP; /* Safe: MOV from CRn emulated */
}

bool vcr_set_efer(struct vcpu *v, uint64_t val)
{
	uint32_t edx = guest_cpuid(v, 0x80000001, 0).edx;
	uint64_t cur = virt->get_msr(v, MSR_IA32_EFER), ok = X86_EFER_LMA;

	/* SYSCALL (bit 11), NX (20), long mode (29) in CPUID 8000_0001h:EDX. */
	ok |= (edx & (1u << 11) ? X86_EFER_SCE : 0) | (edx & (1u << 20) ? X86_EFER_NXE : 0) |
	      (edx & (1u << 29) ? X86_EFER_LME : 0);
	if (val & ~ok)
		return false;
	if (((val ^ cur) & X86_EFER_LME) && (virt->get_cr(v, 0) & X86_CR0_PG))
		return false; /* LME changes only with paging off (SDM §9.8.5) */
	virt->set_msr(v, MSR_IA32_EFER, (val & ~X86_EFER_LMA) | (cur & X86_EFER_LMA));
	return true;
}
