/* SPDX-License-Identifier: MIT */
/*
 * The SVM run loop and #VMEXIT decoding: each exit code (AMD APM Vol. 2
 * appendix C) becomes a neutral struct vexit for the handlers in vexit.c;
 * this file then carries out the action they return, injects interrupts
 * through EVENTINJ or waits for the guest to accept one (VINTR), and ends
 * the time slice with the host's local APIC timer (no preemption timer on
 * AMD). Host context, interrupts off but inside svm_enter().
 */
#include <asm/cpu.h>
#include <asm/pcpu.h>
#include <asm/guest_cpu.h>
#include <asm/host_timer.h>
#include <asm/mitigations.h>
#include <asm/svm.h>
#include <asm/svm_cpu.h>
#include <asm/vexit.h>
#include <asm/virt.h>
#include <base/console.h>
#include <base/mem.h>
#include <hv/vm/vm.h>

void svm_enter(struct guest_regs *regs, uint64_t vmcb_pa, uint64_t host_save_pa);

static struct vmcb *vmcb_of(const struct vcpu *v)
{
	return v->arch.svm.vmcb;
}

/*
 * Queue a hardware exception for the next VMRUN. EVENTINJ may hold already
 * the event whose delivery this exit interrupted (requeue_vectoring_event()),
 * and the new exception was raised during that delivery: both are kept, as
 * vmx_inject_exception() does (an interrupt or NMI is pending again, an
 * exception follows the double-fault rules, a triple fault stops the VM,
 * a fault goes in with RF set).
 */
void svm_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
	struct vmcb_control *c = &vmcb_of(v)->ctl;
	uint32_t prev = c->event_inj;
	int vec = vector;

	if (prev & SVM_EVT_VALID) {
		switch (prev & SVM_EVT_TYPE_MASK) {
		case SVM_EVT_TYPE_INTR:
			virt_up->event_undone(v, false, (uint8_t)prev);
			break;
		case SVM_EVT_TYPE_NMI:
			virt_up->event_undone(v, true, 2);
			v->arch.svm.nmi_masked = false;
			c->intercept3 &= ~SVM_INT3_IRET;
			c->clean &= ~SVM_CLEAN_INTERCEPTS;
			break;
		case SVM_EVT_TYPE_EXCEPTION:
			vec = vexit_exception_after((uint8_t)prev, vector);
			break;
		default:
			break;
		}
	}
	if (vec < 0) {
		c->event_inj = 0;
		svm_dump(v);
		virt_up->crash(v->vm, "triple fault");
		return;
	}
	if (vec == 8) {
		has_error = true;
		error = 0;
	}
	if (vexit_exception_is_fault((uint8_t)vec))
		vmcb_of(v)->save.rflags |= X86_RFLAGS_RF;
	c->event_inj = SVM_EVT_VALID | SVM_EVT_TYPE_EXCEPTION | (uint32_t)vec | (has_error ? SVM_EVT_ERROR : 0);
	c->event_inj_err = error;
}

bool svm_inject_discard_fault(struct vcpu *v)
{
	/* Vector 20 as a hardware exception without error code, the same
	 * event as on VT-x; the information area says why (ABI.md §7). */
	svm_inject_exception(v, HV_DISCARD_VECTOR, false, 0);
	return v->vm->state != VM_STOPPED;
}

void svm_flush_gpt(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vmcb_of(&vm->vcpus[i])->ctl.tlb_ctl =
			svm_caps.flush_by_asid ? SVM_TLB_FLUSH_ASID : SVM_TLB_FLUSH_ALL;
}

/* Exit code to counter index (asm/svm.h). */
static unsigned int counter(uint64_t code)
{
	if (code < SVM_CTR_NPF)
		return (unsigned int)code;
	if (code == SVM_EXIT_NPF)
		return SVM_CTR_NPF;
	return code == SVM_EXIT_INVALID ? SVM_CTR_INVALID : SVM_CTR_OTHER;
}

