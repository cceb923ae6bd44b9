/* SPDX-License-Identifier: MIT */
/*
 * The vCPU run loop and the VM-exit dispatch table, indexed by the basic exit
 * reason (SDM Vol. 3D appendix C) and bounds checked; empty slots go to one
 * path that dumps the VMCS and stops that VM. VMX root, interrupts off.
 */
#include <asm/cpu.h>
#include <asm/guest_cpu.h>
#include <asm/mmio.h>
#include <asm/vmx.h>
#include <asm/vmx_cpu.h>
#include <hv/console.h>
#include <hv/hint.h>
#include <hv/mem.h>
#include <hv/vm.h>

typedef void (*exit_handler_t)(struct vcpu *v, uint64_t qual);

int vmx_enter(struct guest_regs *regs, int launched);

/* Advance RIP past the instruction that exited. Only after it was fully
 * emulated: never on a path that injects a fault instead. */
static void skip_instruction(void)
{
	vmwrite(VMCS_GUEST_RIP, vmread(VMCS_GUEST_RIP) + vmread(VMCS_EXIT_INSTR_LEN));
	/* Blocking by STI / MOV SS ends with the instruction (SDM §25.4.2). */
	vmwrite(VMCS_GUEST_INTERRUPTIBILITY, vmread(VMCS_GUEST_INTERRUPTIBILITY) & ~3ULL);
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

static void exit_unhandled(struct vcpu *v, uint64_t qual)
{
	unsigned int reason = (unsigned int)vmread(VMCS_EXIT_REASON) & 0xffff;

	vmx_dump(v);
	vm_crash(v->vm, "unhandled VM exit %u (%s), qualification %#lx", reason,
		 vmx_exit_name(reason), qual);
}

static void exit_nmi_or_exception(struct vcpu *v, uint64_t qual)
{
	uint32_t info = (uint32_t)vmread(VMCS_EXIT_INTR_INFO);

	/* NMIs belong to the host; we have no NMI sources of our own. */
	if ((info & (7u << 8)) == INTR_TYPE_NMI)
		return;
	exit_unhandled(v, qual);
}

static void exit_nothing(struct vcpu *v, uint64_t qual)
{
	/* External interrupt (acknowledged on exit) or end of time slice. */
}

static void exit_triple_fault(struct vcpu *v, uint64_t qual)
{
	vmx_dump(v);
	vm_crash(v->vm, "triple fault");
}

static void exit_ud(struct vcpu *v, uint64_t qual)
{
	/* VMX instructions: the guest sees CR4.VMXE = 0, so they raise #UD. */
	vmx_inject_exception(v, 6, false, 0);
}

static void exit_cpuid(struct vcpu *v, uint64_t qual)
{
	struct guest_regs *r = &v->regs;
	struct cpuid_regs c = guest_cpuid(v, (uint32_t)r->rax, (uint32_t)r->rcx);

	r->rax = c.eax;
	r->rbx = c.ebx;
	r->rcx = c.ecx;
	r->rdx = c.edx;
	skip_instruction(); /* Safe: CPUID emulated */
}

static void exit_hlt(struct vcpu *v, uint64_t qual)
{
	skip_instruction(); /* Safe: HLT has no side effect to emulate */
	if (!(vmread(VMCS_GUEST_RFLAGS) & X86_RFLAGS_IF)) {
		vm_crash(v->vm, "halted with interrupts disabled");
		return;
	}
	v->halted = true; /* the scheduler wakes it when an interrupt is pending */
}

/* 64-bit mode: IA-32e active and CS.L set (SDM Vol. 3A §5.2.1). */
static bool guest_long_mode(void)
{
	return (vmread(VMCS_GUEST_IA32_EFER) & X86_EFER_LMA) &&
	       (vmread(VMCS_SEG(VMCS_GUEST_ES_AR, SEG_CS)) & (1u << 13));
}

static void exit_vmcall(struct vcpu *v, uint64_t qual)
{
	v->regs.rax = hv_hypercall(v, guest_cpl(), guest_long_mode());
	skip_instruction(); /* Safe: hypercalls report errors in RAX */
}

static void exit_io(struct vcpu *v, uint64_t qual)
{
	unsigned int size = IOQ_SIZE(qual);
	bool in = qual & IOQ_IN;
	uint32_t val = in ? 0 : (uint32_t)v->regs.rax;

	if (qual & IOQ_STRING) {
		vm_crash(v->vm, "string I/O on port %#x is not emulated", IOQ_PORT(qual));
		return;
	}
	if (size == 3 || size > 4) {
		vm_crash(v->vm, "malformed I/O exit qualification %#lx", qual);
		return;
	}
	if (v->vm->state == VM_STOPPED)
		return;
	if (!hv_io(v, IOQ_PORT(qual), size, in, &val) && in)
		val = 0xffffffff; /* nothing there: floating bus */
	if (in) {
		uint64_t mask = size == 4 ? 0xffffffffULL : (1ULL << (size * 8)) - 1;

		/* A 32-bit IN zero-extends into RAX; 8/16-bit ones merge. */
		v->regs.rax = size == 4 ? (val & mask) : ((v->regs.rax & ~mask) | (val & mask));
	}
	skip_instruction(); /* Safe: port access emulated */
}

/* RDPMC: no performance counters are offered (CPUID leaf 0xa is zero), so
 * every counter index is invalid: #GP, as on hardware. */
static void exit_rdpmc(struct vcpu *v, uint64_t qual)
{
	vmx_inject_exception(v, 13, true, 0);
}

static void exit_rdmsr(struct vcpu *v, uint64_t qual)
{
	uint32_t msr = (uint32_t)v->regs.rcx;
	uint64_t val;

	if (!guest_rdmsr(v, msr, &val)) {
		v->vm->unknown_msrs++;
		vmx_inject_exception(v, 13, true, 0); /* #GP, as the hardware would */
		return;
	}
	v->regs.rax = (uint32_t)val;
	v->regs.rdx = val >> 32;
	skip_instruction(); /* Safe: RDMSR emulated */
}

static void exit_wrmsr(struct vcpu *v, uint64_t qual)
{
	uint32_t msr = (uint32_t)v->regs.rcx;
	uint64_t val = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;

	if (!guest_wrmsr(v, msr, val)) {
		v->vm->unknown_msrs++;
		vmx_inject_exception(v, 13, true, 0);
		return;
	}
	skip_instruction(); /* Safe: WRMSR emulated */
}

/* Guest register by its instruction-encoding number (RSP lives in the VMCS). */
static uint64_t *gpr(struct vcpu *v, unsigned int n, uint64_t *rsp)
{
	struct guest_regs *r = &v->regs;
	uint64_t *const map[16] = { &r->rax, &r->rcx, &r->rdx, &r->rbx, rsp,	&r->rbp,
				    &r->rsi, &r->rdi, &r->r8,  &r->r9,	&r->r10, &r->r11,
				    &r->r12, &r->r13, &r->r14, &r->r15 };

	return map[n & 15];
}

/* Guest-linear to guest-physical through the guest's own page tables
 * (64-bit or paging off). false if not mapped. */
static bool guest_walk(struct vcpu *v, uint64_t va, uint64_t *pa)
{
	uint64_t table = vmread(VMCS_GUEST_CR3) & PT_ADDR_MASK;

	if (!(vmread(VMCS_GUEST_CR0) & X86_CR0_PG)) {
		*pa = va;
		return true;
	}
	if (!(vmread(VMCS_GUEST_IA32_EFER) & X86_EFER_LMA))
		return false; /* 32-bit paging: not needed by any guest we run */
	for (int level = 4; level >= 1; level--) {
		uint64_t *e = hint_gpa_ptr(v->vm, _gpa(table + 8 * pt_index(va, level)), 8, false);
		uint64_t ent;

		if (!e || !((ent = *e) & 1))
			return false;
		if (level == 1 || (level <= 3 && (ent & PT_LARGE))) {
			uint64_t size = pt_level_size(level);

			*pa = (ent & PT_ADDR_MASK & ~(size - 1)) | (va & (size - 1));
			return true;
		}
		table = ent & PT_ADDR_MASK;
	}
	return false;
}

/* The guest touched the xAPIC page: decode the MOV at RIP and do it. */
static void emulate_apic_mmio(struct vcpu *v, uint64_t gpa)
{
	uint64_t rip = vmread(VMCS_GUEST_RIP), rsp = vmread(VMCS_GUEST_RSP), val, *reg;
	uint8_t insn[15];
	struct mmio_insn d;
	unsigned int n = 0;

	for (; n < sizeof(insn); n++) {
		uint64_t pa;
		uint8_t *b;

		if (!guest_walk(v, rip + n, &pa) || !(b = hint_gpa_ptr(v->vm, _gpa(pa), 1, false)))
			break;
		insn[n] = *b;
	}
	if (mmio_decode(insn, n, &d)) {
		char hex[3 * 4 + 1] = "";

		/* Only the bytes that could be fetched: the rest of insn[] is junk. */
		for (unsigned int k = 0; k < MIN(n, 4u); k++) {
			static const char digits[] = "0123456789abcdef";

			hex[3 * k] = ' ';
			hex[3 * k + 1] = digits[insn[k] >> 4];
			hex[3 * k + 2] = digits[insn[k] & 15];
			hex[3 * k + 3] = 0;
		}
		vm_crash(v->vm, "APIC access at gpa %#lx by an instruction not emulated (%u bytes "
			 "fetched:%s)", gpa, n, n ? hex : " none");
		return;
	}
	reg = gpr(v, d.reg, &rsp);
	val = d.has_imm ? d.imm : *reg;
	if (!lapic_mmio(v, gpa, d.size, d.write, &val)) {
		vm_crash(v->vm, "malformed APIC access at gpa %#lx (%u bytes)", gpa, d.size);
		return;
	}
	if (!d.write)
		*reg = d.size == 4 ? (uint32_t)val : val; /* 32-bit loads zero-extend */
	vmwrite(VMCS_GUEST_RSP, rsp);
	vmwrite(VMCS_GUEST_RIP, rip + d.len); /* Safe: access emulated */
	vmwrite(VMCS_GUEST_INTERRUPTIBILITY, vmread(VMCS_GUEST_INTERRUPTIBILITY) & ~3ULL);
}

/*
 * MOV to CR4 that sets a bit of ~GUEST_CR4_ALLOWED (the only CR access that
 * exits: CR0 and the other CR4 bits are the guest's, CR3 does not exit with
 * EPT). Qualification: SDM Table 28-3.
 */
static void exit_cr_access(struct vcpu *v, uint64_t qual)
{
	unsigned int cr = qual & 15, type = (qual >> 4) & 3;
	uint64_t rsp = vmread(VMCS_GUEST_RSP), val;

	if (cr != 4 || type != 0) {
		exit_unhandled(v, qual);
		return;
	}
	val = *gpr(v, (unsigned int)(qual >> 8) & 15, &rsp);
	if (val & ~GUEST_CR4_ALLOWED) {
		vmx_inject_exception(v, 13, true, 0); /* reserved for this guest: #GP(0) */
		return;
	}
	/* Not reached while every owned bit's shadow is 0; kept correct anyway. */
	vmwrite(VMCS_GUEST_CR4, (val | vmx_caps.cr4_fixed0) & vmx_caps.cr4_fixed1);
	vmwrite(VMCS_CR4_SHADOW, val);
	skip_instruction(); /* Safe: MOV to CR4 emulated */
}

static void exit_ept_violation(struct vcpu *v, uint64_t qual)
{
	uint64_t gpa = vmread(VMCS_GUEST_PHYS_ADDR);

	if (lapic_mmio_owns(&v->lapic, gpa)) {
		emulate_apic_mmio(v, gpa);
		return;
	}
	hv_ept_fault(v, _gpa(gpa), vmread(VMCS_GUEST_LINEAR_ADDR),
		     qual & EPTQ_GLA_VALID, (uint32_t)(qual & (EPTQ_READ | EPTQ_WRITE | EPTQ_FETCH)));
}

static void exit_ept_misconfig(struct vcpu *v, uint64_t qual)
{
	vmx_dump(v);
	vm_crash(v->vm, "EPT misconfiguration at gpa %#lx", vmread(VMCS_GUEST_PHYS_ADDR));
}

static void exit_entry_failed(struct vcpu *v, uint64_t qual)
{
	vmx_dump(v);
	vm_crash(v->vm, "VM entry failed: invalid guest state (qualification %lu)", qual);
}

static const exit_handler_t exit_handlers[EXIT_REASON_MAX] = {
	[EXIT_EXCEPTION_NMI] = exit_nmi_or_exception,
	[EXIT_EXT_INTR] = exit_nothing,
	[EXIT_INTR_WINDOW] = exit_nothing,
	[EXIT_TRIPLE_FAULT] = exit_triple_fault,
	[EXIT_CPUID] = exit_cpuid,
	[EXIT_HLT] = exit_hlt,
	[EXIT_VMCALL] = exit_vmcall,
	[EXIT_VMCLEAR] = exit_ud,
	[EXIT_VMLAUNCH] = exit_ud,
	[EXIT_VMPTRLD] = exit_ud,
	[EXIT_VMPTRST] = exit_ud,
	[EXIT_VMREAD] = exit_ud,
	[EXIT_VMRESUME] = exit_ud,
	[EXIT_VMWRITE] = exit_ud,
	[EXIT_VMXOFF] = exit_ud,
	[EXIT_VMXON] = exit_ud,
	[EXIT_INVEPT] = exit_ud,
	[EXIT_INVVPID] = exit_ud,
	[EXIT_VMFUNC] = exit_ud,
	[EXIT_IO] = exit_io,
	[EXIT_RDPMC] = exit_rdpmc,
	[EXIT_CR_ACCESS] = exit_cr_access,
	[EXIT_RDMSR] = exit_rdmsr,
	[EXIT_WRMSR] = exit_wrmsr,
	[EXIT_INVALID_STATE] = exit_entry_failed,
	[EXIT_MSR_LOADING] = exit_entry_failed,
	[EXIT_EPT_VIOLATION] = exit_ept_violation,
	[EXIT_EPT_MISCONFIG] = exit_ept_misconfig,
	[EXIT_PREEMPT_TIMER] = exit_nothing,
};

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
	int vec = vcpu_irq_pending(v, &from_pic); /* no VMCS access when idle */

	if (vec >= 0 && !(vmread(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID)) {
		if ((vmread(VMCS_GUEST_RFLAGS) & X86_RFLAGS_IF) &&
		    !(vmread(VMCS_GUEST_INTERRUPTIBILITY) & 3)) {
			vmwrite(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_EXT_INTR | (uint32_t)vec);
			vcpu_irq_ack(v, vec, from_pic);
		} else {
			window = true;
		}
	}
	if (window != v->intr_window) {
		uint32_t proc = (uint32_t)vmread(VMCS_PROC_CTLS);

		vmwrite(VMCS_PROC_CTLS, window ? proc | PROC_INTR_WINDOW : proc & ~PROC_INTR_WINDOW);
		v->intr_window = window;
	}
}

void vmx_vcpu_run(struct vcpu *v, uint64_t slice)
{
	struct vm *vm = v->vm;
	uint64_t start = rdtsc(), deadline = start + slice;

	if (!vmptrld(virt_to_hpa(v->vmcs)))
		panic("vmx: VMPTRLD failed for VM %s", vm->name);
	guest_cpu_switch(v);
	while (vm->state == VM_RUNNING && !v->halted) {
		uint64_t now = rdtsc(), t0, until;
		unsigned int reason;
		uint64_t qual;
		int rc;

		if (now >= deadline)
			break;
		hv_before_entry(v);
		if (vm->state != VM_RUNNING)
			break;
		lapic_tick(&v->lapic, now);
		deliver_interrupts(v);
		until = MIN(deadline, MAX(lapic_next_event(&v->lapic), now));
		vmwrite(VMCS_PREEMPTION_TIMER, MIN((until - now) >> vmx_caps.timer_rate, 0xffffffffULL));
		t0 = now;
		rc = vmx_enter(&v->regs, v->launched);
		vm->tsc_run += rdtsc() - t0;
		if (rc) {
			vmx_dump(v);
			vm_crash(vm, "VM%s failed: VM-instruction error %lu",
				 v->launched ? "RESUME" : "LAUNCH", rc == 2 ? vmread(VMCS_INSTR_ERROR) : 0);
			break;
		}
		/* A successful entry cleared the valid bit of the injected event. */
		v->launched = true;
		reason = (unsigned int)vmread(VMCS_EXIT_REASON);
		qual = vmread(VMCS_EXIT_QUAL);
		if (reason & EXIT_REASON_ENTRY_FAIL) {
			reason &= 0xffff;
			vm->exits[MIN(reason, VM_EXIT_COUNTERS - 1)]++;
			exit_entry_failed(v, qual);
			break;
		}
		reason &= 0xffff;
		vm->exits[MIN(reason, VM_EXIT_COUNTERS - 1)]++;
		requeue_vectoring_event();
		if (reason < EXIT_REASON_MAX && exit_handlers[reason])
			exit_handlers[reason](v, qual);
		else
			exit_unhandled(v, qual);
	}
}

void vmx_flush_ept(const struct ept *ept)
{
	if (!invept(vmx_caps.invept_type, ept_pointer(ept)))
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
