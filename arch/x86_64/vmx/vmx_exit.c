/* SPDX-License-Identifier: MIT */
/*
 * VT-x entry, exit decoding and event injection, the back end's part of the
 * run loop (hv/vcpu/run.c): a table indexed by the basic exit reason (SDM
 * Vol. 3D appendix C), bounds checked, turns each exit into a neutral struct
 * vexit for the handlers in vexit.c; this file then carries out the action
 * they return. Empty slots go to the one "unhandled exit" path that dumps
 * the VMCS and stops that VM. VMX root, interrupts off.
 */
#include <asm/cpu.h>
#include <asm/pcpu.h>
#include <asm/guest_cpu.h>
#include <asm/host_timer.h>
#include <asm/mitigations.h>
#include <asm/vexit.h>
#include <asm/virt.h>
#include <asm/vmx.h>
#include <asm/vmx_cpu.h>
#include <base/console.h>
#include <base/mem.h>
#include <hv/vm/vm.h>

int vmx_enter(struct guest_regs *regs, int launched);

/* Advance RIP (as the exit left it) past the instruction that exited. Only
 * after it was fully emulated: never on a path that injects a fault instead. */
static void skip_instruction(uint64_t rip, unsigned int len)
{
	uint64_t intr = vmread(VMCS_GUEST_INTERRUPTIBILITY);
	/* Read now: the emulated instruction may have changed the flags. */
	uint64_t rflags = vmread(VMCS_GUEST_RFLAGS);

	vmwrite(VMCS_GUEST_RIP, rip + len);
	/* A completed instruction leaves RF clear (SDM §17.3.1.1); an EPT
	 * violation (MMIO) exit saved it as 1 (§28.3.3). */
	if (rflags & X86_RFLAGS_RF)
		vmwrite(VMCS_GUEST_RFLAGS, rflags & ~X86_RFLAGS_RF);
	/* Blocking by STI / MOV SS ends with the instruction (SDM §25.4.2). */
	if (intr & 3)
		vmwrite(VMCS_GUEST_INTERRUPTIBILITY, intr & ~3ULL);
}

static unsigned int guest_cpl(void)
{
	return (unsigned int)(vmread(VMCS_SEG(VMCS_GUEST_ES_AR, SEG_SS)) >> 5) & 3;
}

/*
 * Queue a hardware exception for the next entry. An event may be queued
 * already: the one whose delivery this exit interrupted
 * (requeue_vectoring_event()), and the new exception was raised during that
 * delivery. Both are kept, in the architectural order: an interrupt or NMI
 * had not reached the guest, so it is pending again (IRR, or the NMI) and
 * comes when the guest can take it, after the exception; an exception
 * follows the double-fault rules (vexit_exception_after()); a software
 * interrupt or exception (INT n, INT3, INTO, INT1) runs again, RIP being
 * still at its instruction. A triple fault stops the VM. A fault goes in
 * with RF set in RFLAGS, which its delivery pushes (vexit_exception_is_fault()).
 */
void vmx_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
	uint32_t prev = (uint32_t)vmread(VMCS_ENTRY_INTR_INFO);
	int vec = vector;

	if (prev & INTR_INFO_VALID) {
		switch (prev & INTR_TYPE_MASK) {
		case INTR_TYPE_EXT_INTR:
			virt_up->event_undone(v, false, (uint8_t)prev);
			break;
		case INTR_TYPE_NMI:
			virt_up->event_undone(v, true, 2);
			break;
		case INTR_TYPE_HW_EXCEPTION:
			vec = vexit_exception_after((uint8_t)prev, vector);
			break;
		default:
			break;
		}
	}
	if (vec < 0) {
		vmwrite(VMCS_ENTRY_INTR_INFO, 0);
		vmx_dump(v);
		virt_up->crash(v->vm, "triple fault");
		return;
	}
	if (vec == 8) {
		has_error = true;
		error = 0;
	}
	if (vexit_exception_is_fault((uint8_t)vec))
		vmwrite(VMCS_GUEST_RFLAGS, vmread(VMCS_GUEST_RFLAGS) | X86_RFLAGS_RF);
	vmwrite(VMCS_ENTRY_INTR_INFO,
		INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | (uint32_t)vec | (has_error ? INTR_INFO_ERROR_CODE : 0));
	if (has_error)
		vmwrite(VMCS_ENTRY_EXCEPTION_ERROR, error);
}