static const char *const exit_names[SVM_CTR_MAX] = {
	[SVM_EXIT_WRITE_CR4] = "CR4 write", [SVM_EXIT_WRITE_CR8] = "CR8 write",
	[SVM_EXIT_RDPMC] = "RDPMC",
	[SVM_EXIT_EXCP_BASE + 1] = "#DB intercept",
	[SVM_EXIT_EXCP_BASE + 6] = "#UD intercept", [SVM_EXIT_EXCP_BASE + 17] = "#AC intercept", [SVM_EXIT_INTR] = "INTR",
	[SVM_EXIT_NMI] = "NMI", [SVM_EXIT_VINTR] = "VINTR", [SVM_EXIT_IRET] = "IRET", [SVM_EXIT_CPUID] = "CPUID",
	[SVM_EXIT_INVD] = "INVD", [SVM_EXIT_HLT] = "HLT", [SVM_EXIT_INVLPGA] = "INVLPGA",
	[SVM_EXIT_IOIO] = "IOIO",
	[SVM_EXIT_MSR] = "MSR", [SVM_EXIT_SHUTDOWN] = "shutdown", [SVM_EXIT_VMRUN] = "VMRUN",
	[SVM_EXIT_VMMCALL] = "VMMCALL", [SVM_EXIT_VMLOAD] = "VMLOAD", [SVM_EXIT_VMSAVE] = "VMSAVE",
	[SVM_EXIT_STGI] = "STGI", [SVM_EXIT_CLGI] = "CLGI", [SVM_EXIT_SKINIT] = "SKINIT",
	[SVM_EXIT_WBINVD] = "WBINVD", [SVM_EXIT_MONITOR] = "MONITOR", [SVM_EXIT_MWAIT] = "MWAIT",
	[SVM_EXIT_MWAIT_COND] = "MWAIT (conditional)", [SVM_EXIT_XSETBV] = "XSETBV",
	[SVM_CTR_NPF] = "nested page fault", [SVM_CTR_INVALID] = "VMRUN: invalid state",
	[SVM_CTR_OTHER] = "other",
};

const char *svm_exit_name(unsigned int c)
{
	return c < SVM_CTR_MAX && exit_names[c] ? exit_names[c] : "?";
}

/* Length of the instruction that exited, for the exits that skip one.
 * Without NRIP-save: the fixed encodings (CPUID 0F A2, RDMSR 0F 32, WRMSR
 * 0F 30, HLT F4, VMMCALL 0F 01 D9, INVD 0F 08, WBINVD 0F 09); a prefixed one would be mis-skipped,
 * which no guest we run emits. IOIO always has the next RIP in EXITINFO2. */
static unsigned int insn_len(const struct vmcb *vmcb, uint64_t code, unsigned int fixed)
{
	if (code == SVM_EXIT_IOIO)
		return (unsigned int)(vmcb->ctl.exit_info2 - vmcb->save.rip);
	if (svm_caps.nrips && vmcb->ctl.next_rip > vmcb->save.rip)
		return (unsigned int)(vmcb->ctl.next_rip - vmcb->save.rip);
	return fixed;
}

/* 64-bit mode: EFER.LMA and CS.L (attribute bit 9, descriptor bit 53). */
static bool guest_long_mode(const struct vmcb *vmcb)
{
	return (vmcb->save.efer & X86_EFER_LMA) && (vmcb->save.cs.attrib & (1u << 9));
}

/*
 * The source of an intercepted MOV to CR4 or CR8. With decode assists
 * EXITINFO1 names the GPR; without (QEMU/TCG), decode the instruction:
 * 0F 22 /r with mod 11, after a REX prefix in 64-bit mode (REX.R: CR8) or
 * a LOCK prefix (AMD's alternative encoding of CR8 outside 64-bit mode,
 * CPUID 8000_0001h:ECX.CR8Legacy). false: not such an instruction (the
 * exit then stays unhandled and the VM is stopped).
 */
