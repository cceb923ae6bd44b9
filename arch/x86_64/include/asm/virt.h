/* SPDX-License-Identifier: MIT */
/*
 * The seam between the vendor-neutral hypervisor and a virtualization back
 * end (VT-x in vmx*.c, AMD SVM in svm*.c): one ops table, chosen at boot
 * from CPUID. The core calls only these; a back end decodes its exits into
 * a struct vexit (asm/vexit.h) and carries out what the neutral handlers
 * decide. Hypervisor context, BSP, interrupts off.
 */
#ifndef ASM_VIRT_H
#define ASM_VIRT_H

#include <asm/gpt.h>
#include <asm/vexit.h>
#include <types.h>

struct vcpu;
struct vcpu_start;
struct vm;

/* When a pending NMI can go in (virt_ops.nmi_gate). */
enum virt_nmi_gate {
	VIRT_NMI_NOW,         /* with this entry */
	VIRT_NMI_IRQ_WINDOW,  /* at the interrupt window (STI blocking alone) */
	VIRT_NMI_WAIT,        /* when NMIs are unblocked / the queued event went in */
};

/* Guest control state a page walk and an instruction emulation need. */
struct guest_paging {
	uint64_t cr0, cr3, efer;
	uint64_t cr4, rflags;
	unsigned int cs_bits;  /* code segment: 16, 32 or 64 (real and VM86 mode: 16) */
	uint64_t seg_base[6];  /* ES CS SS DS FS GS */
};

struct virt_ops {
	const char *name;       /* "VT-x", "AMD SVM" */
	const char *fault_name; /* its guest-physical fault: "EPT violation" */
	/* Check every feature the back end relies on, print what was found,
	 * enable it. 0, or -1 after "<vendor>: missing feature: <name>". */
	int (*init)(void);
	/* Another host CPU (after init() on the boot CPU): enable the back end
	 * on it (VMXON with its own region; EFER.SVME, its host save areas and
	 * timer). 0, or -1 after saying why. */
	int (*cpu_on)(void);
	/* The guest-physical tables of a new VM in this back end's format. */
	int (*gpt_init)(struct gpt *g, pt_alloc_fn alloc, void (*free_fn)(void *), void *ctx);
	/* Create the vCPU's VMCS/VMCB for the start state s. 0 or -ENOMEM. */
	int (*vcpu_init)(struct vcpu *v, const struct vcpu_start *s);
	/* Start a vCPU built in VCPU_MODE_REAL (wait-for-SIPI) at vector * 4096,
	 * as a SIPI does; the vCPU is loaded (vcpu_load). */
	void (*sipi)(struct vcpu *v, uint8_t vector);
	void (*vcpu_destroy)(struct vcpu *v);
	/*
	 * One VM entry and exit, for the run loop (hv/vcpu/run.c), which owns
	 * everything around them: slices, timers, device work, interrupt
	 * delivery, exit counting and the host work per exit.
	 * vcpu_load: v runs next on this CPU (VMPTRLD; the ASID); vcpu_put: its
	 * run is over. enter: arm the exit after ticks TSC ticks, enter the
	 * guest, decode the exit into e, return its counter index (as in
	 * vm->exits), or -1 when the entry failed (the VM was stopped, with
	 * why); an exit the back end dealt with itself, or that stopped the VM,
	 * is VEXIT_NOTHING. apply: carry out what the handler decided.
	 */
	void (*vcpu_load)(struct vcpu *v);
	void (*vcpu_put)(struct vcpu *v);
	int (*enter)(struct vcpu *v, uint64_t ticks, struct vexit *e);
	void (*apply)(struct vcpu *v, const struct vexit *e, enum vexit_action act);
	/* The syscall MSRs (STAR, LSTAR, ...) are switched by software (VT-x);
	 * SVM's VMLOAD/VMSAVE switch them. */
	bool switch_syscall_msrs;
	/*
	 * Event injection, decided by the run loop (vcpu_inject_events()), as
	 * the CPU would: event_queued: an event goes in with the next entry
	 * already; nmi_gate: can an NMI go in now, or which exit to wait for;
	 * irq_allowed: can an external interrupt go in now (IF set, no
	 * interrupt shadow, nothing queued); set_windows: ask for an exit as
	 * soon as an interrupt / an NMI can go in (or stop asking).
	 */
	enum virt_nmi_gate (*nmi_gate)(struct vcpu *v);
	bool (*irq_allowed)(struct vcpu *v);
	void (*inject_nmi)(struct vcpu *v);
	void (*inject_irq)(struct vcpu *v, uint8_t vector);
	void (*set_windows)(struct vcpu *v, bool irq_window, bool nmi_window);
	/* Queue a hardware exception for the next entry. */
	void (*inject_exception)(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error);
	/* Queue the discard fault (vector 20) for the next entry, also behind
	 * an event whose delivery the exit interrupted (as inject_exception);
	 * false when that made a triple fault (the VM is stopped). */
	bool (*inject_discard_fault)(struct vcpu *v);
	/* Flush the guest-physical translations of vm (after unmapping). */
	void (*flush_gpt)(struct vm *vm);
	/* Guest MSRs held in the VMCS/VMCB (EFER, PAT, FS/GS base), as the
	 * guest sees them. set_msr takes an already validated value; for EFER
	 * the back end makes its mode state follow LMA (VT-x: the VM-entry
	 * "IA-32e mode guest" control). */
	uint64_t (*get_msr)(struct vcpu *v, uint32_t msr);
	void (*set_msr)(struct vcpu *v, uint32_t msr, uint64_t val);
	/* Make the guest's TSC (RDTSC, RDTSCP) the host's plus offset; on an
	 * exit of v. */
	void (*set_tsc_offset)(struct vcpu *v, uint64_t offset);
	void (*get_paging)(struct vcpu *v, struct guest_paging *p);
	/* Guest CR0, CR3 or CR4 as the guest reads it (VT-x: owned bits from
	 * the read shadow). */
	uint64_t (*get_cr)(struct vcpu *v, unsigned int cr);
	/* Make val the guest's CR0, CR3 or CR4, already checked (vcr.c); the
	 * back end keeps the bits its hardware forces set underneath. */
	void (*set_cr)(struct vcpu *v, unsigned int cr, uint64_t val);
	/* PAE paging: the four PDPTEs the guest's CR3 names, read and checked
	 * after an emulated MOV to CR0/CR3/CR4 (VT-x loads them from the VMCS
	 * at entry, SDM §26.3.2.4). NULL: the CPU walks them from memory and
	 * nothing is loaded or checked (SVM; the walk sets their A bits). */
	void (*set_pdptes)(struct vcpu *v, const uint64_t pdpte[4]);
	/* Write the guest's RFLAGS (an emulated instruction's arithmetic flags). */
	void (*set_rflags)(struct vcpu *v, uint64_t val);
	/* Write the guest's CR2 (before injecting a #PF the emulation found). */
	void (*set_cr2)(struct vcpu *v, uint64_t val);
	/* Name of an exit counter index ("?" for gaps). */
	const char *(*exit_name)(unsigned int reason);
	/* Dump the vCPU's guest state and registers to the console. */
	void (*dump)(const struct vcpu *v);
};

