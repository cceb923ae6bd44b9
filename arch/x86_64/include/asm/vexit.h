/* SPDX-License-Identifier: MIT */
/*
 * A VM exit as the vendor-neutral handlers see it. A back end decodes its
 * own format (VMCS exit reason and qualification, VMCB exit code and
 * EXITINFO) into a struct vexit, calls vexit_handle(), and carries out the
 * action it returns. The handlers never touch a VMCS or VMCB: guest GPRs,
 * including RAX and RSP, are in struct vcpu's regs, everything else the
 * back end put in the record or offers through struct virt_ops.
 */
#ifndef ASM_VEXIT_H
#define ASM_VEXIT_H

#include <asm/x86_event.h>
#include <types.h>

struct vcpu;

enum vexit_kind {
	VEXIT_UNHANDLED,   /* 0: what a zeroed decode table slot means */
	VEXIT_NOTHING,     /* external interrupt, NMI, end of the slice: just resume */
	VEXIT_INTR_WINDOW, /* the guest can take an interrupt now */
	VEXIT_CPUID,
	VEXIT_HLT,
	VEXIT_HYPERCALL,   /* VMCALL or VMMCALL */
	VEXIT_IO,
	VEXIT_RDMSR,       /* MSR number in RCX */
	VEXIT_WRMSR,
	VEXIT_GPT_FAULT,   /* EPT violation / nested page fault */
	VEXIT_UD,          /* an instruction CPUID does not offer (VMX, SVM, SMX, XSAVE,
			      MONITOR/MWAIT): #UD */
	VEXIT_SHUTDOWN,    /* triple fault */
	VEXIT_RDPMC,       /* no counters are offered: #GP */
	VEXIT_CR_WRITE,    /* MOV to CRn: cr.n, the value in cr.val */
	VEXIT_CR_READ,     /* MOV from CRn: cr.n, the destination in cr.gpr */
	VEXIT_REFLECT,     /* a guest exception intercepted only to be delivered by
			      the host (#AC): vector, has_error, error are set */
	VEXIT_CACHE_FLUSH, /* INVD, WBINVD: privileged, nothing to do with EPT/NPT */
	VEXIT_PAUSE,       /* PAUSE (spin-loop hint) */
	VEXIT_KINDS
};

/* What the back end does after the handler (Xen's "update RIP only if emulated"). */
enum vexit_action {
	VEXIT_RESUME, /* enter the guest as it is */
	VEXIT_AGAIN,  /* enter at the same instruction, which did a part of its work
			 (a long hypercall) and goes on when executed again: as between
			 the iterations of a REP string instruction, blocking by STI /
			 MOV SS ends, so that pending interrupts come first; no
			 single-step trap */
	VEXIT_SKIP,   /* advance RIP by insn_len, end STI/MOV SS blocking, then the
			 single-step #DB if single_step, enter */
	VEXIT_INJECT, /* deliver exception vector (error code if has_error), enter */
	VEXIT_STOP,   /* the VM was stopped (vm_crash, debug exit): do not enter */
};

/* Access bits of a guest-physical fault, as in the #VE information area. */
#define VEXIT_ACCESS_READ 1u
#define VEXIT_ACCESS_WRITE 2u
#define VEXIT_ACCESS_FETCH 4u

struct vexit {
	enum vexit_kind kind;
	unsigned int reason;   /* back end's exit counter index (virt->exit_name) */
	uint64_t info;         /* raw vendor qualification, for messages */
	uint64_t rip, rflags;  /* rflags: filled for every exit */
	unsigned int cpl;
	bool long_mode;        /* 64-bit mode (hypercalls: else 32-bit registers) */
	unsigned int insn_len; /* length of the exiting instruction; a handler that
				  emulates another one (MMIO) sets it */
	union {
		struct {
			uint16_t port;
			uint8_t size; /* 1, 2 or 4 (anything else is malformed) */
			bool in, string;
		} io;
		struct {
			uint64_t gpa, gla;
			bool gla_valid;
			uint32_t access; /* VEXIT_ACCESS_* */
			bool table;      /* the CPU's walk of the guest's own page
					    tables (or a PDPTE load), not the access
					    the translation was for */
			bool vectoring;  /* during the delivery of an event (IDT,
					    GDT, stack), not by the instruction */
		} fault;
		struct {
			unsigned int n;   /* 0, 3, 4 or 8 */
			unsigned int gpr; /* MOV from CR: register number (emulate.h) */
			uint64_t val;     /* MOV to CR: the operand (32 bits outside
					     64-bit mode) */
		} cr;
	};
	/* Out, for VEXIT_INJECT. */
	uint8_t vector;
	bool has_error;
	uint32_t error;
	/* Out, for VEXIT_SKIP: RFLAGS.TF was set, so the emulated instruction
	 * ends with a single-step trap (SDM §17.3.1.4): the back end delivers
	 * #DB with DR6.BS after advancing RIP, before any interrupt. */
	bool single_step;
};

/*
 * Decide what an exit means and do the neutral part of it (registers,
 * devices, memory). Returns the action; VEXIT_STOP only when the VM is
 * stopped. May not be called with a VM that is already stopped.
 */
enum vexit_action vexit_handle(struct vcpu *v, struct vexit *e);


/* Name of a neutral exit kind (for messages and tests). */
const char *vexit_kind_name(enum vexit_kind k);

#endif /* ASM_VEXIT_H */
