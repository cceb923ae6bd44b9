/* SPDX-License-Identifier: MIT */
/*
 * The vendor-neutral exit handlers: what CPUID, HLT, hypercalls, port I/O,
 * MSR accesses, RDPMC, MOV CR (vcr.c), INVD/WBINVD, PAUSE, instructions the
 * guest is not offered and guest-physical faults mean, for either back end. Each
 * returns the action the back end carries out, so that "advance RIP only
 * after the instruction was emulated" is a value, decided here once.
 * Hypervisor context, on an exit of the current vCPU, interrupts off.
 */
#include <asm/cpu.h>
#include <hv/vcpu/emulate.h>
#include <asm/guest_cpu.h>
#include <hv/vcpu/cpu_model.h>
#include <hv/vcpu/vcr.h>
#include <asm/vexit.h>
#include <asm/virt.h>
#include <hv/vm/vm.h>

typedef enum vexit_action (*vexit_fn)(struct vcpu *v, struct vexit *e);

static enum vexit_action inject(struct vexit *e, uint8_t vector, bool has_error, uint32_t error)
{
	e->vector = vector;
	e->has_error = has_error;
	e->error = error;
	return VEXIT_INJECT;
}

static enum vexit_action x_nothing(struct vcpu *v, struct vexit *e)
{
	return VEXIT_RESUME; /* interrupts are delivered before the next entry */
}

static enum vexit_action x_cpuid(struct vcpu *v, struct vexit *e)
{
	struct guest_regs *r = &v->regs;
	struct cpuid_regs c = guest_cpuid(v, (uint32_t)r->rax, (uint32_t)r->rcx);

	r->rax = c.eax;
	r->rbx = c.ebx;
	r->rcx = c.ecx;
	r->rdx = c.edx;
	return VEXIT_SKIP; /* Safe: CPUID emulated */
}

/*
 * Is every vCPU of v's VM but v stuck, so that none can ever send v an NMI
 * or a SIPI? Stuck: halted with interrupts disabled and no NMI pending
 * (runnable() wakes it for one), or in wait-for-SIPI and no SIPI come yet.
 * Only another vCPU could end either. A vCPU with an event on its way is
 * not stuck: a guest that sends its halted sibling an NMI and halts with
 * interrupts off at once, to be woken by the sibling's answer, was
 * stopped here on one host CPU, before the sibling could run.
 */
static bool siblings_stuck(const struct vcpu *v)
{
	const struct vm *vm = v->vm;

	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		const struct vcpu *c = &vm->vcpus[i];

		if (c == v)
			continue;
		if (c->lapic.init_received ? c->lapic.sipi_received
					   : !c->halted_nmi_only || lapic_nmi_pending(&c->lapic))
			return false;
	}
	return true;
}

static enum vexit_action x_hlt(struct vcpu *v, struct vexit *e)
{
	if (!(e->rflags & (X86_RFLAGS_IF | X86_RFLAGS_TF))) {
		/* Only an NMI ends it: one pending for it that can go in
		 * (another vCPU's, sent while it ran), one another vCPU sends
		 * later, or none when no vCPU is left to send it. */
		struct vm *vm = v->vm;

		if (!(lapic_nmi_pending(&v->lapic) && virt->nmi_gate(v) != VIRT_NMI_WAIT) &&
		    siblings_stuck(v)) {
			vm_crash(vm, vm->nr_vcpus <= 1 ? "halted with interrupts disabled"
						       : "every vCPU halted with interrupts disabled "
							 "or in wait-for-SIPI");
			return VEXIT_STOP;
		}
		v->halted = v->halted_nmi_only = true;
		return VEXIT_SKIP;
	}
	/* Under TF the single-step #DB after HLT is pending: it is delivered
	 * at once (vexit_handle() marks it), and a pending event ends the halt
	 * as an interrupt would. Otherwise the scheduler wakes the vCPU when an
	 * interrupt is pending. */
	v->halted = !(e->rflags & X86_RFLAGS_TF);
	return VEXIT_SKIP; /* Safe: HLT has no side effect to emulate */
}

