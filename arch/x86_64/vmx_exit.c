/* SPDX-License-Identifier: MIT */
/*
 * The VT-x run loop and exit decoding: a table indexed by the basic exit
 * reason (SDM Vol. 3D appendix C), bounds checked, turns each exit into a
 * neutral struct vexit for the handlers in vexit.c; this file then carries
 * out the action they return. Empty slots go to the one "unhandled exit"
 * path that dumps the VMCS and stops that VM. VMX root, interrupts off.
 */
#include <asm/cpu.h>
#include <asm/emulate.h>
#include <asm/guest_cpu.h>
#include <asm/mitigations.h>
#include <asm/vexit.h>
#include <asm/virt.h>
#include <asm/vmx.h>
#include <asm/vmx_cpu.h>
#include <hv/console.h>
#include <hv/mem.h>
#include <hv/vm.h>

int vmx_enter(struct guest_regs *regs, int launched);

/* Advance RIP (as the exit left it) past the instruction that exited. Only
 * after it was fully emulated: never on a path that injects a fault instead. */
static void skip_instruction(uint64_t rip, unsigned int len)
{
	uint64_t intr = vmread(VMCS_GUEST_INTERRUPTIBILITY);

	vmwrite(VMCS_GUEST_RIP, rip + len);
	/* Blocking by STI / MOV SS ends with the instruction (SDM §25.4.2). */
	if (intr & 3)
		vmwrite(VMCS_GUEST_INTERRUPTIBILITY, intr & ~3ULL);
}

static unsigned int guest_cpl(void)
{
	return (unsigned int)(vmread(VMCS_SEG(VMCS_GUEST_ES_AR, SEG_SS)) >> 5) & 3;
}

void vmx_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
	vmwrite(VMCS_ENTRY_INTR_INFO,
		INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | vector | (has_error ? INTR_INFO_ERROR_CODE : 0));
	if (has_error)
		vmwrite(VMCS_ENTRY_EXCEPTION_ERROR, error);
	(void)v;
}

