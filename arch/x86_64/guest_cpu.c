/* SPDX-License-Identifier: MIT */
/*
 * Guest CPUID policy and the guest state the hardware does not switch (see
 * guest_cpu.h). The guest is shown
 * the host CPU minus what Hintvisor does not virtualize (VMX, SVM, SMX, machine
 * check, performance monitoring, XSAVE, MTRRs, thermal and power control),
 * plus x2APIC, TSC-deadline, ARAT, an invariant TSC with its frequency in
 * leaves 0x15 and 0x16 (so Linux needs no PIT to calibrate), and Hintvisor's
 * leaves.
 * Feature bit positions: SDM Vol. 2A, CPUID. For either back end; MSRs the
 * VMCS/VMCB holds are reached through virt->get_msr/set_msr.
 */
#include <asm/cr4.h>
#include <asm/guest_cpu.h>
#include <asm/guest_regs.h>
#include <asm/mitigations.h>
#include <asm/pcpu.h>
#include <asm/tsc.h>
#include <asm/virt.h>
#include <guest-abi/hintvisor.h>
#include <hv/vm/vcpu.h>
#include <stddef.h>
#include <string.h>

/* The entry code (vmx_entry.S, svm_entry.S) uses these offsets. */
_Static_assert(offsetof(struct guest_regs, rax) == GR_RAX, "guest_regs layout");
_Static_assert(offsetof(struct guest_regs, rcx) == GR_RCX, "guest_regs layout");
_Static_assert(offsetof(struct guest_regs, rdx) == GR_RDX, "guest_regs layout");
_Static_assert(offsetof(struct guest_regs, rbx) == GR_RBX, "guest_regs layout");
_Static_assert(offsetof(struct guest_regs, rbp) == GR_RBP, "guest_regs layout");
_Static_assert(offsetof(struct guest_regs, rsi) == GR_RSI, "guest_regs layout");
_Static_assert(offsetof(struct guest_regs, rdi) == GR_RDI, "guest_regs layout");
_Static_assert(offsetof(struct guest_regs, r8) == GR_R8, "guest_regs layout");
_Static_assert(offsetof(struct guest_regs, r9) == GR_R9, "guest_regs layout");
_Static_assert(offsetof(struct guest_regs, r10) == GR_R10, "guest_regs layout");
_Static_assert(offsetof(struct guest_regs, r11) == GR_R11, "guest_regs layout");
_Static_assert(offsetof(struct guest_regs, r12) == GR_R12, "guest_regs layout");
_Static_assert(offsetof(struct guest_regs, r13) == GR_R13, "guest_regs layout");
_Static_assert(offsetof(struct guest_regs, r14) == GR_R14, "guest_regs layout");
_Static_assert(offsetof(struct guest_regs, r15) == GR_R15, "guest_regs layout");

#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SFMASK 0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102

bool guest_rdtscp;

/* Switched with the vCPU, in struct vcpu's syscall_msrs[] order. */
const uint32_t guest_switched_msrs[GUEST_SWITCHED_MSRS] = { MSR_STAR,   MSR_LSTAR,	   MSR_CSTAR,
					  MSR_SFMASK, MSR_KERNEL_GS_BASE, MSR_TSC_AUX };
const uint32_t guest_hw_switched_msrs[GUEST_HW_SWITCHED_MSRS] = { MSR_SYSENTER_CS, MSR_SYSENTER_ESP,
								   MSR_SYSENTER_EIP };

/* Leaf 1 ECX: SSE3 PCLMUL SSSE3 CX16 SSE4.1 SSE4.2 MOVBE POPCNT AES RDRAND (no VEX:
 * AVX, FMA and F16C need XSAVE, which guests do not get). */
#define L1_ECX_KEEP 0x42d82203u
/* Leaf 1 EDX: everything but MCE(7) MTRR(12) MCA(14) DS(21) ACPI(22) TM(29) PBE(31). */
#define L1_EDX_DROP ((1u << 7) | (1u << 12) | (1u << 14) | (1u << 21) | (1u << 22) | (1u << 29) | \
		     (1u << 31))
#define L1_ECX_X2APIC (1u << 21)
#define L1_EDX_APIC (1u << 9)
#define L1_ECX_TSC_DEADLINE (1u << 24)
#define L1_ECX_HYPERVISOR (1u << 31)
/* Leaf 7 EBX: FSGSBASE TSC_ADJUST BMI1 SMEP BMI2 ERMS ADX SMAP CLFLUSHOPT
 * (TSC_ADJUST is emulated, whatever the host has). */
#define L7_EBX_TSC_ADJUST (1u << 1)
#define L7_EBX_KEEP ((1u << 0) | (1u << 3) | (1u << 7) | (1u << 8) | (1u << 9) | (1u << 19) | \
		     (1u << 20) | (1u << 23))
