/* SPDX-License-Identifier: MIT */
/*
 * Forced include of every fuzzed file (fuzz.mk: -include): the instructions
 * the hypervisor runs on its host CPU that a user-space harness must not
 * (VMREAD, VMWRITE) or should not (RDTSC, CPUID: the host's answers would make
 * runs differ between machines and between runs) become calls into a machine
 * the harness controls (fake_hw.c): a clock it advances, a CPU it picks, a
 * VMCS held in an array. The real inline wrappers are read first, so the
 * macros below replace only their uses.
 */
#ifndef FUZZ_FAKE_HW_H
#define FUZZ_FAKE_HW_H

#include <asm/cpu.h>
#include <asm/tsc.h>
#include <asm/vmx.h>

/* The host TSC as the fuzzed code reads it (RDTSC): set by the harness. */
extern uint64_t fz_tsc;

/* CPUID of the fake host CPU: leaves 0, 1, 7.0, 0x80000000 and 0x80000001
 * from fz_cpu (initially the default below), every other leaf zero. */
struct fz_cpu {
	struct cpuid_regs leaf0, leaf1, leaf7, leaf80, leaf81;
};
extern struct fz_cpu fz_cpu;
/* A CPU of the Skylake kind: what Bochs's corei7_skylake_x shows (no VMX). */
void fz_cpu_default(void);
struct cpuid_regs fz_cpuid(uint32_t leaf, uint32_t subleaf);

/* The current VMCS: fields by encoding (SDM Vol. 3D appendix B). */
uint64_t fz_vmread(uint32_t field);
/* Aborts on a write to a read-only field (VM-exit information), which
 * VMWRITE refuses on hardware. */
void fz_vmwrite(uint32_t field, uint64_t val);
/* All fields 0. */
void fz_vmcs_clear(void);
/* Set any field, read-only ones too: what the processor does on an exit. */
void fz_vmcs_set(uint32_t field, uint64_t val);

#define rdtsc() fz_tsc
#define rdtsc_now() fz_tsc
#define cpuid(leaf, subleaf) fz_cpuid(leaf, subleaf)
#define vmread(field) fz_vmread(field)
#define vmwrite(field, val) fz_vmwrite(field, val)

#endif /* FUZZ_FAKE_HW_H */