static enum vexit_action x_hypercall(struct vcpu *v, struct vexit *e)
{
	bool done = hypercall_handle(v, e->cpl, e->long_mode, e->rip);

	if (v->vm->state == VM_STOPPED)
		return VEXIT_STOP; /* a debug-exit-like stop inside the call */
	/* A long call that did a bounded part of its work: the guest runs the
	 * same instruction again (pending interrupts first) and it goes on. */
	if (!done)
		return VEXIT_AGAIN;
	return VEXIT_SKIP; /* Safe: hypercalls report errors in RAX */
}

static enum vexit_action x_io(struct vcpu *v, struct vexit *e)
{
	unsigned int size = e->io.size;
	bool in = e->io.in;
	uint32_t val = in ? 0 : (uint32_t)v->regs.rax;

	if (e->io.string) {
		vm_crash(v->vm, "string I/O on port %#x is not emulated", e->io.port);
		return VEXIT_STOP;
	}
	if (size != 1 && size != 2 && size != 4) {
		vm_crash(v->vm, "malformed I/O exit (%u bytes, info %#lx)", size, e->info);
		return VEXIT_STOP;
	}
	if (!board_io(v, e->io.port, size, in, &val) && in)
		val = 0xffffffff; /* nothing there: floating bus */
	if (in) {
		uint64_t mask = size == 4 ? 0xffffffffULL : (1ULL << (size * 8)) - 1;

		/* A 32-bit IN zero-extends into RAX; 8/16-bit ones merge. */
		v->regs.rax = size == 4 ? (val & mask) : ((v->regs.rax & ~mask) | (val & mask));
	}
	if (v->vm->state != VM_RUNNING)
		return VEXIT_STOP; /* debug exit, power off, a reset request (stop or restart) */
	return VEXIT_SKIP; /* Safe: port access emulated */
}

static enum vexit_action x_rdmsr(struct vcpu *v, struct vexit *e)
{
	uint32_t msr = (uint32_t)v->regs.rcx;
	uint64_t val;

	if (!guest_rdmsr(v, msr, &val)) {
		v->vm->unknown_msrs++;
		return inject(e, 13, true, 0); /* #GP, as the hardware would */
	}
	v->regs.rax = (uint32_t)val;
	v->regs.rdx = val >> 32;
	return VEXIT_SKIP; /* Safe: RDMSR emulated */
}

static enum vexit_action x_wrmsr(struct vcpu *v, struct vexit *e)
{
	uint32_t msr = (uint32_t)v->regs.rcx;
	uint64_t val = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;

	if (!guest_wrmsr(v, msr, val)) {
		v->vm->unknown_msrs++;
		return inject(e, 13, true, 0);
	}
	return VEXIT_SKIP; /* Safe: WRMSR emulated */
}

/* RDPMC: no performance counters are offered (CPUID leaf 0xa is zero), so
 * every counter index is invalid: #GP, as on hardware. Both back ends
 * intercept it, so a guest never reads the host's or another VM's counters. */
static enum vexit_action x_rdpmc(struct vcpu *v, struct vexit *e)
{
	return inject(e, 13, true, 0);
}

/*
 * #AC and #DB are intercepted only to pass them on. A guest whose #AC
 * handler itself raises #AC (an unaligned stack at CPL 3 with AC on) makes
 * the CPU deliver #AC for ever inside one instruction (the "benign
 * exception" loop, CVE-2015-5307); a data breakpoint on the stack slot that
 * the delivery of #DB writes does the same with #DB (CVE-2015-8104): each
 * delivery raises the next before the handler's first instruction, and
 * debug traps outrank interrupts, NMIs and the VMX preemption timer, so no
 * instruction boundary ever lets the host back in. Intercepted, each
 * delivery is an exit: that guest loops, the host and the other VMs go on.
 * The back end delivers the event as the CPU would have (vmx_exit.c
 * reflect_db(), svm_exit.c).
 */