bool vmx_inject_discard_fault(struct vcpu *v)
{
	vmx_inject_exception(v, HV_DISCARD_VECTOR, false, 0);
	return v->vm->state != VM_STOPPED;
}

static void exit_entry_failed(struct vcpu *v, uint64_t qual)
{
	vmx_dump(v);
	virt_up->crash(v->vm, "VM entry failed: invalid guest state (qualification %lu)", qual);
}

/* What each basic exit reason means; reasons not listed are unhandled. */
static const uint8_t exit_kinds[EXIT_REASON_MAX] = {
	[EXIT_EXT_INTR] = VEXIT_NOTHING,
	[EXIT_INTR_WINDOW] = VEXIT_INTR_WINDOW,
	[EXIT_NMI_WINDOW] = VEXIT_INTR_WINDOW,
	[EXIT_TRIPLE_FAULT] = VEXIT_SHUTDOWN,
	[EXIT_CPUID] = VEXIT_CPUID,
	[EXIT_GETSEC] = VEXIT_UD, /* no SMX offered (CR4.SMXE stays 0) */
	[EXIT_HLT] = VEXIT_HLT,
	[EXIT_INVD] = VEXIT_CACHE_FLUSH,
	[EXIT_WBINVD] = VEXIT_CACHE_FLUSH,
	[EXIT_PAUSE] = VEXIT_PAUSE,
	[EXIT_MONITOR] = VEXIT_UD, /* CPUID.1:ECX.MONITOR = 0 */
	[EXIT_MWAIT] = VEXIT_UD,
	[EXIT_XSETBV] = VEXIT_UD, /* no XSAVE offered (CR4.OSXSAVE stays 0) */
	[EXIT_VMCALL] = VEXIT_HYPERCALL,
	[EXIT_VMCLEAR] = VEXIT_UD,
	[EXIT_VMLAUNCH] = VEXIT_UD,
	[EXIT_VMPTRLD] = VEXIT_UD,
	[EXIT_VMPTRST] = VEXIT_UD,
	[EXIT_VMREAD] = VEXIT_UD,
	[EXIT_VMRESUME] = VEXIT_UD,
	[EXIT_VMWRITE] = VEXIT_UD,
	[EXIT_VMXOFF] = VEXIT_UD,
	[EXIT_VMXON] = VEXIT_UD,
	[EXIT_INVEPT] = VEXIT_UD,
	[EXIT_INVVPID] = VEXIT_UD,
	[EXIT_VMFUNC] = VEXIT_UD,
	[EXIT_IO] = VEXIT_IO,
	[EXIT_RDPMC] = VEXIT_RDPMC,
	[EXIT_RDMSR] = VEXIT_RDMSR,
	[EXIT_WRMSR] = VEXIT_WRMSR,
	[EXIT_EPT_VIOLATION] = VEXIT_GPT_FAULT,
	[EXIT_PREEMPT_TIMER] = VEXIT_NOTHING,
};

/* 64-bit mode: IA-32e active and CS.L set (SDM Vol. 3A §5.2.1). */
static bool guest_long_mode(void)
{
	return (vmread(VMCS_GUEST_IA32_EFER) & X86_EFER_LMA) &&
	       (vmread(VMCS_SEG(VMCS_GUEST_ES_AR, SEG_CS)) & (1u << 13));
}

/*
 * Exception or NMI exit. NMIs belong to the host (we have no NMI sources of
 * our own). #UD is intercepted for VMMCALL, the AMD hypercall instruction,
 * which raises #UD on VT-x: it is a hypercall too; any other #UD goes back
 * to the guest. #AC and #DB are intercepted only to be delivered (vexit.c,
 * reflect_db()). Other exceptions are not intercepted.
 */
