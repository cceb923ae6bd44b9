/* SPDX-License-Identifier: MIT */
/*
 * VT-x bring-up and the vCPU run loop: the functions behind vmx_ops
 * (asm/virt.h), shared by the vmx*.c files only. VMX root, BSP, interrupts off.
 */
#ifndef ASM_VMX_CPU_H
#define ASM_VMX_CPU_H

#include <asm/vexit.h>
#include <asm/virt.h>
#include <hv/vm/vcpu.h>

struct vmx_caps {
	uint32_t revision;
	uint32_t pin, proc, proc2, exit, entry; /* controls we run with */
	uint64_t ept_vpid;                      /* IA32_VMX_EPT_VPID_CAP */
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	unsigned int timer_rate;                /* preemption timer = TSC >> rate */
	bool ept_ad;                            /* EPT accessed/dirty flags */
	bool vpid;
	unsigned long invept_type;              /* INVEPT_SINGLE or INVEPT_ALL */
};

extern struct vmx_caps vmx_caps;

/* CR0 bits VMX operation forces to 1 in a guest (NE); unrestricted guest
 * lifts the PE/PG requirement (SDM §26.3.1.1). */
static inline uint64_t vmx_cr0_fixed0(void)
{
	return vmx_caps.cr0_fixed0 & ~(X86_CR0_PE | X86_CR0_PG);
}

/* CR0 bits the guest/host mask owns: the forced ones (the guest reads back
 * what it wrote from the shadow), the ones VMX forces to 0, and PG, whose
 * changes switch EFER.LMA and the "IA-32e mode guest" entry control. */
static inline uint64_t vmx_cr0_owned(void)
{
	return vmx_cr0_fixed0() | (~vmx_caps.cr0_fixed1 & 0xffffffffULL) | X86_CR0_PG;
}

/*
 * Check every VMX feature Hintvisor relies on, print what was found, enable
 * VMX (IA32_FEATURE_CONTROL, CR4.VMXE, VMXON). Returns 0, or -1 after
 * printing "vmx: missing feature: <name>" for the first missing one.
 */
int vmx_init(void);

/* Create the VMCS of a vCPU that starts in the state s describes.
 * 0 or -ENOMEM. */
int vmx_vcpu_init(struct vcpu *v, const struct vcpu_start *s);
void vmx_sipi(struct vcpu *v, uint8_t vector);
void vmx_vcpu_destroy(struct vcpu *v);

/* Run the vCPU until its VM stops or the time slice (in TSC ticks) ends. */
/* The back end's part of the run loop (vmx_exit.c; asm/virt.h). */
/* The host-state area of the current VMCS for this CPU. */
void vmx_host_state(void);
void vmx_vcpu_load(struct vcpu *v);
void vmx_vcpu_put(struct vcpu *v);
int vmx_enter_guest(struct vcpu *v, uint64_t ticks, struct vexit *e);
void vmx_apply(struct vcpu *v, const struct vexit *e, enum vexit_action act);
enum virt_nmi_gate vmx_nmi_gate(struct vcpu *v);
bool vmx_irq_allowed(struct vcpu *v);
void vmx_inject_nmi(struct vcpu *v);
void vmx_inject_irq(struct vcpu *v, uint8_t vector);
void vmx_set_windows(struct vcpu *v, bool irq_window, bool nmi_window);

/* Flush all guest-physical mappings of vm's EPT (after unmapping). */
void vmx_flush_ept(struct vm *vm);

/* Dump VMCS guest state and registers of the current vCPU to the console. */
void vmx_dump(const struct vcpu *v);

/* Queue a hardware exception for the next VM entry. */
void vmx_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error);

/* Inject the discard fault (#VE, vector 20) for the next entry. false when
 * another event is already being delivered (the caller stops the VM). */
bool vmx_inject_discard_fault(struct vcpu *v);
/* A task switch exit (vmx_task.c): carried out, or a fault injected, or the
 * VM stopped (false). */
bool vmx_task_switch(struct vcpu *v, uint64_t qual);

/* Names of the exit reasons, for the stats block ("?" for gaps). */
const char *vmx_exit_name(unsigned int reason);

#endif /* ASM_VMX_CPU_H */