static enum vexit_action x_reflect(struct vcpu *v, struct vexit *e)
{
	return VEXIT_INJECT; /* the decoder filled in vector and error code */
}

/*
 * Outside guest RAM: a device, or nothing at all (open bus, emulate.c). Only
 * a data access of the instruction at RIP can be emulated, by running that
 * instruction: not an instruction fetch (there is nothing to execute), not
 * the CPU's walk of page tables that lie there, not an IDT, GDT or stack
 * access while an event is delivered. Those stop the VM (hardware would read
 * all ones: an opcode 0xff stream, page-table entries with reserved bits
 * set), as a fetch from unbacked memory stops a KVM or QEMU guest.
 */
static enum vexit_action not_ram(struct vcpu *v, struct vexit *e)
{
	const char *what = e->fault.vectoring ? "event delivery" :
			   e->fault.table ? "page-table walk" : "instruction fetch";

	vm_crash(v->vm, "%s: %s at gpa %#lx (linear %#lx), outside guest RAM (%lu MiB)",
		 virt->fault_name, what, e->fault.gpa, e->fault.gla_valid ? e->fault.gla : 0,
		 v->vm->mem_bytes >> 20);
	return VEXIT_STOP;
}

static enum vexit_action x_gpt_fault(struct vcpu *v, struct vexit *e)
{
	/* Devices live only outside guest RAM (the APIC pages are holes, a
	 * relocated APIC may not cover RAM): the common fault, on RAM, goes
	 * straight to the memory module. Beyond the guest's physical address
	 * width nothing is emulated (vcpu_gpt_fault() stops the VM). */
	if (!vm_is_ram(v->vm, e->fault.gpa, 1) && emulate_mmio_owns(v, e->fault.gpa)) {
		if ((e->fault.access & VEXIT_ACCESS_FETCH) || e->fault.table || e->fault.vectoring)
			return not_ram(v, e);
		return emulate_mmio(v, e, e->fault.gpa);
	}
	vcpu_gpt_fault(v, _gpa(e->fault.gpa), e->fault.gla, e->fault.gla_valid, e->fault.access);
	/* Mapped now, a discard fault queued, or the VM stopped: the faulting
	 * instruction runs again (or the fault handler runs first). */
	return v->vm->state == VM_STOPPED ? VEXIT_STOP : VEXIT_RESUME;
}

static enum vexit_action x_ud(struct vcpu *v, struct vexit *e)
{
	/* CPUID does not offer VMX, SVM, SMX, XSAVE or MONITOR/MWAIT: their
	 * instructions raise #UD, as on a CPU without them (SDM Vol. 2). */
	return inject(e, 6, false, 0);
}

/*
 * INVD and WBINVD. Guest memory is write-back behind EPT/NPT and no device
 * does non-coherent DMA, so there is nothing to write back for the guest;
 * INVD must never reach the hardware (it would drop the host's dirty lines).
 * Both are privileged: #GP(0) outside ring 0 (the CPU checks that before the
 * exit; this is for the record).
 */
static enum vexit_action x_cache_flush(struct vcpu *v, struct vexit *e)
{
	if (e->cpl)
		return inject(e, 13, true, 0);
	return VEXIT_SKIP; /* Safe: nothing to emulate */
}

static enum vexit_action x_pause(struct vcpu *v, struct vexit *e)
{
	return VEXIT_SKIP; /* Safe: PAUSE is a hint */
}

static enum vexit_action x_shutdown(struct vcpu *v, struct vexit *e)
{
	virt->dump(v);
	vm_crash(v->vm, "triple fault");
	return VEXIT_STOP;
}

static enum vexit_action x_unhandled(struct vcpu *v, struct vexit *e)
{
	virt->dump(v);
	vm_crash(v->vm, "unhandled VM exit %u (%s), qualification %#lx", e->reason,
		 virt->exit_name(e->reason), e->info);
	return VEXIT_STOP;
}

