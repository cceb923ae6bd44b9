/* SPDX-License-Identifier: MIT */
/*
 * The fake host machine of fake_hw.h: clock, CPUID and VMCS for the harnesses
 * that run exit handling, the device models and the VT-x task switch on the
 * host. Single-threaded, as libFuzzer runs a harness.
 */
#include "fake_hw.h"

#include <asm/host_timer.h>
#include <asm/pcpu.h>
#include <stdio.h>
#include <stdlib.h>

uint64_t fz_tsc;
struct pcpu pcpus[PCPU_MAX]; /* this_cpu() of a host build: the first */
unsigned int nr_pcpus = 1;

/* One CPU: the back ends never call it (hv/vcpu/run.c when linked). */
struct vcpu;
__attribute__((weak)) void vcpu_exited_smp(struct vcpu *v)
{
	(void)v;
	abort();
}

/* One CPU: nobody to send an IPI to. */
void host_apic_ipi(uint32_t apic_id, uint32_t icr)
{
	fprintf(stderr, "fake host: IPI %#x to APIC %u with one CPU\n", icr, apic_id);
	abort();
}

/* One CPU: no other to kick, none idle. */
void smp_kick(unsigned int index)
{
	fprintf(stderr, "fake host: kick of CPU %u with one CPU\n", index);
	abort();
}

void smp_kick_idle(void)
{
}

/* Field encodings are below 0x8000 (bit 15 clear, SDM appendix B); the
 * fields written since the last clear are listed, so a clear is cheap. */
static uint64_t vmcs[0x8000];
static bool written[0x8000];
static uint16_t dirty[0x8000];
static unsigned int nr_dirty;

static void store(uint32_t field, uint64_t val)
{
	if (!written[field]) {
		written[field] = true;
		dirty[nr_dirty++] = (uint16_t)field;
	}
	vmcs[field] = val;
}

#define DEFAULT_CPU                                                                        \
	{                                                                                  \
		.leaf0 = { 0x16, 0x756e6547, 0x6c65746e, 0x49656e69 }, /* GenuineIntel */ \
		/* SSE3 PCLMUL SSSE3 CX16 SSE4.1/2 x2APIC MOVBE POPCNT AES RDRAND; FPU   \
		 * VME DE PSE TSC MSR PAE MCE CX8 APIC SEP MTRR PGE MCA CMOV PAT PSE36  \
		 * CLFLUSH MMX FXSR SSE SSE2 */                                          \
		.leaf1 = { 0x00050654, 0x00010800, 0x42f82203, 0x078bfbff },              \
		/* FSGSBASE BMI1 SMEP BMI2 ERMS ADX SMAP CLFLUSHOPT */                      \
		.leaf7 = { 0, 0x009c0389, 0, 0 },                                         \
		.leaf80 = { 0x80000008, 0, 0, 0 },                                        \
		/* LAHF; SYSCALL NX 1G-pages RDTSCP LM */                                  \
		.leaf81 = { 0, 0x00000001, 0, 0x2c100800 },                               \
	}

struct fz_cpu fz_cpu = DEFAULT_CPU;

void fz_cpu_default(void)
{
	fz_cpu = (struct fz_cpu)DEFAULT_CPU;
}

struct cpuid_regs fz_cpuid(uint32_t leaf, uint32_t subleaf)
{
	switch (leaf) {
	case 0:
		return fz_cpu.leaf0;
	case 1:
		return fz_cpu.leaf1;
	case 7:
		return subleaf ? (struct cpuid_regs){ 0, 0, 0, 0 } : fz_cpu.leaf7;
	case 0x80000000:
		return fz_cpu.leaf80;
	case 0x80000001:
		return fz_cpu.leaf81;
	default:
		return (struct cpuid_regs){ 0, 0, 0, 0 };
	}
}

uint64_t fz_vmread(uint32_t field)
{
	if (field >= sizeof(vmcs) / sizeof(vmcs[0])) {
		fprintf(stderr, "VMREAD of field %#x: no such encoding\n", field);
		abort();
	}
	return vmcs[field];
}

void fz_vmwrite(uint32_t field, uint64_t val)
{
	/* Bits 11:10 = 1: read-only data (the exit information fields). */
	if (field >= sizeof(vmcs) / sizeof(vmcs[0]) || ((field >> 10) & 3) == 1) {
		fprintf(stderr, "VMWRITE of field %#x: read-only or no such encoding\n", field);
		abort();
	}
	/* Bits 14:13 give the width: 16-bit, 64-bit, 32-bit, natural. */
	switch ((field >> 13) & 3) {
	case 0:
		val &= 0xffff;
		break;
	case 2:
		val &= 0xffffffff;
		break;
	default:
		break;
	}
	store(field, val);
}

void fz_vmcs_clear(void)
{
	for (unsigned int i = 0; i < nr_dirty; i++) {
		vmcs[dirty[i]] = 0;
		written[dirty[i]] = false;
	}
	nr_dirty = 0;
}

void fz_vmcs_set(uint32_t field, uint64_t val)
{
	if (field >= sizeof(vmcs) / sizeof(vmcs[0]))
		abort();
	store(field, val);
}

/* The barriers between VMs (arch/x86_64/mitigations.c) run instructions
 * and MSR writes of the real CPU: on the fake host machine they are none. */
void mitig_x87_ptrs(void)
{
}

void mitig_vm_switch(void)
{
}