static bool decode_cr_write(struct vcpu *v, const struct vmcb *vmcb, uint64_t code,
			    unsigned int cr, struct vexit *e)
{
	uint8_t b[5];
	unsigned int n = virt_up->fetch(v, e->rip, b, sizeof(b)), i = 0, rex = 0, gpr, crn;
	bool lock = false;

	if (svm_caps.decode_assists && (vmcb->ctl.exit_info1 & SVM_CR_VALID)) {
		gpr = SVM_CR_GPR(vmcb->ctl.exit_info1);
		e->insn_len = insn_len(vmcb, code, 0);
	} else {
		if (i < n && b[i] == 0xf0)
			lock = b[i++];
		if (e->long_mode && i < n && (b[i] & 0xf0) == 0x40)
			rex = b[i++];
		if (n < i + 3 || b[i] != 0x0f || b[i + 1] != 0x22 || (b[i + 2] & 0xc0) != 0xc0)
			return false;
		crn = ((b[i + 2] >> 3) & 7) | (rex & 4 ? 8 : 0) | (lock ? 8 : 0);
		if (crn != cr)
			return false;
		gpr = (b[i + 2] & 7) | (rex & 1 ? 8 : 0);
		e->insn_len = insn_len(vmcb, code, i + 3);
	}
	if (!e->insn_len)
		return false;
	e->kind = VEXIT_CR_WRITE;
	e->cr.n = cr;
	e->cr.val = *guest_reg(&v->regs, gpr);
	if (!e->long_mode)
		e->cr.val = (uint32_t)e->cr.val;
	return true;
}

/*
 * #DB (or INT1), intercepted for the reason #AC is (vexit.c x_reflect()).
 * Unlike VT-x, the CPU has already done its part when the intercept
 * happens: the cause is in the VMCB's DR6 and DR7.GD is clear, and RIP is
 * the return address the CPU would push (at a fault, after a trap or
 * INT1). What is left is the RF the CPU pushes for #DB: 0 (APM Vol. 2
 * §8.2.2), also for an instruction breakpoint, whose handler sets RF in the
 * frame to go on. The single step the host armed over an NMI handler's
 * IRET (SVM_EXIT_IRET) is taken back: DR6 loses the BS it set, and unless
 * the guest was single-stepping too or another cause is there, nothing is
 * delivered (the run loop then injects the NMI).
 */
static void decode_db(struct vcpu *v, struct vmcb *vmcb, struct vexit *e)
{
	struct svm_vcpu *sv = &v->arch.svm;

	if (sv->nmi_step) {
		uint64_t dr6 = vmcb->save.dr6;

		sv->nmi_step = false;
		if (!sv->step_guest_tf) {
			vmcb->save.dr6 = (dr6 & ~X86_DR6_BS) | (sv->step_dr6 & X86_DR6_BS);
			vmcb->ctl.clean &= ~SVM_CLEAN_DRX;
			if ((dr6 & ~X86_DR6_BS) == (sv->step_dr6 & ~X86_DR6_BS)) {
				e->kind = VEXIT_NOTHING;
				return;
			}
		}
	}
	e->kind = VEXIT_REFLECT;
	e->vector = 1;
	e->has_error = false;
	vmcb->save.rflags &= ~X86_RFLAGS_RF;
}