static void decode_exception(struct vcpu *v, struct vexit *e)
{
	uint32_t info = (uint32_t)vmread(VMCS_EXIT_INTR_INFO);
	uint32_t type = info & INTR_TYPE_MASK, vector = info & 0xff;

	if (type == INTR_TYPE_NMI) {
		e->kind = VEXIT_NOTHING;
	} else if (type == INTR_TYPE_HW_EXCEPTION && vector == 6) {
		e->kind = virt_up->hypercall_insn(v, e->rip) ? VEXIT_HYPERCALL : VEXIT_UD;
		e->cpl = guest_cpl();
		e->long_mode = guest_long_mode();
		e->insn_len = 3;
	} else if (type == INTR_TYPE_HW_EXCEPTION && vector == 17) {
		e->kind = VEXIT_REFLECT; /* #AC, error code 0 */
		e->vector = 17;
		e->has_error = true;
		e->error = (uint32_t)vmread(VMCS_EXIT_INTR_ERROR);
	} else if (vector == 1) {
		e->kind = VEXIT_REFLECT; /* #DB, or INT1 (type 5): reflect_db() */
		e->vector = 1;
	}
}

/*
 * MOV to/from CRn (SDM Table 28-3: CR number in bits 3:0, access type in
 * 5:4, register in 11:8). What exits: CR0 and CR4 writes that change a bit
 * the guest/host masks own, and every MOV to/from CR8 (CR8-load/store
 * exiting); CR3 only where the CPU forces CR3 exiting. CLTS and LMSW touch
 * no owned bit and do not exit; they stay unhandled.
 */
static void decode_cr_access(struct vcpu *v, uint64_t qual, struct vexit *e)
{
	unsigned int type = (qual >> 4) & 3, gpr = (qual >> 8) & 15;

	if (type > 1)
		return;
	e->kind = type == 0 ? VEXIT_CR_WRITE : VEXIT_CR_READ;
	e->long_mode = guest_long_mode();
	e->cr.n = qual & 15;
	e->cr.gpr = gpr;
	e->cr.val = *guest_reg(&v->regs, gpr);
	if (!e->long_mode)
		e->cr.val = (uint32_t)e->cr.val;
}

/* Fill the neutral record of a basic exit reason from the VMCS. Each field
 * is read (a VMREAD) only for the exits that use it: the qualification of
 * the others is 0 or undefined (SDM §28.2.1), and an exit that is not an
 * instruction's (or one the emulation measures) has no length to read. */