/*
 * What a back end needs of the layers above it: the guest's memory as its
 * page tables map it, its interrupt controllers, stopping its VM. The vCPU
 * layer registers these at boot (vcpu_layer_init(), hv/vcpu/run.c); a back
 * end calls nothing above arch/ directly.
 */
struct virt_upcalls {
	/* Right after the hardware exit, before anything else, when more than
	 * one host CPU runs (nr_pcpus > 1): the exit's TSC is taken and the
	 * shared state locked again (the guest ran without vm_lock). */
	void (*exited)(struct vcpu *v);
	/* Stop the VM because of what its guest did, with why (vm_crash()). */
	void (*crash)(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
	/* An interrupt (vector) or an NMI queued for the next entry did not
	 * reach the guest: it is pending again (an exception displaced it). */
	void (*event_undone)(struct vcpu *v, bool nmi, uint8_t vector);
	/* The local APIC's task priority (TPR). */
	uint8_t (*tpr)(struct vcpu *v);
	/* An NMI waits for the guest (the local APIC's). */
	bool (*nmi_pending)(struct vcpu *v);
	/* Is the instruction at guest RIP a VMCALL or VMMCALL? */
	bool (*hypercall_insn)(struct vcpu *v, uint64_t rip);
	/* Up to n instruction bytes at guest RIP; how many could be fetched. */
	unsigned int (*fetch)(struct vcpu *v, uint64_t rip, uint8_t *buf, unsigned int n);
	/* Copy between buf and guest-linear va through the guest's page
	 * tables; false: not mapped, or not RAM. */
	bool (*copy)(struct vcpu *v, uint64_t va, void *buf, size_t n, bool write);
	/* Load CR3 as MOV to CR3 does (with PAE paging the PDPTEs, checked);
	 * false: the guest gets #GP, or the VM was stopped. */
	bool (*load_cr3)(struct vcpu *v, uint64_t cr3);
};

extern const struct virt_upcalls *virt_up;
void virt_register_upcalls(const struct virt_upcalls *up);

/* The back end in use (valid after virt_init()). */
extern const struct virt_ops *virt;
extern const struct virt_ops vmx_ops, svm_ops;

/* Choose the back end from CPUID (SVM if the CPU reports it, else VT-x)
 * and initialize it. 0, or -1 after the back end printed why not. */
int virt_init(void);

#endif /* ASM_VIRT_H */
