/* SPDX-License-Identifier: MIT */
/*
 * What a guest sees of the CPU: the CPUID it is shown and the MSRs it may
 * use. VMX root, on CPUID/RDMSR/WRMSR exits of the current vCPU (its VMCS
 * loaded).
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
/* Set up the MSR bitmap page: everything exits but the MSRs that are
 * switched with the vCPU (see guest_cpu_switch()). */
void guest_msr_bitmap_init(uint8_t *bitmap);
/* Make v's non-VMCS state (syscall MSRs, FPU/SSE) the hardware's. */
void guest_cpu_switch(struct vcpu *v);
/* Initial FPU image and MSRs for a new vCPU. */
void guest_cpu_init(struct vcpu *v);

#endif /* ASM_GUEST_CPU_H */