static void decode(struct vcpu *v, unsigned int reason, struct vexit *e)
{
	uint64_t qual;

	*e = (struct vexit){
		.kind = reason < EXIT_REASON_MAX ? exit_kinds[reason] : VEXIT_UNHANDLED,
		.reason = reason,
		.rip = vmread(VMCS_GUEST_RIP),
		.rflags = vmread(VMCS_GUEST_RFLAGS),
	};
	switch (e->kind) {
	case VEXIT_NOTHING:
		return;
	case VEXIT_UNHANDLED:
		e->info = vmread(VMCS_EXIT_QUAL); /* for the message, if it stays unhandled */
		if (reason == EXIT_EXCEPTION_NMI) {
			decode_exception(v, e); /* VMMCALL's length is its own */
			return;
		}
		if (reason == EXIT_CR_ACCESS)
			decode_cr_access(v, e->info, e);
		if (e->kind == VEXIT_UNHANDLED)
			return;
		break;
	case VEXIT_CACHE_FLUSH:
		e->cpl = guest_cpl();
		break;
	case VEXIT_HYPERCALL:
		e->cpl = guest_cpl();
		e->long_mode = guest_long_mode();
		break;
	case VEXIT_IO:
		e->info = qual = vmread(VMCS_EXIT_QUAL);
		e->io.port = (uint16_t)IOQ_PORT(qual);
		e->io.size = (uint8_t)IOQ_SIZE(qual);
		e->io.in = qual & IOQ_IN;
		e->io.string = qual & IOQ_STRING;
		break;
	case VEXIT_GPT_FAULT:
		e->info = qual = vmread(VMCS_EXIT_QUAL);
		e->fault.gpa = vmread(VMCS_GUEST_PHYS_ADDR);
		e->fault.gla_valid = qual & EPTQ_GLA_VALID;
		e->fault.gla = e->fault.gla_valid ? vmread(VMCS_GUEST_LINEAR_ADDR) : 0;
		/* EPTQ read/write/fetch are bits 0..2, as VEXIT_ACCESS_*. */
		e->fault.access = (uint32_t)(qual & (EPTQ_READ | EPTQ_WRITE | EPTQ_FETCH));
		/* SDM §28.2.1 Table 28-7: bit 8 (with bit 7) tells the access to
		 * the linear address's translation from one to a paging-structure
		 * entry; without bit 7 it was a PDPTE load. */
		e->fault.table = (qual & (EPTQ_GLA_VALID | EPTQ_GLA_TRANSLATED)) !=
				 (EPTQ_GLA_VALID | EPTQ_GLA_TRANSLATED);
		e->fault.vectoring = vmread(VMCS_IDT_VECTORING_INFO) & INTR_INFO_VALID;
		e->cpl = guest_cpl(); /* a #PF the MMIO emulation raises needs U/S */
		return; /* the MMIO emulation sets the length of what it ran */
	default:
		break;
	}
	e->insn_len = (unsigned int)vmread(VMCS_EXIT_INSTR_LEN);
}

/*
 * Deliver an intercepted #DB as the CPU would have. A #DB that exits has
 * not touched DR6 or DR7 yet (SDM Vol. 3C §28.1); the exit qualification
 * holds its B0-B3, BD and BS (Table 28-1). They go into DR6, which is the
 * guest's while its vCPU runs (guest_cpu_switch()): B0-B3 replace the old
 * ones, BD and BS add to what is there (§17.2.3, as the CPU does). DR7.GD
 * is cleared, as on entry to the #DB handler (§17.2.4). RFLAGS stays: the
 * exit saved the RF the CPU would have pushed (§28.3.3), so an instruction
 * breakpoint is delivered with the guest's RF (0), and the handler sets RF
 * to go on. INT1 (ICEBP) exits before it runs, as a privileged software
 * exception: injected as one, with its length, it pushes the address after
 * it and leaves DR6 and DR7 alone, as INT1 does.
 */
static void reflect_db(struct vcpu *v, const struct vexit *e)
{
	uint32_t info = (uint32_t)vmread(VMCS_EXIT_INTR_INFO);
	uint64_t dr6;

	/* In an STI or MOV SS shadow with TF set, VM entry wants BS pending
	 * (SDM §27.3.1.5), which a #DB exit does not save; injecting the
	 * event discards it again (§27.6.3), as the delivery would have. */
	if ((vmread(VMCS_GUEST_RFLAGS) & X86_RFLAGS_TF) &&
	    (vmread(VMCS_GUEST_INTERRUPTIBILITY) & (INTR_BLOCK_STI | INTR_BLOCK_MOV_SS)))
		vmwrite(VMCS_GUEST_PENDING_DBG, vmread(VMCS_GUEST_PENDING_DBG) | PENDING_DBG_BS);
	if ((info & INTR_TYPE_MASK) == INTR_TYPE_PRIV_SW_EXCEPTION) {
		vmwrite(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_PRIV_SW_EXCEPTION | 1);
		vmwrite(VMCS_ENTRY_INSTR_LEN, vmread(VMCS_EXIT_INSTR_LEN));
		return;
	}
	asm volatile("mov %%db6, %0" : "=r"(dr6));
	dr6 = (dr6 & ~X86_DR6_B0_3) | (e->info & (X86_DR6_B0_3 | X86_DR6_BD | X86_DR6_BS));
	asm volatile("mov %0, %%db6" ::"r"(dr6));
	vmwrite(VMCS_GUEST_DR7, vmread(VMCS_GUEST_DR7) & ~X86_DR7_GD);
	vmx_inject_exception(v, 1, false, 0);
}

