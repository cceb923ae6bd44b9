/* SPDX-License-Identifier: MIT */
/*
 * What a guest sees of the CPU: the CPUID it is shown and the MSRs it may
 * use, for either back end. Hypervisor context, on CPUID/RDMSR/WRMSR exits of
 * the current vCPU.
 */
#ifndef ASM_GUEST_CPU_H
#define ASM_GUEST_CPU_H

#include <asm/cpu.h>
#include <hv/vm/vcpu.h>

/*
 * CR4 bits a guest may ever set: those whose state is either in the
 * VMCS/VMCB or switched by guest_cpu_switch(). vcr_cr4_allowed() narrows
 * them further to the features the guest's CPUID shows. Never allowed,
 * because the state behind them is not switched: PCE (RDPMC at CPL 3; no
 * counters are offered), OSXSAVE (XCR0 and XSAVE state), PKE (PKRU), CET,
 * and what CPUID always hides (UMIP, PCIDE, LA57, VMXE, SMXE, ...).
 */
#define GUEST_CR4_ALLOWED                                                              \
	(X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | X86_CR4_DE | X86_CR4_PSE | X86_CR4_PAE | \
	 X86_CR4_MCE | X86_CR4_PGE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT | X86_CR4_FSGSBASE | \
	 X86_CR4_SMEP | X86_CR4_SMAP)

/* The filtered CPUID of a guest. */
struct cpuid_regs guest_cpuid(struct vcpu *v, uint32_t leaf, uint32_t subleaf);
/* 2^MAXPHYADDR as the guest's CPUID 8000_0008h shows it (36 bits without
 * that leaf): no guest-physical access reaches above it. */
uint64_t guest_phys_limit(void);
/* Emulated MSR access; false: unknown MSR or bad value (the caller injects #GP). */
bool guest_rdmsr(struct vcpu *v, uint32_t msr, uint64_t *val);
bool guest_wrmsr(struct vcpu *v, uint32_t msr, uint64_t val);
/* The TSC arithmetic of guest_wrmsr() (pure, for the unit tests): IA32_TSC
 * written with val at host TSC host_now; IA32_TSC_ADJUST written with val
 * (both update v->tsc_offset and v->tsc_adjust, not the back end); a guest
 * TSC-deadline value in host TSC terms (0 stays 0, a past one is due now). */
void guest_tsc_write(struct vcpu *v, uint64_t host_now, uint64_t val);
void guest_tsc_adjust_write(struct vcpu *v, uint64_t val);
uint64_t guest_tsc_deadline_to_host(const struct vcpu *v, uint64_t host_now, uint64_t val);
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
/* Initial FPU image and MSRs for a new vCPU. */
void guest_cpu_init(struct vcpu *v);

#endif /* ASM_GUEST_CPU_H */
