/* SPDX-License-Identifier: MIT */
/*
 * What a vCPU shows of the CPU beyond the policy every vCPU shares
 * (cpuid_policy(), asm/guest_cpu.h): its APIC ID, APIC enable and
 * IA32_MISC_ENABLE's CPUID limit; and the MSR emulation, either back end
 * (MSRs the VMCS/VMCB holds through virt->get_msr/set_msr, the local APIC's
 * through lapic.c). Hypervisor context, on CPUID/RDMSR/WRMSR exits of the
 * current vCPU.
 */
#include <asm/guest_cpu.h>
#include <asm/virt.h>
#include <hv/vcpu/cpu_model.h>
#include <hv/vcpu/vcr.h>
#include <hv/vm/vm.h>

#define MSR_TSC 0x10
#define MSR_TSC_ADJUST 0x3b
#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176
#define MSR_PLATFORM_ID 0x17
#define MSR_BIOS_SIGN 0x8b
#define MSR_MTRRCAP 0xfe
#define MSR_MISC_ENABLE 0x1a0
/*
 * IA32_MISC_ENABLE (SDM Vol. 4 Table 2-2, the architectural bits), modelled
 * as KVM does. R/W, kept and read back: fast strings (0), automatic thermal
 * control (3), EIST (16), MONITOR FSM (18), limit CPUID maxval (22), xTPR
 * message disable (23), XD bit disable (34). Only LIMIT_CPUID acts here (CPUID
 * leaf 0 reports 2); the others change nothing, as under KVM: the host's own
 * MISC_ENABLE is what the CPU obeys, there is no thermal or power control to
 * give, MONITOR/MWAIT stay hidden and NX stays offered. Read-only:
 * performance monitoring available (7) reads 0, as no PMU is offered, and a
 * write of it is ignored; BTS and PEBS unavailable (11, 12) read 1 and a write
 * that would change them raises #GP (KVM's rule). Every other bit is reserved:
 * #GP, as on hardware. Reset value: fast strings, BTS and PEBS unavailable
 * (what QEMU/KVM guests see).
 */
#define MISC_FAST_STRINGS (1ULL << 0)
#define MISC_PERF_AVAIL (1ULL << 7)
#define MISC_BTS_UNAVAIL (1ULL << 11)
#define MISC_PEBS_UNAVAIL (1ULL << 12)
#define MISC_LIMIT_CPUID (1ULL << 22)
#define MISC_WRITABLE (MISC_FAST_STRINGS | (1ULL << 3) | (1ULL << 16) | (1ULL << 18) | \
		       MISC_LIMIT_CPUID | (1ULL << 23) | (1ULL << 34))
#define MISC_FIXED (MISC_BTS_UNAVAIL | MISC_PEBS_UNAVAIL) /* #GP if changed */
#define MISC_DEFINED (MISC_WRITABLE | MISC_PERF_AVAIL | MISC_FIXED)
#define L1_EDX_APIC (1u << 9)

struct cpuid_regs guest_cpuid(struct vcpu *v, uint32_t leaf, uint32_t sub)
{
	struct cpuid_regs c = cpuid_policy(leaf, sub);
	/* The topology: the VM's vCPUs are the cores of one package, APIC
	 * IDs 0 to n - 1 (the MADT's), whatever host CPU runs them. */
	uint32_t n = MAX(v->vm->nr_vcpus, 1u), id_bits = 0;

	while ((1u << id_bits) < n)
		id_bits++;

	switch (leaf) {
	case 0:
		/* IA32_MISC_ENABLE.LIMIT_CPUID caps the maximum basic leaf at 2. */
		if (v->misc_enable & MISC_LIMIT_CPUID)
			c.eax = 2;
		break;
	case 1:
		c.ebx = (c.ebx & 0xffff) | n << 16 | v->id << 24; /* logical CPUs, initial APIC ID */
		if (!lapic_enabled(&v->lapic))
			c.edx &= ~L1_EDX_APIC; /* follows IA32_APIC_BASE.EN (SDM §11.4.3) */
		break;
	case 4: /* cores per package, in each cache level's leaf */
		if (c.eax & 0x1f)
			c.eax = (c.eax & 0x03ffffff) | (n - 1) << 26;
		break;
	case 0xb: /* x2APIC topology: one thread per core, every vCPU a core of one package */
	case 0x1f:
		if (sub == 0)
			return (struct cpuid_regs){ 0, 1, 0 | 1u << 8, v->id };
		if (sub == 1)
			return (struct cpuid_regs){ id_bits, n, 1 | 2u << 8, v->id };
		return (struct cpuid_regs){ 0, 0, sub, v->id };
	case 0x80000008: /* AMD: cores per package and the APIC ID bits that number them */
		c.ecx = (c.ecx & ~0xf0ffu) | id_bits << 12 | (n - 1);
		break;
	default:
		break;
	}
	return c;
}

bool guest_rdmsr(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	switch (msr) {
	case MSR_IA32_EFER:
	case MSR_IA32_PAT:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
		*val = virt->get_msr(v, msr);
		return true;
	case MSR_TSC:
		*val = rdtsc() + v->tsc_offset; /* what RDTSC returns */
		return true;
	case MSR_TSC_ADJUST:
		*val = v->tsc_adjust;
		return true;
	case MSR_PLATFORM_ID:
	case MSR_BIOS_SIGN:
	case MSR_MTRRCAP:
		*val = 0;
		return true;
	case MSR_IA32_FEATURE_CONTROL:
		*val = FEATURE_CONTROL_LOCKED; /* VMX locked off */
		return true;
	case MSR_MISC_ENABLE:
		*val = v->misc_enable;
		return true;
	case MSR_IA32_TSC_DEADLINE:
		if (!lapic_msr_read(v, msr, val))
			return false;
		if (*val)
			*val += v->tsc_offset; /* the APIC keeps host TSC values */
		return true;
	default:
		return lapic_msr_read(v, msr, val);
	}
}


static bool canonical(uint64_t a)
{
	return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

bool guest_wrmsr(struct vcpu *v, uint32_t msr, uint64_t val)
{
	switch (msr) {
	case MSR_IA32_EFER:
		return vcr_set_efer(v, val); /* LME, and the mode switches: vcr.c */
	case MSR_IA32_PAT:
		for (int i = 0; i < 8; i++) {
			uint8_t t = (uint8_t)(val >> (8 * i));

			if (t > 7 || t == 2 || t == 3)
				return false;
		}
		virt->set_msr(v, msr, val);
		return true;
	case MSR_FS_BASE:
	case MSR_GS_BASE:
		if (!canonical(val))
			return false;
		virt->set_msr(v, msr, val);
		return true;
	case MSR_BIOS_SIGN:
		return true; /* ignored */
	case MSR_MISC_ENABLE:
		if ((val & ~MISC_DEFINED) || ((val ^ v->misc_enable) & MISC_FIXED))
			return false;
		v->misc_enable = (v->misc_enable & ~MISC_WRITABLE) | (val & MISC_WRITABLE);
		return true;
	case MSR_TSC:
		guest_tsc_write(v, rdtsc(), val);
		virt->set_tsc_offset(v, v->tsc_offset);
		return true;
	case MSR_TSC_ADJUST:
		guest_tsc_adjust_write(v, val);
		virt->set_tsc_offset(v, v->tsc_offset);
		return true;
	case MSR_IA32_TSC_DEADLINE:
		if (v->tsc_offset)
			val = guest_tsc_deadline_to_host(v, rdtsc(), val);
		return lapic_msr_write(v, msr, val);
	default:
		return lapic_msr_write(v, msr, val);
	}
}