/* Fill the neutral record of an exit from the VMCB. */
static void decode(struct vcpu *v, uint64_t code, struct vexit *e)
{
	struct vmcb *vmcb = vmcb_of(v);
	uint64_t info1 = vmcb->ctl.exit_info1;

	*e = (struct vexit){
		.kind = VEXIT_UNHANDLED,
		.reason = counter(code),
		.info = info1,
		.rip = vmcb->save.rip,
		.rflags = vmcb->save.rflags,
		.cpl = vmcb->save.cpl,
		.long_mode = guest_long_mode(vmcb),
	};
	switch (code) {
	case SVM_EXIT_INTR:
	case SVM_EXIT_NMI:
		e->kind = VEXIT_NOTHING;
		break;
	case SVM_EXIT_VINTR:
		e->kind = VEXIT_INTR_WINDOW;
		break;
	case SVM_EXIT_IRET:
		/*
		 * The IRET of an injected NMI's handler is about to run: NMIs
		 * are unblocked once it retired (RIP moved on). If the handler
		 * sent itself another NMI, that one is due right after this
		 * IRET, and no exit would come then: the IRET runs under TF,
		 * which raises #DB (intercepted) after it, whatever TF it pops
		 * (the single-step trap follows from the TF an instruction
		 * starts with). decode_db() takes that #DB back. (Should the
		 * IRET fault instead, that fault's frame shows TF set.)
		 */
		v->arch.svm.nmi_iret = true;
		v->arch.svm.iret_rip = vmcb->save.rip;
		vmcb->ctl.intercept3 &= ~SVM_INT3_IRET;
		vmcb->ctl.clean &= ~SVM_CLEAN_INTERCEPTS;
		if (virt_up->nmi_pending(v)) {
			v->arch.svm.nmi_step = true;
			v->arch.svm.step_guest_tf = vmcb->save.rflags & X86_RFLAGS_TF;
			v->arch.svm.step_dr6 = vmcb->save.dr6;
			vmcb->save.rflags |= X86_RFLAGS_TF;
		}
		e->kind = VEXIT_NOTHING;
		break;
	case SVM_EXIT_CPUID:
		e->kind = VEXIT_CPUID;
		e->insn_len = insn_len(vmcb, code, 2);
		break;
	case SVM_EXIT_HLT:
		e->kind = VEXIT_HLT;
		e->insn_len = insn_len(vmcb, code, 1);
		break;
	case SVM_EXIT_VMMCALL:
		e->kind = VEXIT_HYPERCALL;
		e->insn_len = insn_len(vmcb, code, 3);
		break;
	case SVM_EXIT_EXCP_BASE + 6:
		/* VMCALL, the VT-x hypercall instruction, raises #UD here; it is a
		 * hypercall too. Anything else gets its #UD back. */
		if (virt_up->hypercall_insn(v, e->rip)) {
			e->kind = VEXIT_HYPERCALL;
			e->insn_len = 3; /* an exception intercept has no next RIP */
		} else {
			e->kind = VEXIT_UD;
		}
		break;
	case SVM_EXIT_EXCP_BASE + 1:
		decode_db(v, vmcb, e);
		break;
	case SVM_EXIT_EXCP_BASE + 17:
		e->kind = VEXIT_REFLECT; /* #AC: EXITINFO1 holds its error code */
		e->vector = 17;
		e->has_error = true;
		e->error = (uint32_t)vmcb->ctl.exit_info1;
		break;
	case SVM_EXIT_IOIO:
		e->kind = VEXIT_IO;
		e->io.port = SVM_IOIO_PORT(info1);
		e->io.size = info1 & SVM_IOIO_SZ32 ? 4 : info1 & SVM_IOIO_SZ16 ? 2 :
			     info1 & SVM_IOIO_SZ8  ? 1 : 0;
		e->io.in = info1 & SVM_IOIO_IN;
		e->io.string = info1 & SVM_IOIO_STR;
		e->insn_len = insn_len(vmcb, code, 0);
		break;
	case SVM_EXIT_MSR:
		e->kind = info1 ? VEXIT_WRMSR : VEXIT_RDMSR;
		e->insn_len = insn_len(vmcb, code, 2);
		break;
	case SVM_EXIT_NPF:
		e->kind = VEXIT_GPT_FAULT;
		e->fault.gpa = vmcb->ctl.exit_info2;
		e->fault.access = info1 & SVM_NPF_WRITE ? VEXIT_ACCESS_WRITE :
				  info1 & SVM_NPF_FETCH ? VEXIT_ACCESS_FETCH : VEXIT_ACCESS_READ;
		e->fault.table = info1 & SVM_NPF_GUEST_TABLE;
		e->fault.vectoring = vmcb->ctl.exit_int_info & SVM_EVT_VALID;
		break;
	case SVM_EXIT_SHUTDOWN:
		e->kind = VEXIT_SHUTDOWN;
		break;
	case SVM_EXIT_RDPMC:
		e->kind = VEXIT_RDPMC;
		break;
	case SVM_EXIT_WRITE_CR4:
		decode_cr_write(v, vmcb, code, 4, e);
		break;
	case SVM_EXIT_WRITE_CR8:
		decode_cr_write(v, vmcb, code, 8, e);
		break;
	case SVM_EXIT_INVD:
	case SVM_EXIT_WBINVD:
		e->kind = VEXIT_CACHE_FLUSH;
		e->insn_len = insn_len(vmcb, code, 2);
		break;
	case SVM_EXIT_VMRUN:
	case SVM_EXIT_VMLOAD:
	case SVM_EXIT_VMSAVE:
	case SVM_EXIT_STGI:
	case SVM_EXIT_CLGI:
	case SVM_EXIT_SKINIT:
	case SVM_EXIT_INVLPGA:
	case SVM_EXIT_MONITOR:
	case SVM_EXIT_MWAIT:
	case SVM_EXIT_MWAIT_COND:
	case SVM_EXIT_XSETBV:
	case SVM_EXIT_INVPCID:
		e->kind = VEXIT_UD;
		break;
	default:
		break;
	}
}