/* Leaf 80000001h ECX: LAHF/SAHF, LZCNT, SSE4A, misaligned SSE, PREFETCHW.
 * Not SVM, SKINIT, MONITORX, XOP/FMA4/LWP/TBM (VEX-like, need XSAVE state),
 * the extended APIC space, OSVW, IBS, the watchdog, core/NB counters or
 * data breakpoint extensions: their MSRs or state are not virtualized. */
#define L81_ECX_KEEP ((1u << 0) | (1u << 5) | (1u << 6) | (1u << 7) | (1u << 8))
/* Leaf 80000001h EDX: AMD mirrors leaf 1 there: drop MCE, MTRR, MCA as in
 * leaf 1, FFXSR (EFER.FFXSR is not writable); RDTSCP only if enabled. */
#define L81_EDX_DROP ((1u << 7) | (1u << 12) | (1u << 14) | (1u << 25))
#define L81_EDX_RDTSCP (1u << 27)

struct cpuid_regs cpuid_policy(uint32_t leaf, uint32_t sub)
{
	struct cpuid_regs c = cpuid(leaf, sub), zero = { 0, 0, 0, 0 };
	uint32_t max_basic = cpuid(0, 0).eax;

	if (leaf >= HV_CPUID_SIGNATURE && leaf < 0x40010000) {
		if (leaf == HV_CPUID_SIGNATURE)
			return (struct cpuid_regs){ HV_CPUID_VERSION, HV_CPUID_SIG_EBX, HV_CPUID_SIG_ECX,
						    HV_CPUID_SIG_EDX };
		if (leaf == HV_CPUID_VERSION)
			return (struct cpuid_regs){ HV_ABI_VERSION, GUEST_HV_FEATURES, 0, 0 };
		return zero;
	}
	if (leaf < 0x80000000 && leaf > MAX(max_basic, 0x16u))
		return zero;
	switch (leaf) {
	case 0:
		c.eax = MAX(c.eax, 0x16u);
		break;
	case 1:
		c.ebx = (c.ebx & 0xffff) | (1u << 16); /* one logical CPU; APIC ID 0 */
		c.ecx = (c.ecx & L1_ECX_KEEP) | L1_ECX_X2APIC | L1_ECX_TSC_DEADLINE | L1_ECX_HYPERVISOR;
		c.edx &= ~L1_EDX_DROP;
		break;
	case 5:  /* MONITOR/MWAIT */
	case 0xa: /* performance monitoring */
	case 0xd: /* XSAVE */
		return zero;
	case 0x16: /* base = max frequency in MHz: the TSC's, so Linux needs no PIT
		    * to calibrate the CPU clock (quick_pit_calibrate() polls port
		    * 0x42 100,000 times when this leaf is zero) */
		return (struct cpuid_regs){ (uint32_t)MIN(tsc_hz / 1000000, 0xffffULL),
					    (uint32_t)MIN(tsc_hz / 1000000, 0xffffULL), 0, 0 };
	case 6:
		return (struct cpuid_regs){ 1u << 2, 0, 0, 0 }; /* ARAT only */
	case 7:
		if (sub != 0)
			return zero;
		return (struct cpuid_regs){ 0, (c.ebx & L7_EBX_KEEP) | L7_EBX_TSC_ADJUST, 0, 0 };
	case 0x15: /* TSC = crystal * EBX / EAX; the crystal here is the TSC itself */
		return (struct cpuid_regs){ 1, 1, (uint32_t)MIN(tsc_hz, 0xffffffffULL), 0 };
	case 0x80000001:
		c.ecx &= L81_ECX_KEEP;
		c.edx &= ~(L81_EDX_DROP | (guest_rdtscp ? 0 : L81_EDX_RDTSCP));
		break;
	case 0x8000000a: /* SVM features */
		return zero;
	case 0x80000007:
		return (struct cpuid_regs){ 0, 0, 0, 1u << 8 }; /* invariant TSC */
	default:
		if (leaf > 0x16 && leaf < 0x80000000)
			return zero;
		break;
	}
	return c;
}

uint64_t guest_phys_limit(void)
{
	static uint64_t limit;

	if (!limit) {
		unsigned int bits = 36; /* SDM Vol. 3A §4.1.4 */

		if (cpuid(0x80000000, 0).eax >= 0x80000008)
			bits = cpuid(0x80000008, 0).eax & 0xff;
		limit = 1ULL << MIN(MAX(bits, 32u), 52u);
	}
	return limit;
}

uint64_t guest_cr4_allowed(void)
{
	struct cpuid_regs l1 = cpuid_policy(1, 0), l7 = cpuid_policy(7, 0);

	return cr4_allowed_by(l1.ecx, l1.edx, l7.ebx, l7.ecx);
}