/*
 * The single-step trap of an emulated instruction: #DB at the next RIP
 * with DR6.BS. If that instruction ran in a MOV SS shadow, the exit saved
 * the debug traps of MOV SS that the shadow held back (its own single
 * step, a data breakpoint on its operand) as pending debug exceptions:
 * they are due at the same boundary, so this one #DB reports them all and
 * they are no longer pending (an injected event would discard them
 * anyway, SDM §27.6.3). DR6 is the guest's while it runs
 * (guest_cpu_switch()); injection does not touch it (§27.6.1.2). As an
 * injected event it comes before any interrupt, which waits for the window.
 */
static void single_step_trap(struct vcpu *v)
{
	uint64_t dr6, pending = vmread(VMCS_GUEST_PENDING_DBG);

	asm volatile("mov %%db6, %0" : "=r"(dr6));
	dr6 |= X86_DR6_BS;
	if (pending & PENDING_DBG_ENABLED)
		dr6 = (dr6 & ~X86_DR6_B0_3) | (pending & PENDING_DBG_B0_3);
	asm volatile("mov %0, %%db6" ::"r"(dr6));
	vmwrite(VMCS_GUEST_PENDING_DBG, 0);
	vmx_inject_exception(v, 1, false, 0);
}

/* Carry out what the handler decided. */
static void apply(struct vcpu *v, const struct vexit *e, enum vexit_action act)
{
	switch (act) {
	case VEXIT_SKIP:
		skip_instruction(e->rip, e->insn_len);
		if (e->single_step)
			single_step_trap(v);
		break;
	case VEXIT_INJECT:
		if (e->kind == VEXIT_REFLECT && e->vector == 1)
			reflect_db(v, e);
		else
			vmx_inject_exception(v, e->vector, e->has_error, e->error);
		break;
	case VEXIT_AGAIN:
		/* A part done, as an iteration of a REP string instruction:
		 * blocking by STI / MOV SS is over, interrupts may come first. */
		vmwrite(VMCS_GUEST_INTERRUPTIBILITY, vmread(VMCS_GUEST_INTERRUPTIBILITY) & ~3ULL);
		break;
	case VEXIT_RESUME:
	case VEXIT_STOP:
		break;
	}
}

static const char *const exit_names[EXIT_REASON_MAX] = {
	[EXIT_EXCEPTION_NMI] = "exception/NMI", [EXIT_EXT_INTR] = "external interrupt",
	[EXIT_TRIPLE_FAULT] = "triple fault", [EXIT_INIT] = "INIT", [EXIT_SIPI] = "SIPI",
	[EXIT_INTR_WINDOW] = "interrupt window", [EXIT_NMI_WINDOW] = "NMI window",
	[EXIT_TASK_SWITCH] = "task switch", [EXIT_CPUID] = "CPUID", [EXIT_GETSEC] = "GETSEC",
	[EXIT_HLT] = "HLT", [EXIT_INVD] = "INVD", [EXIT_INVLPG] = "INVLPG", [EXIT_RDPMC] = "RDPMC",
	[EXIT_RDTSC] = "RDTSC", [EXIT_VMCALL] = "VMCALL", [EXIT_VMCLEAR] = "VMCLEAR",
	[EXIT_VMLAUNCH] = "VMLAUNCH", [EXIT_VMPTRLD] = "VMPTRLD", [EXIT_VMPTRST] = "VMPTRST",
	[EXIT_VMREAD] = "VMREAD", [EXIT_VMRESUME] = "VMRESUME", [EXIT_VMWRITE] = "VMWRITE",
	[EXIT_VMXOFF] = "VMXOFF", [EXIT_VMXON] = "VMXON", [EXIT_CR_ACCESS] = "CR access",
	[EXIT_DR_ACCESS] = "DR access", [EXIT_IO] = "I/O", [EXIT_RDMSR] = "RDMSR",
	[EXIT_WRMSR] = "WRMSR", [EXIT_INVALID_STATE] = "entry: invalid guest state",
	[EXIT_MSR_LOADING] = "entry: MSR loading", [EXIT_MWAIT] = "MWAIT", [EXIT_MTF] = "MTF",
	[EXIT_MONITOR] = "MONITOR", [EXIT_PAUSE] = "PAUSE", [EXIT_MACHINE_CHECK] = "machine check",
	[EXIT_EPT_VIOLATION] = "EPT violation", [EXIT_EPT_MISCONFIG] = "EPT misconfig",
	[EXIT_INVEPT] = "INVEPT", [EXIT_RDTSCP] = "RDTSCP", [EXIT_PREEMPT_TIMER] = "preemption timer",
	[EXIT_INVVPID] = "INVVPID", [EXIT_WBINVD] = "WBINVD", [EXIT_XSETBV] = "XSETBV",
	[EXIT_RDRAND] = "RDRAND", [EXIT_INVPCID] = "INVPCID", [EXIT_VMFUNC] = "VMFUNC",
	[EXIT_RDSEED] = "RDSEED", [EXIT_XSAVES] = "XSAVES", [EXIT_XRSTORS] = "XRSTORS",
};

