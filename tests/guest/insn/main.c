/* SPDX-License-Identifier: MIT */
/*
 * insn: every instruction a guest may execute that the hypervisor sees
 * (or must keep from the hardware) does what the SDM says for the CPU that
 * CPUID shows: INVD/WBINVD/PAUSE/INVLPG complete, XSETBV/XGETBV, MONITOR/
 * MWAIT, GETSEC and INVPCID raise #UD when CPUID hides them, so do the
 * SVM instructions (VMRUN, VMLOAD, VMSAVE, CLGI, STGI, INVLPGA, SKINIT);
 * RDTSCP and RDRAND work when shown, MOV DR round trips and a DR0 execute breakpoint
 * hits once; MSRs: SYSENTER_CS/ESP/EIP kept per VM across VM switches,
 * IA32_TSC writes move RDTSC (and TSC_ADJUST), MISC_ENABLE as on hardware.
 * Run as two VMs from the same image, so that VM switches happen.
 */
#include "hvtest.h"

const char test_title[] = "insn: instructions and start-up MSRs as the SDM gives them";

#define NO_FAULT 99
#define GAP_TICKS 200000 /* longer than any exit: another VM ran */
#define MAX_SPINS 200000000ULL

#define MSR_TSC 0x10
#define MSR_TSC_ADJUST 0x3b
#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176
#define MSR_MISC_ENABLE 0x1a0
#define MSR_TSC_AUX 0xc0000103

/* Run one instruction that may fault (lib.c fixes RIP up past it): the
 * vector it raised, or NO_FAULT. */
#define TRY(insn, ...)                                                           \
	({                                                                       \
		last_fault_vector = NO_FAULT;                                    \
		asm volatile("1: " insn "\n2:\n"                                 \
			     ".pushsection .ex_table, \"a\"\n.quad 1b, 2b\n.popsection" \
			     __VA_ARGS__);                                       \
		(unsigned int)last_fault_vector;                                 \
	})