void svm_apply(struct vcpu *v, const struct vexit *e, enum vexit_action act)
{
	struct vmcb *vmcb = vmcb_of(v);

	switch (act) {
	case VEXIT_SKIP:
		vmcb->save.rip += e->insn_len;
		vmcb->save.rflags &= ~X86_RFLAGS_RF; /* a completed instruction clears it */
		/* Blocking by STI / MOV SS ends with the instruction. */
		vmcb->ctl.int_state &= ~SVM_INT_SHADOW;
		/* The single-step trap of the emulated instruction: #DB at the
		 * next RIP with DR6.BS, injected, so it comes before any
		 * interrupt (which then waits for VINTR). */
		if (e->single_step) {
			vmcb->save.dr6 |= X86_DR6_BS;
			vmcb->ctl.clean &= ~SVM_CLEAN_DRX;
			svm_inject_exception(v, 1, false, 0);
		}
		break;
	case VEXIT_INJECT:
		svm_inject_exception(v, e->vector, e->has_error, e->error);
		break;
	case VEXIT_AGAIN:
		/* A part done, as an iteration of a REP string instruction: the
		 * interrupt shadow is over, interrupts may come first. (QEMU
		 * reports a shadow on a #UD intercept at the first instruction
		 * after VMRUN: kept, it would hold interrupts off for the whole
		 * long call.) */
		vmcb->ctl.int_state &= ~SVM_INT_SHADOW;
		break;
	case VEXIT_RESUME:
	case VEXIT_STOP:
		break;
	}
}

/*
 * Event injection (virt_ops; the run loop decides, vcpu_inject_events()).
 * A self-NMI goes in through EVENTINJ (type NMI); NMIs stay blocked for the
 * guest until the handler's IRET, which is intercepted to see it: that
 * exit is the NMI's window. An interrupt that cannot go in now asks for a
 * virtual interrupt (V_IRQ) with the VINTR intercept, which exits as soon as
 * the guest could take it (APM §15.21.4), also behind an event being
 * injected (after that event's handler, if it runs with IF=0).
 */
enum virt_nmi_gate svm_nmi_gate(struct vcpu *v)
{
	struct vmcb *vmcb = vmcb_of(v);
	struct svm_vcpu *sv = &v->arch.svm;

	if (sv->nmi_iret && vmcb->save.rip != sv->iret_rip)
		sv->nmi_masked = sv->nmi_iret = false;
	return !sv->nmi_masked && !(vmcb->ctl.event_inj & SVM_EVT_VALID) ? VIRT_NMI_NOW
									   : VIRT_NMI_WAIT;
}

bool svm_irq_allowed(struct vcpu *v)
{
	struct vmcb *vmcb = vmcb_of(v);

	return !(vmcb->ctl.event_inj & SVM_EVT_VALID) && (vmcb->save.rflags & X86_RFLAGS_IF) &&
	       !(vmcb->ctl.int_state & SVM_INT_SHADOW);
}