const char *vmx_exit_name(unsigned int reason)
{
	return reason < EXIT_REASON_MAX && exit_names[reason] ? exit_names[reason] : "?";
}

/* An exit during event delivery: deliver the event again on the next entry
 * (SDM §28.2.4), unless the handler replaces it. */
static void requeue_vectoring_event(void)
{
	uint32_t info = (uint32_t)vmread(VMCS_IDT_VECTORING_INFO);

	if (!(info & INTR_INFO_VALID))
		return;
	vmwrite(VMCS_ENTRY_INTR_INFO, info & ~(1u << 12));
	if (info & INTR_INFO_ERROR_CODE)
		vmwrite(VMCS_ENTRY_EXCEPTION_ERROR, vmread(VMCS_IDT_VECTORING_ERROR));
	vmwrite(VMCS_ENTRY_INSTR_LEN, vmread(VMCS_EXIT_INSTR_LEN));
}

/*
 * Event injection (virt_ops; the run loop decides, vcpu_inject_events()).
 * Debug traps held over an emulated instruction by a MOV SS shadow that has
 * ended (skip_instruction()) are delivered right after entry and outrank
 * NMIs and interrupts (SDM Vol. 3A Table 6-2); injecting one of those
 * instead would discard them (§27.6.3). They wait for their windows, which
 * open after the #DB.
 */
static bool debug_due(void)
{
	return (vmread(VMCS_GUEST_PENDING_DBG) & (PENDING_DBG_BS | PENDING_DBG_ENABLED)) &&
	       !(vmread(VMCS_GUEST_INTERRUPTIBILITY) & INTR_BLOCK_MOV_SS);
}

