/* SPDX-License-Identifier: MIT */
/*
 * What a guest sees of the CPU: the CPUID it is shown and the MSRs it may
 * use, for either back end. Hypervisor context, on CPUID/RDMSR/WRMSR exits of
 * the current vCPU.
 */
#ifndef ASM_GUEST_CPU_H
#define ASM_GUEST_CPU_H

#include <asm/cpu.h>
#include <hv/vcpu.h>

/* The filtered CPUID of a guest. */
struct cpuid_regs guest_cpuid(struct vcpu *v, uint32_t leaf, uint32_t subleaf);
/* Emulated MSR access; false: unknown MSR or bad value (the caller injects #GP). */
bool guest_rdmsr(struct vcpu *v, uint32_t msr, uint64_t *val);
bool guest_wrmsr(struct vcpu *v, uint32_t msr, uint64_t val);
/* The MSRs a guest may access without an exit, in struct vcpu's
 * syscall_msrs[] order: STAR LSTAR CSTAR SFMASK KERNEL_GS_BASE TSC_AUX. The
 * back ends build their MSR bitmaps from it. */
#define GUEST_SWITCHED_MSRS 6
#define MSR_TSC_AUX 0xc0000103
extern const uint32_t guest_switched_msrs[GUEST_SWITCHED_MSRS];
/* The guest may use RDTSCP (set by the back end's init); TSC_AUX is then
 * switched and passed through. */
extern bool guest_rdtscp;
/* Make v's state the hardware's that the VMCS/VMCB does not switch: FPU/SSE,
 * TSC_AUX, and with syscall_msrs the other switched MSRs (VT-x; SVM moves
 * those with VMLOAD/VMSAVE). */
void guest_cpu_switch(struct vcpu *v, bool syscall_msrs);
/* Initial FPU image and MSRs for a new vCPU. */
void guest_cpu_init(struct vcpu *v);

#endif /* ASM_GUEST_CPU_H */
