/* SPDX-License-Identifier: MIT */
/*
 * The CPUID a vCPU is shown and its MSRs (hv/vcpu/cpu_model.c). Hypervisor
 * context, on CPUID/RDMSR/WRMSR exits of the current vCPU.
 */
#ifndef HV_VCPU_CPU_MODEL_H
#define HV_VCPU_CPU_MODEL_H

#include <asm/cpu.h>

struct vcpu;

/* The CPUID of vCPU v: the policy every guest shares, with v's APIC ID,
 * APIC enable and MISC_ENABLE's CPUID limit. */
struct cpuid_regs guest_cpuid(struct vcpu *v, uint32_t leaf, uint32_t subleaf);
/* Emulated MSR access; false: unknown MSR or bad value (the caller injects #GP). */
bool guest_rdmsr(struct vcpu *v, uint32_t msr, uint64_t *val);
bool guest_wrmsr(struct vcpu *v, uint32_t msr, uint64_t val);

#endif /* HV_VCPU_CPU_MODEL_H */
