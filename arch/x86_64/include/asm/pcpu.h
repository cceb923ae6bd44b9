/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU state of the host: everything that exists once per host CPU, in
 * one struct pcpu, reached through this_cpu(). The GS base of each CPU
 * points at its own struct (cpu_init_tables(); the VMCS host-state area and
 * SVM's VMSAVE of the host state give it back after every exit), whose
 * first word points at itself, so this_cpu() is one load. The IDT is shared:
 * it is written once at boot and only read afterwards. Host context.
 */
#ifndef ASM_PCPU_H
#define ASM_PCPU_H

#include <types.h>

#define PCPU_MAX 32
#define PCPU_IST_STACK 8192

struct vcpu;
struct vm;

struct __attribute__((packed)) tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
};

struct pcpu {
	struct pcpu *self;    /* %gs:0 (this_cpu()) */
	unsigned int index;   /* 0: the boot CPU */
	uint32_t apic_id;
	bool online, failed;  /* started (smp.c), or the back end failed on it */
	uint64_t gdt[5] __attribute__((aligned(16))); /* null, code, data, TSS (2) */
	struct tss64 tss __attribute__((aligned(16)));
	/* #DF, NMI and #MC run on their own stack (IST1). */
	uint8_t ist_stack[PCPU_IST_STACK] __attribute__((aligned(16)));
	/* The virtualization back end's per-CPU areas: the VMXON region
	 * (VT-x), or the host save area VMRUN uses and the page VMSAVE /
	 * VMLOAD keep the host's own FS, GS, TR and syscall MSRs in (SVM). */
	void *vmxon_region;
	void *svm_hsave, *svm_host_save;
	/* Whose guest state the CPU holds: the vCPU running (or last run)
	 * here, whose MSRs, FPU, CR2 and debug registers are loaded
	 * (guest_cpu_switch()), and whose translations the shared ASIDs may
	 * hold (SVM with fewer ASIDs than VMs). */
	struct vcpu *current;
	struct vcpu *hw_owner;
	const struct vm *hw_last_vm; /* whose vCPU last left its state here (guest_cpu_release()) */
	const struct vcpu *asid_owner;
	/* The host's local APIC timer (host_timer.c). */
	volatile uint32_t *apic_mmio; /* xAPIC registers, NULL in x2APIC mode */
	uint64_t apic_per_tsc;        /* APIC ticks per TSC tick, 32.32 fixed point */
	uint64_t timer_irqs;
	/*
	 * Translation shootdowns (hv/vm/vm.c vm_flush_gpt()): flush_vms has a
	 * bit per VM whose guest-physical translations this CPU must drop
	 * before it runs a guest again; flush_req counts the requests another
	 * CPU waits on, flush_done those handled; in_guest is set from right
	 * before the last check until after the exit, so that a requester
	 * either is seen or kicks (HOST_KICK_VECTOR, counted in kicks).
	 */
	uint64_t flush_vms;
	uint64_t flush_req, flush_done;
	bool in_guest;
	bool idle;            /* halted in the scheduler: kick to wake (smp_kick_idle()) */
	uint64_t kicks;
	uint64_t slices;      /* vCPU slices run here (the scheduler's) */
	uint64_t exit_tsc;    /* TSC of the last exit (several CPUs) */
};

extern struct pcpu pcpus[PCPU_MAX];
extern unsigned int nr_pcpus;

#if __STDC_HOSTED__ == 0
static inline struct pcpu *this_cpu(void)
{
	struct pcpu *p;

	asm("mov %%gs:0, %0" : "=r"(p));
	return p;
}
#else
/* Host-built tests and fuzzers: one CPU, no GS base of ours. */
static inline struct pcpu *this_cpu(void)
{
	return &pcpus[0];
}
#endif

#endif /* ASM_PCPU_H */