void svm_inject_nmi(struct vcpu *v)
{
	struct vmcb *vmcb = vmcb_of(v);

	vmcb->ctl.event_inj = SVM_EVT_VALID | SVM_EVT_TYPE_NMI | 2;
	v->arch.svm.nmi_masked = true;
	vmcb->ctl.intercept3 |= SVM_INT3_IRET;
	vmcb->ctl.clean &= ~SVM_CLEAN_INTERCEPTS;
}

void svm_inject_irq(struct vcpu *v, uint8_t vector)
{
	vmcb_of(v)->ctl.event_inj = SVM_EVT_VALID | SVM_EVT_TYPE_INTR | vector;
}

/* The NMI's window is the IRET intercept, set with the NMI. */
void svm_set_windows(struct vcpu *v, bool window, bool nmi_window)
{
	struct vmcb *vmcb = vmcb_of(v);
	struct svm_vcpu *sv = &v->arch.svm;

	(void)nmi_window;
	if (window == sv->vintr)
		return;
	if (window) {
		vmcb->ctl.int_ctl |= SVM_V_IRQ | SVM_V_IGN_TPR | (0xfu << SVM_V_INTR_PRIO_SHIFT);
		vmcb->ctl.intercept3 |= SVM_INT3_VINTR;
	} else {
		vmcb->ctl.int_ctl &= ~(SVM_V_IRQ | SVM_V_IGN_TPR | (0xfu << SVM_V_INTR_PRIO_SHIFT));
		vmcb->ctl.intercept3 &= ~SVM_INT3_VINTR;
	}
	vmcb->ctl.clean &= ~(SVM_CLEAN_INTERCEPTS | SVM_CLEAN_TPR);
	sv->vintr = window;
}

/* With V_INTR_MASKING the guest's CR8 is V_TPR (APM §15.21.1). CR8 writes
 * exit and go to the emulated APIC (vcr.c), as do TPR writes through the
 * APIC page or MSR: before each VMRUN, V_TPR = TPR[7:4], so that MOV from
 * CR8, which does not exit, reads the APIC's TPR. */
static void sync_tpr(struct vcpu *v)
{
	struct vmcb *vmcb = vmcb_of(v);
	uint32_t tpr = (uint32_t)virt_up->tpr(v) >> 4;

	if ((vmcb->ctl.int_ctl & SVM_V_TPR_MASK) == tpr)
		return;
	vmcb->ctl.int_ctl = (vmcb->ctl.int_ctl & ~SVM_V_TPR_MASK) | tpr;
	vmcb->ctl.clean &= ~SVM_CLEAN_TPR;
}

/*
 * An exit during event delivery: deliver the event again on the next
 * VMRUN (APM §15.7.2), unless the handler replaces it. Not a software
 * interrupt (INT n) or software exception (INT3, INTO, reported as
 * exceptions 3 and 4): RIP still points at the instruction, and an injected
 * event would push that RIP as the return address (the guest would run INT
 * twice); executing the instruction again delivers it exactly once.
 */
static void requeue_vectoring_event(struct vmcb *vmcb)
{
	uint32_t info = vmcb->ctl.exit_int_info, type = info & SVM_EVT_TYPE_MASK;

	if (!(info & SVM_EVT_VALID) || type == SVM_EVT_TYPE_SOFT ||
	    (type == SVM_EVT_TYPE_EXCEPTION && ((info & 0xff) == 3 || (info & 0xff) == 4)))
		return;
	vmcb->ctl.event_inj = vmcb->ctl.exit_int_info;
	vmcb->ctl.event_inj_err = vmcb->ctl.exit_int_info_err;
}

/* v runs next: the ASID may hold another vCPU's translations when there
 * are fewer ASIDs than vCPUs. */