static unsigned int rdmsr_safe(uint32_t msr, uint64_t *val)
{
	uint32_t lo = 0, hi = 0;
	unsigned int f = TRY("rdmsr", : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");

	*val = (uint64_t)hi << 32 | lo;
	return f;
}

static unsigned int wrmsr_safe(uint32_t msr, uint64_t val)
{
	return TRY("wrmsr", : : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
		   : "memory");
}

static uint64_t rdmsr_or_fail(uint32_t msr)
{
	uint64_t v;

	if (rdmsr_safe(msr, &v) != NO_FAULT)
		test_fail("RDMSR %#x faulted (vector %lu)", msr, last_fault_vector);
	return v;
}

static void cpuid2(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	asm volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static void expect_ud(const char *what, unsigned int f)
{
	if (f != 6)
		test_fail("%s: %s (expected #UD: CPUID does not offer it)", what,
			  f == NO_FAULT ? "executed" : "another fault");
}

static void caches_and_hints(void)
{
	static volatile uint64_t word;
	unsigned int f;

	/* INVD must not lose what was written (it never reaches the hardware). */
	word = 0x1234567890abcdefULL;
	f = TRY("invd", : : : "memory");
	EXPECT_EQ(f, NO_FAULT);
	EXPECT_EQ(word, 0x1234567890abcdefULL);
	word = 0xfedcba0987654321ULL;
	f = TRY("wbinvd", : : : "memory");
	EXPECT_EQ(f, NO_FAULT);
	EXPECT_EQ(word, 0xfedcba0987654321ULL);
	f = TRY("pause", : : : "memory");
	EXPECT_EQ(f, NO_FAULT);
	f = TRY("invlpg (%0)", : : "r"(&word) : "memory");
	EXPECT_EQ(f, NO_FAULT);
	EXPECT_EQ(word, 0xfedcba0987654321ULL);
}

static void hidden_features(void)
{
	uint32_t r[4], lo, hi;
	static uint64_t desc[2] __attribute__((aligned(16)));
	static volatile uint64_t line;

	cpuid2(1, 0, r);
	EXPECT_EQ(r[2] & (1u << 26), 0); /* XSAVE */
	EXPECT_EQ(r[2] & (1u << 27), 0); /* OSXSAVE */
	EXPECT_EQ(r[2] & (1u << 3), 0);  /* MONITOR */
	EXPECT_EQ(r[2] & (1u << 6), 0);  /* SMX */
	EXPECT_EQ(r[2] & (1u << 5), 0);  /* VMX */
	expect_ud("XSETBV", TRY("xsetbv", : : "c"(0), "a"(1), "d"(0) : "memory"));
	expect_ud("XGETBV", TRY("xgetbv", : "=a"(lo), "=d"(hi) : "c"(0) : "memory"));
	expect_ud("MONITOR", TRY("monitor", : : "a"(&line), "c"(0), "d"(0) : "memory"));
	expect_ud("MWAIT", TRY("mwait", : : "a"(0), "c"(0) : "memory"));
	expect_ud("GETSEC", TRY("getsec", : : "a"(0) : "memory"));
	cpuid2(7, 0, r);
	EXPECT_EQ(r[1] & (1u << 10), 0); /* INVPCID */
	desc[0] = desc[1] = 0;
	expect_ud("INVPCID", TRY("invpcid (%0), %1", : : "r"(desc), "r"(2UL) : "memory"));
	cpuid2(0x80000001, 0, r);
	EXPECT_EQ(r[2] & (1u << 2), 0);  /* SVM */
	EXPECT_EQ(r[2] & (1u << 29), 0); /* MONITORX */
	gprintf("hidden instructions raise #UD: XSETBV XGETBV MONITOR MWAIT GETSEC INVPCID\n");
}

/*
 * The SVM instructions but VMMCALL (a hypercall): #UD, as on a CPU without
 * SVM (CPUID hides it). On an Intel CPU they are #UD anyway; on SVM the
 * guest runs with EFER.SVME set (VMRUN requires it), so each one executes
 * unless the hypervisor intercepts it: INVLPGA with ASID 0 would flush a
 * host translation. RAX points at a page of our own in case one runs.
 */
static void svm_instructions(void)
{
	static uint8_t page[4096] __attribute__((aligned(4096)));
	uint64_t pa = (uint64_t)page;

	expect_ud("VMRUN", TRY("vmrun", : : "a"(pa) : "memory"));
	expect_ud("VMLOAD", TRY("vmload", : : "a"(pa) : "memory"));
	expect_ud("VMSAVE", TRY("vmsave", : : "a"(pa) : "memory"));
	expect_ud("CLGI", TRY("clgi", : : : "memory"));
	expect_ud("STGI", TRY("stgi", : : : "memory"));
	expect_ud("INVLPGA", TRY("invlpga %%rax, %%ecx", : : "a"(pa), "c"(0) : "memory"));
	expect_ud("SKINIT", TRY("skinit", : : "a"(pa) : "memory"));
	gprintf("SVM instructions raise #UD: VMRUN VMLOAD VMSAVE CLGI STGI INVLPGA SKINIT\n");
}

static void shown_features(void)
{
	uint32_t r[4], lo, hi, aux;
	uint64_t v = 0;
	unsigned int f;
	uint8_t ok = 0;

	cpuid2(0x80000001, 0, r);
	if (r[3] & (1u << 27)) {
		EXPECT_EQ(wrmsr_safe(MSR_TSC_AUX, 0x5a5a), NO_FAULT);
		f = TRY("rdtscp", : "=a"(lo), "=d"(hi), "=c"(aux) : : "memory");
		EXPECT_EQ(f, NO_FAULT);
		if (f == NO_FAULT)
			EXPECT_EQ(aux, 0x5a5a);
		gprintf("RDTSCP: shown, TSC_AUX %#x\n", aux);
	} else {
		expect_ud("RDTSCP", TRY("rdtscp", : "=a"(lo), "=d"(hi), "=c"(aux) : : "memory"));
		gprintf("RDTSCP: not shown, #UD\n");
	}
	cpuid2(1, 0, r);
	if (r[2] & (1u << 30)) {
		for (int i = 0; i < 100 && !ok; i++)
			asm volatile("rdrand %0; setc %b1" : "=r"(v), "=q"(ok));
		EXPECT(ok);
	}
}

static void debug_registers(void)
{
	uint64_t v, dr6;
	unsigned int f;

	/* Round trips (DR7 lives in the VMCS/VMCB, the others are switched). */
	asm volatile("mov %0, %%db0" ::"r"(0x1000UL));
	asm volatile("mov %0, %%db3" ::"r"(0x7ff000UL));
	asm volatile("mov %0, %%db7" ::"r"(0x400UL | (1UL << 6)) : "memory"); /* G3, exec */
	asm volatile("mov %%db7, %0" : "=r"(v));
	EXPECT_EQ(v, 0x400UL | (1UL << 6));
	asm volatile("mov %%db3, %0" : "=r"(v));
	EXPECT_EQ(v, 0x7ff000UL);
	/* An execute breakpoint on a NOP: one #DB, a fault at that RIP, DR6.B0. */
	asm volatile("mov %0, %%db6" ::"r"(0xffff0ff0UL));
	asm volatile("leaq 1f(%%rip), %%rax\n\t"
		     "mov %%rax, %%db0\n\t"
		     "mov %1, %%db7\n\t"
		     "movq $0, %[f]\n\t"
		     "1: nop\n\t"
		     "2:\n\t"
		     ".pushsection .ex_table, \"a\"\n.quad 1b, 2b\n.popsection"
		     : [f] "=m"(last_fault_vector)
		     : "r"(0x401UL)
		     : "rax", "memory");
	f = (unsigned int)last_fault_vector;
	asm volatile("mov %0, %%db7" ::"r"(0x400UL) : "memory");
	asm volatile("mov %%db6, %0" : "=r"(dr6));
	if (f != 1)
		test_fail("DR0 execute breakpoint: vector %u, expected #DB (1)", f);
	EXPECT_EQ(dr6 & 0xf, 1);
}

/* SYSENTER MSRs: kept per VM while other VMs run. */
static void sysenter_msrs(uint64_t tag)
{
	uint64_t spins = 0, cs = 0x10 + (tag & 0xff0), esp = 0xffff800000000000ULL | tag,
		 eip = 0xffffffff80000000ULL | (tag >> 4);
	unsigned int switches = 0;

	EXPECT_EQ(wrmsr_safe(MSR_SYSENTER_CS, cs), NO_FAULT);
	EXPECT_EQ(wrmsr_safe(MSR_SYSENTER_ESP, esp), NO_FAULT);
	EXPECT_EQ(wrmsr_safe(MSR_SYSENTER_EIP, eip), NO_FAULT);
	while (switches < 4 && spins++ < MAX_SPINS) {
		uint64_t t0 = rdtsc();

		for (volatile int d = 0; d < 200; d++)
			;
		if (rdtsc() - t0 < GAP_TICKS)
			continue;
		switches++;
		EXPECT_EQ(rdmsr_or_fail(MSR_SYSENTER_CS), cs);
		EXPECT_EQ(rdmsr_or_fail(MSR_SYSENTER_ESP), esp);
		EXPECT_EQ(rdmsr_or_fail(MSR_SYSENTER_EIP), eip);
	}
	if (switches < 4)
		test_fail("only %u VM switches seen", switches);
	gprintf("SYSENTER_CS/ESP/EIP kept across %u VM switches\n", switches);
}

static void tsc_writes(void)
{
	const uint64_t target = 1ULL << 44; /* far above what the host's TSC reads here */
	uint64_t t0, t1, adj, t2, t3;
	uint32_t r[4];

	cpuid2(7, 0, r);
	if (!(r[1] & (1u << 1)))
		test_fail("CPUID does not show TSC_ADJUST");
	EXPECT_EQ(rdmsr_or_fail(MSR_TSC_ADJUST), 0);
	t0 = rdtsc();
	EXPECT_EQ(wrmsr_safe(MSR_TSC, target), NO_FAULT);
	t1 = rdtsc();
	/* RDTSC continues from the value written. */
	if (t1 < target || t1 - target > (1ULL << 36))
		test_fail("RDTSC %#lx after writing IA32_TSC = %#lx (before: %#lx)", t1, target, t0);
	EXPECT(rdmsr_or_fail(MSR_TSC) >= t1);
	/* TSC_ADJUST holds what the write added: at most target - t0. */
	adj = rdmsr_or_fail(MSR_TSC_ADJUST);
	if (adj > target - t0 || adj < target - t0 - (1ULL << 36))
		test_fail("TSC_ADJUST %#lx after the write (target - before = %#lx)", adj, target - t0);
	/* Writing TSC_ADJUST = 0 takes the TSC back by that much. */
	EXPECT_EQ(wrmsr_safe(MSR_TSC_ADJUST, 0), NO_FAULT);
	t2 = rdtsc();
	if (t2 >= target || t2 < t0)
		test_fail("RDTSC %#lx after TSC_ADJUST = 0 (before the writes: %#lx)", t2, t0);
	t3 = rdtsc();
	EXPECT(t3 >= t2);
	gprintf("IA32_TSC := %#lx: RDTSC %#lx; TSC_ADJUST %#lx; TSC_ADJUST := 0: RDTSC %#lx\n",
		target, t1, adj, t2);
}

/*
 * IA32_MISC_ENABLE as the SDM's architectural table (Vol. 4 Table 2-2) and
 * KVM give it: reset value fast strings + BTS/PEBS unavailable; the R/W bits
 * (fast strings, automatic thermal control, EIST, MONITOR FSM, limit CPUID
 * maxval, xTPR disable, XD disable) read back what was written; bit 7
 * (performance monitoring available) is read-only, 0 without a PMU; a change
 * of BTS/PEBS unavailable and every reserved bit raise #GP. The value
 * kvm-unit-tests' msr test writes reads back.
 */
#define MISC_RW ((1ULL << 0) | (1ULL << 3) | (1ULL << 16) | (1ULL << 18) | (1ULL << 22) | \
		 (1ULL << 23) | (1ULL << 34))
#define MISC_RESET 0x1801ULL

static void misc_enable(void)
{
	uint64_t v = rdmsr_or_fail(MSR_MISC_ENABLE), w;
	uint32_t r[4];

	EXPECT_EQ(v, MISC_RESET); /* fast strings; BTS, PEBS unavailable; no PMU */
	/* Every R/W bit sticks; LIMIT_CPUID_MAXVAL limits leaf 0 to 2. */
	EXPECT_EQ(wrmsr_safe(MSR_MISC_ENABLE, v | MISC_RW), NO_FAULT);
	w = rdmsr_or_fail(MSR_MISC_ENABLE);
	EXPECT_EQ(w, v | MISC_RW);
	cpuid2(0, 0, r);
	EXPECT_EQ(r[0], 2);
	/* Each R/W bit alone, set and cleared again. */
	for (unsigned int b = 0; b < 64; b++) {
		if (!(MISC_RW >> b & 1))
			continue;
		EXPECT_EQ(wrmsr_safe(MSR_MISC_ENABLE, MISC_RESET & ~1ULL), NO_FAULT);
		EXPECT_EQ(wrmsr_safe(MSR_MISC_ENABLE, (MISC_RESET & ~1ULL) | 1ULL << b), NO_FAULT);
		w = rdmsr_or_fail(MSR_MISC_ENABLE);
		if (w != ((MISC_RESET & ~1ULL) | 1ULL << b))
			test_fail("MISC_ENABLE bit %u: wrote %#llx, read %#lx", b,
				  (MISC_RESET & ~1ULL) | 1ULL << b, w);
	}
	/* kvm-unit-tests x86/msr.c: 0x400c50809 with bits 7, 11, 12 kept. */
	w = (0x400c50809ULL & ~0x1880ULL) | (v & 0x1880ULL);
	EXPECT_EQ(wrmsr_safe(MSR_MISC_ENABLE, w), NO_FAULT);
	EXPECT_EQ(rdmsr_or_fail(MSR_MISC_ENABLE), w);
	/* Bit 7 is read-only: a write of 1 is ignored, no #GP. */
	EXPECT_EQ(wrmsr_safe(MSR_MISC_ENABLE, v | (1ULL << 7)), NO_FAULT);
	EXPECT_EQ(rdmsr_or_fail(MSR_MISC_ENABLE), v);
	cpuid2(0, 0, r);
	EXPECT(r[0] >= 0x16);
	/* BTS/PEBS unavailable cannot change; reserved bits (1, 13, 35, 63): #GP,
	 * value unchanged. */
	EXPECT_EQ(wrmsr_safe(MSR_MISC_ENABLE, v & ~(1ULL << 11)), 13);
	EXPECT_EQ(wrmsr_safe(MSR_MISC_ENABLE, v & ~(1ULL << 12)), 13);
	EXPECT_EQ(wrmsr_safe(MSR_MISC_ENABLE, v | (1ULL << 1)), 13);
	EXPECT_EQ(wrmsr_safe(MSR_MISC_ENABLE, v | (1ULL << 13)), 13);
	EXPECT_EQ(wrmsr_safe(MSR_MISC_ENABLE, v | (1ULL << 35)), 13);
	EXPECT_EQ(wrmsr_safe(MSR_MISC_ENABLE, v | (1ULL << 63)), 13);
	EXPECT_EQ(rdmsr_or_fail(MSR_MISC_ENABLE), v);
	gprintf("MISC_ENABLE: reset %#lx, R/W bits %#llx read back\n", v, MISC_RW);
}

void test_main(void)
{
	uint64_t tag = 0;

	for (const char *p = start_info->name; *p; p++)
		tag = tag * 131 + (uint8_t)*p;
	tag = (tag & 0xfffff) << 4;

	caches_and_hints();
	hidden_features();
	svm_instructions();
	shown_features();
	debug_registers();
	misc_enable();
	tsc_writes();
	sysenter_msrs(tag);
	test_end(test_failures() ? TEST_FAILURE : TEST_SUCCESS, NULL);
}