static bool event_queued(void)
{
	return vmread(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID;
}

/*
 * A self-NMI goes in unless NMIs are blocked (virtual-NMI blocking until the
 * handler's IRET, MOV SS or STI blocking) or another event goes first. Then
 * it waits for an exit as soon as it can go in: NMI-window exiting (after
 * that IRET, after the event's delivery); for STI blocking alone the
 * interrupt window (IF is 1), since a CPU may let the NMI window through STI
 * blocking but refuse to inject an NMI there (SDM §26.7.6, §27.3.1.5).
 */
enum virt_nmi_gate vmx_nmi_gate(struct vcpu *v)
{
	uint32_t block = (uint32_t)vmread(VMCS_GUEST_INTERRUPTIBILITY) &
			 (INTR_BLOCK_STI | INTR_BLOCK_MOV_SS | INTR_BLOCK_NMI);
	bool busy = event_queued() || debug_due();

	(void)v;
	if (!busy && !block)
		return VIRT_NMI_NOW;
	return !busy && block == INTR_BLOCK_STI ? VIRT_NMI_IRQ_WINDOW : VIRT_NMI_WAIT;
}

bool vmx_irq_allowed(struct vcpu *v)
{
	(void)v;
	return !event_queued() && (vmread(VMCS_GUEST_RFLAGS) & X86_RFLAGS_IF) && !debug_due() &&
	       !(vmread(VMCS_GUEST_INTERRUPTIBILITY) & 3);
}

void vmx_inject_nmi(struct vcpu *v)
{
	(void)v;
	vmwrite(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_NMI | 2);
}

void vmx_inject_irq(struct vcpu *v, uint8_t vector)
{
	(void)v;
	vmwrite(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_EXT_INTR | vector);
}

void vmx_set_windows(struct vcpu *v, bool window, bool nmi_window)
{
	struct vmx_vcpu *x = &v->arch.vmx;
	uint32_t proc;

	if (window == x->intr_window && nmi_window == x->nmi_window)
		return;
	proc = (uint32_t)vmread(VMCS_PROC_CTLS) & ~(PROC_INTR_WINDOW | PROC_NMI_WINDOW);
	vmwrite(VMCS_PROC_CTLS, proc | (window ? PROC_INTR_WINDOW : 0) |
					(nmi_window ? PROC_NMI_WINDOW : 0));
	x->intr_window = window;
	x->nmi_window = nmi_window;
}

/*
 * v runs next on this CPU. Coming from another CPU (SDM Vol. 3C §25.11.1:
 * its VMCS was cleared there, so the next entry is a VMLAUNCH): the host
 * state of this CPU (GS base, TR, GDTR) in its VMCS, and the translations
 * this CPU may still hold for the VM from an earlier run dropped.
 */
void vmx_vcpu_load(struct vcpu *v)
{
	struct vmx_vcpu *x = &v->arch.vmx;
	unsigned int cpu = this_cpu()->index + 1;

	if (!vmptrld(virt_to_hpa(x->vmcs)))
		panic("vmx: VMPTRLD failed for VM %s", v->vm->name);
	if (x->cpu != cpu) {
		if (x->cpu)
			vmx_host_state();
		x->cpu = cpu;
		vmx_flush_ept(v->vm);
	}
}

/* With several CPUs the vCPU may run elsewhere next: VMCLEAR here writes
 * its VMCS back to memory and makes it launchable on any CPU. */
void vmx_vcpu_put(struct vcpu *v)
{
	if (nr_pcpus == 1)
		return;
	if (!vmclear(virt_to_hpa(v->arch.vmx.vmcs)))
		panic("vmx: VMCLEAR failed for VM %s", v->vm->name);
	v->arch.vmx.launched = false;
}

/*
 * One entry; the preemption timer ends it after ticks. The exit comes back
 * decoded; RSP comes back into regs (written back by vmx_apply() if a
 * handler changed it). Failed entries and EPT misconfigurations stop the VM
 * here; a task switch (the processor's own work, left to the VMM:
 * vmx_task.c) is carried out by vmx_apply(), as host work of this exit.
 */
int vmx_enter_guest(struct vcpu *v, uint64_t ticks, struct vexit *e)
{
	struct vmx_vcpu *x = &v->arch.vmx;
	uint32_t reason;
	int rc;

	vmwrite(VMCS_PREEMPTION_TIMER, MIN(ticks >> vmx_caps.timer_rate, 0xffffffffULL));
	rc = vmx_enter(&v->regs, x->launched);
	if (nr_pcpus > 1)
		virt_up->exited(v);
	if (rc) {
		vmx_dump(v);
		virt_up->crash(v->vm, "VM%s failed: VM-instruction error %lu",
			       x->launched ? "RESUME" : "LAUNCH", rc == 2 ? vmread(VMCS_INSTR_ERROR) : 0);
		return -1;
	}
	/* A successful entry cleared the valid bit of the injected event. */
	x->launched = true;
	reason = (uint32_t)vmread(VMCS_EXIT_REASON);
	x->exit_rsp = v->regs.rsp = vmread(VMCS_GUEST_RSP);
	if ((reason & 0xffff) == EXIT_EXT_INTR) /* the host's own (a kick), acknowledged by the exit */
		host_apic_acked((uint8_t)vmread(VMCS_EXIT_INTR_INFO));
	if (reason & EXIT_REASON_ENTRY_FAIL) {
		*e = (struct vexit){ .kind = VEXIT_NOTHING, .reason = reason & 0xffff };
		exit_entry_failed(v, vmread(VMCS_EXIT_QUAL));
		return (int)(reason & 0xffff);
	}
	reason &= 0xffff;
	requeue_vectoring_event();
	if (reason == EXIT_EPT_MISCONFIG || reason == EXIT_TASK_SWITCH) {
		*e = (struct vexit){ .kind = VEXIT_NOTHING, .reason = reason };
		if (reason == EXIT_TASK_SWITCH) {
			x->task_switch = true;
		} else {
			vmx_dump(v);
			virt_up->crash(v->vm, "EPT misconfiguration at gpa %#lx",
				       vmread(VMCS_GUEST_PHYS_ADDR));
		}
		return (int)reason;
	}
	decode(v, reason, e);
	return (int)reason;
}

void vmx_apply(struct vcpu *v, const struct vexit *e, enum vexit_action act)
{
	struct vmx_vcpu *x = &v->arch.vmx;

	if (x->task_switch) {
		x->task_switch = false;
		vmx_task_switch(v, vmread(VMCS_EXIT_QUAL));
	} else {
		apply(v, e, act);
	}
	if (v->regs.rsp != x->exit_rsp)
		vmwrite(VMCS_GUEST_RSP, v->regs.rsp);
}

void vmx_flush_ept(struct vm *vm)
{
	if (!invept(vmx_caps.invept_type, gpt_eptp(&vm->arch.gpt)))
		panic("vmx: INVEPT failed");
}

void vmx_dump(const struct vcpu *v)
{
	const struct guest_regs *r = &v->regs;

	printk("--- VM %s vCPU %u state ---\n", v->vm->name, v->id);
	printk("RIP %016lx RSP %016lx RFLAGS %08lx CS %04lx SS %04lx\n", vmread(VMCS_GUEST_RIP),
	       vmread(VMCS_GUEST_RSP), vmread(VMCS_GUEST_RFLAGS),
	       vmread(VMCS_SEG(VMCS_GUEST_ES_SEL, SEG_CS)), vmread(VMCS_SEG(VMCS_GUEST_ES_SEL, SEG_SS)));
	printk("RAX %016lx RBX %016lx RCX %016lx RDX %016lx\n", r->rax, r->rbx, r->rcx, r->rdx);
	printk("RSI %016lx RDI %016lx RBP %016lx R8  %016lx\n", r->rsi, r->rdi, r->rbp, r->r8);
	printk("R9  %016lx R10 %016lx R11 %016lx R12 %016lx\n", r->r9, r->r10, r->r11, r->r12);
	printk("R13 %016lx R14 %016lx R15 %016lx\n", r->r13, r->r14, r->r15);
	printk("CR0 %016lx CR3 %016lx CR4 %016lx EFER %lx\n", vmread(VMCS_GUEST_CR0),
	       vmread(VMCS_GUEST_CR3), vmread(VMCS_GUEST_CR4), vmread(VMCS_GUEST_IA32_EFER));
	printk("GDTR %lx/%lx IDTR %lx/%lx exit reason %#lx qual %#lx intr-info %#lx idt-vec %#lx\n",
	       vmread(VMCS_GUEST_GDTR_BASE), vmread(VMCS_GUEST_GDTR_LIMIT),
	       vmread(VMCS_GUEST_IDTR_BASE), vmread(VMCS_GUEST_IDTR_LIMIT), vmread(VMCS_EXIT_REASON),
	       vmread(VMCS_EXIT_QUAL), vmread(VMCS_EXIT_INTR_INFO), vmread(VMCS_IDT_VECTORING_INFO));
}