void svm_vcpu_load(struct vcpu *v)
{
	struct pcpu *p = this_cpu();

	if (p->asid_owner != v && svm_caps.nr_asids - 1 < VM_MAX * VCPU_MAX)
		svm_flush_gpt(v->vm);
	p->asid_owner = v;
	/* From another CPU: nothing of its VMCB is cached here (APM §15.15.3),
	 * and this CPU's TLB may hold the ASID's translations of an earlier
	 * run. */
	if (v->arch.svm.cpu != p->index + 1) {
		v->arch.svm.cpu = p->index + 1;
		vmcb_of(v)->ctl.clean = 0;
		svm_flush_gpt(v->vm);
	}
}

void svm_vcpu_put(struct vcpu *v)
{
	(void)v;
	host_timer_stop();
}

/* One entry; the host's local APIC timer ends it after ticks (SVM has no
 * preemption timer); RAX and RSP go through the VMCB. The exit comes back
 * decoded; a failed VMRUN stops the VM here (VEXIT_NOTHING). */
int svm_enter_guest(struct vcpu *v, uint64_t ticks, struct vexit *e)
{
	struct vmcb *vmcb = vmcb_of(v);
	uint64_t code;

	sync_tpr(v);
	vmcb->save.rax = v->regs.rax;
	vmcb->save.rsp = v->regs.rsp;
	host_timer_arm(ticks);
	svm_enter(&v->regs, hpa_x(virt_to_hpa(vmcb)), hpa_x(virt_to_hpa(this_cpu()->svm_host_save)));
	/* What the CPU may keep cached from now on (APM §15.15.3); an event
	 * or TLB flush is consumed by VMRUN. Before the upcall: a flush other
	 * CPUs asked for meanwhile sets TLB_CONTROL again there. */
	vmcb->ctl.clean = svm_caps.clean ? SVM_CLEAN_ALL : 0;
	vmcb->ctl.tlb_ctl = 0;
	if (nr_pcpus > 1)
		virt_up->exited(v);
	v->regs.rax = vmcb->save.rax;
	v->regs.rsp = vmcb->save.rsp;
	code = vmcb->ctl.exit_code;
	vmcb->ctl.event_inj = 0;
	requeue_vectoring_event(vmcb);
	if (code == SVM_EXIT_INVALID) {
		*e = (struct vexit){ .kind = VEXIT_NOTHING, .reason = counter(code) };
		svm_dump(v);
		virt_up->crash(v->vm, "VMRUN failed: invalid guest state in the VMCB");
		return (int)counter(code);
	}
	decode(v, code, e);
	return (int)counter(code);
}

void svm_dump(const struct vcpu *v)
{
	const struct guest_regs *r = &v->regs;
	const struct vmcb *vmcb = vmcb_of(v);
	const struct vmcb_save *g = &vmcb->save;
	const struct vmcb_control *c = &vmcb->ctl;

	printk("--- VM %s vCPU %u state ---\n", v->vm->name, v->id);
	printk("RIP %016lx RSP %016lx RFLAGS %08lx CS %04x SS %04x CPL %u\n", g->rip, g->rsp,
	       g->rflags, g->cs.sel, g->ss.sel, g->cpl);
	printk("RAX %016lx RBX %016lx RCX %016lx RDX %016lx\n", g->rax, r->rbx, r->rcx, r->rdx);
	printk("RSI %016lx RDI %016lx RBP %016lx R8  %016lx\n", r->rsi, r->rdi, r->rbp, r->r8);
	printk("R9  %016lx R10 %016lx R11 %016lx R12 %016lx\n", r->r9, r->r10, r->r11, r->r12);
	printk("R13 %016lx R14 %016lx R15 %016lx\n", r->r13, r->r14, r->r15);
	printk("CR0 %016lx CR3 %016lx CR4 %016lx EFER %lx\n", g->cr0, g->cr3, g->cr4, g->efer);
	printk("GDTR %lx/%x IDTR %lx/%x exit code %#lx info %#lx/%#lx exitintinfo %#x\n",
	       g->gdtr.base, g->gdtr.limit, g->idtr.base, g->idtr.limit, c->exit_code, c->exit_info1,
	       c->exit_info2, c->exit_int_info);
}