bool vmx_inject_discard_fault(struct vcpu *v)
{
	if (vmread(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID)
		return false;
	vmx_inject_exception(v, HV_DISCARD_VECTOR, false, 0);
	return true;
}

static void exit_entry_failed(struct vcpu *v, uint64_t qual)
{
	vmx_dump(v);
	vm_crash(v->vm, "VM entry failed: invalid guest state (qualification %lu)", qual);
}

/* What each basic exit reason means; reasons not listed are unhandled. */
static const uint8_t exit_kinds[EXIT_REASON_MAX] = {
	[EXIT_EXT_INTR] = VEXIT_NOTHING,
	[EXIT_INTR_WINDOW] = VEXIT_INTR_WINDOW,
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
 * to the guest. #AC is intercepted only to be delivered (vexit.c). Other
 * exceptions are not intercepted.
 */
static void decode_exception(struct vcpu *v, struct vexit *e)
{
	uint32_t info = (uint32_t)vmread(VMCS_EXIT_INTR_INFO);

	if ((info & (7u << 8)) == INTR_TYPE_NMI) {
		e->kind = VEXIT_NOTHING;
	} else if ((info & (7u << 8)) == INTR_TYPE_HW_EXCEPTION && (info & 0xff) == 6) {
		e->kind = guest_hypercall_insn(v, e->rip) ? VEXIT_HYPERCALL : VEXIT_UD;
		e->cpl = guest_cpl();
		e->long_mode = guest_long_mode();
		e->insn_len = 3;
	} else if ((info & (7u << 8)) == INTR_TYPE_HW_EXCEPTION && (info & 0xff) == 17) {
		e->kind = VEXIT_REFLECT; /* #AC, error code 0 */
		e->vector = 17;
		e->has_error = true;
		e->error = (uint32_t)vmread(VMCS_EXIT_INTR_ERROR);
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
	e->cr.val = *guest_gpr(v, gpr);
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

/* Carry out what the handler decided. */
static void apply(struct vcpu *v, const struct vexit *e, enum vexit_action act)
{
	switch (act) {
	case VEXIT_SKIP:
		skip_instruction(e->rip, e->insn_len);
		/* The single-step trap of the emulated instruction: #DB at the
		 * next RIP with DR6.BS set. The guest's DR6 is the hardware's
		 * while it runs (guest_cpu_switch()); injection does not touch
		 * it (SDM §26.6.1.2). As an injected event it comes before any
		 * interrupt, which waits for the window. */
		if (e->single_step) {
			uint64_t dr6;

			asm volatile("mov %%db6, %0" : "=r"(dr6));
			asm volatile("mov %0, %%db6" ::"r"(dr6 | X86_DR6_BS));
			vmx_inject_exception(v, 1, false, 0);
			/* A BS the exit saved (instruction in a MOV SS shadow) is
			 * this same trap: deliver it once. */
			vmwrite(VMCS_GUEST_PENDING_DBG, vmread(VMCS_GUEST_PENDING_DBG) & ~X86_DR6_BS);
		}
		break;
	case VEXIT_INJECT:
		vmx_inject_exception(v, e->vector, e->has_error, e->error);
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
 * Before an entry: deliver the highest pending interrupt if the guest can
 * take it now, else ask for an exit as soon as it can (interrupt window).
 */
static void deliver_interrupts(struct vcpu *v)
{
	bool from_pic, window = false;
	int vec;

	/* A self-NMI, unless NMIs are blocked (virtual-NMI blocking until the
	 * handler's IRET) or MOV SS/STI blocking is in effect; else it waits
	 * for a later entry. */
	if (lapic_nmi_pending(&v->lapic) && !(vmread(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID) &&
	    !(vmread(VMCS_GUEST_INTERRUPTIBILITY) & 0xb)) {
		vmwrite(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_NMI | 2);
		lapic_nmi_ack(&v->lapic);
	}
	vec = vcpu_irq_pending(v, &from_pic); /* no VMCS access when idle */

	if (vec >= 0 && !(vmread(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID)) {
		if ((vmread(VMCS_GUEST_RFLAGS) & X86_RFLAGS_IF) &&
		    !(vmread(VMCS_GUEST_INTERRUPTIBILITY) & 3)) {
			vmwrite(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_EXT_INTR | (uint32_t)vec);
			vcpu_irq_ack(v, vec, from_pic);
		} else {
			window = true;
		}
	}
	if (window != v->arch.vmx.intr_window) {
		uint32_t proc = (uint32_t)vmread(VMCS_PROC_CTLS);

		vmwrite(VMCS_PROC_CTLS, window ? proc | PROC_INTR_WINDOW : proc & ~PROC_INTR_WINDOW);
		v->arch.vmx.intr_window = window;
	}
}

void vmx_vcpu_run(struct vcpu *v, uint64_t slice)
{
	struct vm *vm = v->vm;
	struct vmx_vcpu *x = &v->arch.vmx;
	uint64_t start = rdtsc(), deadline = start + slice;

	if (!vmptrld(virt_to_hpa(x->vmcs)))
		panic("vmx: VMPTRLD failed for VM %s", vm->name);
	guest_cpu_switch(v, true);
	while (vm->state == VM_RUNNING && !v->halted) {
		uint64_t now = rdtsc(), t0, until, rsp, next;
		unsigned int reason;
		struct vexit e;
		int rc;

		if (now >= deadline)
			break;
		hv_before_entry(v);
		if (vm->state != VM_RUNNING)
			break;
		next = vm_timers_tick(v, now);
		deliver_interrupts(v);
		until = MIN(deadline, MAX(next, now));
		vmwrite(VMCS_PREEMPTION_TIMER, MIN((until - now) >> vmx_caps.timer_rate, 0xffffffffULL));
		t0 = now;
		mitig_before_entry();
		rc = vmx_enter(&v->regs, x->launched);
		vm->tsc_run += rdtsc() - t0;
		if (rc) {
			vmx_dump(v);
			vm_crash(vm, "VM%s failed: VM-instruction error %lu",
				 x->launched ? "RESUME" : "LAUNCH", rc == 2 ? vmread(VMCS_INSTR_ERROR) : 0);
			break;
		}
		/* A successful entry cleared the valid bit of the injected event. */
		x->launched = true;
		reason = (unsigned int)vmread(VMCS_EXIT_REASON);
		if (reason & EXIT_REASON_ENTRY_FAIL) {
			reason &= 0xffff;
			vm->exits[MIN(reason, VM_EXIT_COUNTERS - 1)]++;
			exit_entry_failed(v, vmread(VMCS_EXIT_QUAL));
			break;
		}
		reason &= 0xffff;
		vm->exits[MIN(reason, VM_EXIT_COUNTERS - 1)]++;
		requeue_vectoring_event();
		if (reason == EXIT_EPT_MISCONFIG) {
			vmx_dump(v);
			vm_crash(vm, "EPT misconfiguration at gpa %#lx", vmread(VMCS_GUEST_PHYS_ADDR));
			break;
		}
		rsp = v->regs.rsp = vmread(VMCS_GUEST_RSP);
		if (reason == EXIT_TASK_SWITCH) {
			/* The processor's own work, left to the VMM (vmx_task.c). */
			vmx_task_switch(v, vmread(VMCS_EXIT_QUAL));
		} else {
			decode(v, reason, &e);
			apply(v, &e, vexit_handle(v, &e));
		}
		if (v->regs.rsp != rsp)
			vmwrite(VMCS_GUEST_RSP, v->regs.rsp);
	}
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