static const vexit_fn handlers[VEXIT_KINDS] = {
	[VEXIT_NOTHING] = x_nothing,	   [VEXIT_INTR_WINDOW] = x_nothing,
	[VEXIT_CPUID] = x_cpuid,	   [VEXIT_HLT] = x_hlt,
	[VEXIT_HYPERCALL] = x_hypercall,   [VEXIT_IO] = x_io,
	[VEXIT_RDMSR] = x_rdmsr,	   [VEXIT_WRMSR] = x_wrmsr,
	[VEXIT_GPT_FAULT] = x_gpt_fault,   [VEXIT_UD] = x_ud,
	[VEXIT_SHUTDOWN] = x_shutdown,	   [VEXIT_UNHANDLED] = x_unhandled,
	[VEXIT_RDPMC] = x_rdpmc,	   [VEXIT_CR_WRITE] = vcr_write,
	[VEXIT_CR_READ] = vcr_read,
	[VEXIT_CACHE_FLUSH] = x_cache_flush, [VEXIT_PAUSE] = x_pause,
	[VEXIT_REFLECT] = x_reflect,
};

static const char *const kind_names[VEXIT_KINDS] = {
	[VEXIT_NOTHING] = "nothing",	  [VEXIT_INTR_WINDOW] = "interrupt window",
	[VEXIT_CPUID] = "CPUID",	  [VEXIT_HLT] = "HLT",
	[VEXIT_HYPERCALL] = "hypercall",  [VEXIT_IO] = "I/O",
	[VEXIT_RDMSR] = "RDMSR",	  [VEXIT_WRMSR] = "WRMSR",
	[VEXIT_GPT_FAULT] = "guest-physical fault", [VEXIT_UD] = "#UD",
	[VEXIT_SHUTDOWN] = "shutdown",	  [VEXIT_UNHANDLED] = "unhandled",
	[VEXIT_RDPMC] = "RDPMC",	  [VEXIT_CR_WRITE] = "MOV to CR",
	[VEXIT_CR_READ] = "MOV from CR",
	[VEXIT_CACHE_FLUSH] = "INVD/WBINVD", [VEXIT_PAUSE] = "PAUSE",
	[VEXIT_REFLECT] = "reflected exception",
};

const char *vexit_kind_name(enum vexit_kind k)
{
	return (unsigned int)k < VEXIT_KINDS && kind_names[k] ? kind_names[k] : "?";
}

enum vexit_action vexit_handle(struct vcpu *v, struct vexit *e)
{
	vexit_fn fn = (unsigned int)e->kind < VEXIT_KINDS ? handlers[e->kind] : NULL;
	enum vexit_action act = (fn ? fn : x_unhandled)(v, e);

	/* An INIT IPI to a vCPU that runs (from itself or another): it goes
	 * into wait-for-SIPI, leaving the run loop as a halt would; the SIPI
	 * that runnable() waits for puts it in the INIT state and starts it
	 * (vcpu_run()). When no other vCPU could send that SIPI (with one
	 * vCPU, or every other one stuck too) stop the VM and say why. */
	if (act != VEXIT_STOP && v->lapic.init_received) {
		if (!v->lapic.sipi_received && siblings_stuck(v)) {
			vm_crash(v->vm, v->vm->nr_vcpus == 1
				 ? "INIT IPI: vCPU %u is in wait-for-SIPI, and no other vCPU can send it a SIPI"
				 : "INIT IPI: vCPU %u is in wait-for-SIPI, and every other vCPU waits for an NMI or a SIPI",
				 v->id);
			return VEXIT_STOP;
		}
		v->halted = true;
	}

	/* An instruction emulated under RFLAGS.TF ends with the single-step
	 * trap the hardware would have raised (SDM §17.3.1.4); one that
	 * faults instead does not (the fault comes first, TF is then saved). */
	e->single_step = act == VEXIT_SKIP && (e->rflags & X86_RFLAGS_TF);
	return act;
}
