/* SPDX-License-Identifier: MIT */
/*
 * Per-vCPU state of the virtualization back end: VT-x (VMCS) or AMD SVM
 * (VMCB). Only the back end that owns the vCPU touches its half; the rest of
 * the hypervisor treats struct vcpu_arch as opaque.
 */
#ifndef ASM_VCPU_ARCH_H
#define ASM_VCPU_ARCH_H

#include <types.h>

struct vmx_vcpu {
	void *vmcs;       /* 4 KiB VMCS region */
	bool launched;    /* VMLAUNCH done; next entry is VMRESUME */
	uint16_t vpid;
	bool intr_window; /* interrupt-window exiting is on */
	bool nmi_window;  /* NMI-window exiting is on */
	bool task_switch;     /* the last exit was a task switch, for vmx_apply() */
	unsigned int cpu;     /* the CPU it was last loaded on, + 1 (0: none yet) */
	uint64_t exit_rsp;    /* guest RSP at the last exit */
};

struct svm_vcpu {
	void *vmcb;       /* 4 KiB VMCB: control area, then the state save area */
	uint32_t asid;
	bool vintr;       /* a virtual interrupt is requested (interrupt window) */
	bool nmi_masked;  /* an injected NMI's handler runs (until its IRET retires) */
	bool nmi_iret;    /* its IRET exited at iret_rip (IRET intercept) */
	uint64_t iret_rip;
	bool nmi_step;    /* that IRET runs under our TF: its #DB is ours */
	bool step_guest_tf; /* the guest's own TF at that IRET */
	uint64_t step_dr6;  /* DR6 before it */
	unsigned int cpu;   /* the CPU it last ran on, + 1 (0: none yet) */
};

struct vcpu_arch {
	union {
		struct vmx_vcpu vmx;
		struct svm_vcpu svm;
	};
};

#endif /* ASM_VCPU_ARCH_H */