/* Is switched MSR i moved by guest_cpu_switch()? TSC_AUX only with RDTSCP;
 * the others only when the back end does not switch them itself. */
static bool switched(size_t i, bool syscall_msrs, bool aux)
{
	return guest_switched_msrs[i] == MSR_TSC_AUX ? aux : syscall_msrs;
}


/*
 * CR2 and DR0-DR3/DR6 keep the guest's values across VM exits (the VMCS holds
 * only DR7, SDM §27.3.1) and the host never uses them, so they are switched
 * here with the vCPU, like the syscall MSRs. On SVM the VMCB holds CR2, DR6
 * and DR7 and VMRUN loads them over what is set here, but not DR0-DR3 (APM
 * Vol. 2 §15.5.1): the same switch covers both back ends.
 */
static void save_debug_state(struct vcpu *v)
{
	asm volatile("mov %%cr2, %0" : "=r"(v->cr2));
	asm volatile("mov %%db0, %0" : "=r"(v->dr[0]));
	asm volatile("mov %%db1, %0" : "=r"(v->dr[1]));
	asm volatile("mov %%db2, %0" : "=r"(v->dr[2]));
	asm volatile("mov %%db3, %0" : "=r"(v->dr[3]));
	asm volatile("mov %%db6, %0" : "=r"(v->dr6));
}

static void load_debug_state(const struct vcpu *v)
{
	asm volatile("mov %0, %%cr2" ::"r"(v->cr2));
	asm volatile("mov %0, %%db0" ::"r"(v->dr[0]));
	asm volatile("mov %0, %%db1" ::"r"(v->dr[1]));
	asm volatile("mov %0, %%db2" ::"r"(v->dr[2]));
	asm volatile("mov %0, %%db3" ::"r"(v->dr[3]));
	asm volatile("mov %0, %%db6" ::"r"(v->dr6));
}

void guest_cpu_init(struct vcpu *v)
{
	memset(v->syscall_msrs, 0, sizeof(v->syscall_msrs));
	memset(v->fpu, 0, sizeof(v->fpu));
	v->fpu[0] = 0x7f; /* FCW = 0x037f */
	v->fpu[1] = 0x03;
	memcpy(v->fpu + 24, &(uint32_t){ 0x1f80 }, 4); /* MXCSR */
	v->cr2 = 0;
	memset(v->dr, 0, sizeof(v->dr));
	v->dr6 = 0xffff0ff0; /* reset value (SDM §17.2.3) */
	v->tsc_offset = 0;   /* the back end starts with offset 0 too */
	v->tsc_adjust = 0;
	v->misc_enable = GUEST_MISC_ENABLE_RESET;
	if (this_cpu()->hw_owner == v)
		this_cpu()->hw_owner = NULL;
}

static void save_state(struct vcpu *o, bool syscall_msrs)
{
	for (size_t i = 0; i < GUEST_SWITCHED_MSRS; i++)
		if (switched(i, syscall_msrs, guest_rdtscp))
			o->syscall_msrs[i] = rdmsr(guest_switched_msrs[i]);
	asm volatile("fxsave64 %0" : "=m"(o->fpu));
	save_debug_state(o);
}

void guest_cpu_release(struct vcpu *v, bool syscall_msrs)
{
	struct pcpu *p = this_cpu();

	if (p->hw_owner != v)
		return;
	save_state(v, syscall_msrs);
	p->hw_owner = NULL;
	p->hw_last_vm = v->vm;
}

void guest_cpu_switch(struct vcpu *v, bool syscall_msrs)
{
	struct pcpu *p = this_cpu();
	struct vcpu *hw_owner = p->hw_owner;
	bool aux = guest_rdtscp;

	if (hw_owner == v)
		return;
	if (hw_owner ? hw_owner->vm != v->vm : p->hw_last_vm && p->hw_last_vm != v->vm)
		mitig_vm_switch(); /* IBPB: predictions trained by another VM */
	if (hw_owner) {
		for (size_t i = 0; i < GUEST_SWITCHED_MSRS; i++)
			if (switched(i, syscall_msrs, aux))
				hw_owner->syscall_msrs[i] = rdmsr(guest_switched_msrs[i]);
		asm volatile("fxsave64 %0" : "=m"(hw_owner->fpu));
		save_debug_state(hw_owner);
	}
	load_debug_state(v);
	for (size_t i = 0; i < GUEST_SWITCHED_MSRS; i++)
		if (switched(i, syscall_msrs, aux))
			wrmsr(guest_switched_msrs[i], v->syscall_msrs[i]);
	mitig_x87_ptrs(); /* FXRSTOR may leave the previous FIP/FDP/FOP */
	asm volatile("fxrstor64 %0" ::"m"(v->fpu));
	p->hw_owner = v;
}
