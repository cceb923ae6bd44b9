/* SPDX-License-Identifier: MIT */
/*
 * What every guest is shown of the CPU (the CPUID policy, the CR4 bits it may
 * set) and the guest state the hardware does not switch (FPU, debug
 * registers, syscall MSRs), for either back end. The per-vCPU CPUID and the
 * MSR emulation are the vCPU layer's (hv/vcpu/cpu_model.h). Host context.
 */
#ifndef ASM_GUEST_CPU_H
#define ASM_GUEST_CPU_H

#include <asm/cpu.h>
#include <asm/cr4.h>
#include <types.h>

struct vcpu;



/* The CPUID every guest is shown: the host's, filtered (the per-vCPU
 * fields, APIC ID and the like, are the vCPU layer's: guest_cpuid()). */
struct cpuid_regs cpuid_policy(uint32_t leaf, uint32_t subleaf);
/* The CR4 bits a guest may set: GUEST_CR4_ALLOWED narrowed to the features
 * cpuid_policy() shows. */
uint64_t guest_cr4_allowed(void);
/* 2^MAXPHYADDR as the guest's CPUID 8000_0008h shows it (36 bits without
 * that leaf): no guest-physical access reaches above it. */
uint64_t guest_phys_limit(void);
/* IA32_MISC_ENABLE at reset: fast strings, BTS and PEBS unavailable. */
#define GUEST_MISC_ENABLE_RESET ((1ULL << 0) | (1ULL << 11) | (1ULL << 12))
/* The TSC arithmetic of guest_wrmsr() (pure, for the unit tests): IA32_TSC
 * written with val at host TSC host_now; IA32_TSC_ADJUST written with val
 * (both update v->tsc_offset and v->tsc_adjust, not the back end); a guest
 * TSC-deadline value in host TSC terms (0 stays 0, a past one is due now). */
void guest_tsc_write(struct vcpu *v, uint64_t host_now, uint64_t val);
void guest_tsc_adjust_write(struct vcpu *v, uint64_t val);
uint64_t guest_tsc_deadline_to_host(const struct vcpu *v, uint64_t host_now, uint64_t val);
/* The Hintvisor features offered: CPUID 0x40000001 EBX and HV_HC_GET_FEATURES. */
#define GUEST_HV_FEATURES                                                              \
	(HV_FEAT_PAGE_STATES | HV_FEAT_STATE_TABLE | HV_FEAT_DISCARD_FAULT | HV_FEAT_STATS | \
	 HV_FEAT_RESET)

/* The MSRs a guest may access without an exit, in struct vcpu's
 * syscall_msrs[] order: STAR LSTAR CSTAR SFMASK KERNEL_GS_BASE TSC_AUX. The
 * back ends build their MSR bitmaps from it. */
#define GUEST_SWITCHED_MSRS 6
#define MSR_TSC_AUX 0xc0000103
extern const uint32_t guest_switched_msrs[GUEST_SWITCHED_MSRS];
/* MSRs a guest may access without an exit because the VMCS guest-state
 * area (SDM §25.4.1) or VMLOAD/VMSAVE (APM §15.5.2) switch them:
 * SYSENTER_CS, SYSENTER_ESP, SYSENTER_EIP. */
#define GUEST_HW_SWITCHED_MSRS 3
extern const uint32_t guest_hw_switched_msrs[GUEST_HW_SWITCHED_MSRS];
/* The guest may use RDTSCP (set by the back end's init); TSC_AUX is then
 * switched and passed through. */
extern bool guest_rdtscp;
/* Make v's state the hardware's that the VMCS/VMCB does not switch: FPU/SSE,
 * CR2, DR0-DR3, DR6, TSC_AUX, and with syscall_msrs the other switched MSRs
 * (VT-x; SVM moves those with VMLOAD/VMSAVE). */
void guest_cpu_switch(struct vcpu *v, bool syscall_msrs);
/* The end of v's run on this CPU when it may run on another next: its
 * state saved into struct vcpu, the CPU no longer holds it. */
void guest_cpu_release(struct vcpu *v, bool syscall_msrs);
/* Initial FPU image and MSRs for a new vCPU. */
void guest_cpu_init(struct vcpu *v);

#endif /* ASM_GUEST_CPU_H */
