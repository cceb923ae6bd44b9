/* SPDX-License-Identifier: MIT */
/*
 * cpu-regs: control registers read back what the guest wrote, and CR4 and
 * CPUID agree. CR0.NE (forced to 1 by VMX underneath) clears and sets;
 * CR4 bits the CPUID shows toggle; CR4.VMXE (no VMX offered) and every
 * CR4 bit whose feature CPUID hides raise #GP and read back clear. CR8 is
 * the local APIC's TPR (checked through the x2APIC TPR MSR both ways),
 * never the CPU's: with CR8 = 15 the host's time slices go on and other
 * VMs run meanwhile.
 */
#include "hvtest.h"

const char test_title[] = "cpu-regs: CR0.NE, CR4 vs CPUID, CR4.VMXE, CR8 = APIC TPR";

#define CR0_NE (1ULL << 5)
#define CR0_MP (1ULL << 1)
#define MSR_APIC_BASE 0x1b
#define MSR_X2APIC_TPR 0x808
#define GAP_TICKS 200000 /* longer than any exit: another VM ran */
#define GAPS 5
#define MAX_SPINS 200000000ULL

#define DEFINE_CR(n)                                                      \
	static uint64_t get_cr##n(void)                                   \
	{                                                                 \
		uint64_t v;                                               \
		asm volatile("mov %%cr" #n ", %0" : "=r"(v));             \
		return v;                                                 \
	}                                                                 \
	/* MOV to CRn that may fault: 0, or the vector + 1. */           \
	static int put_cr##n(uint64_t v)                                  \
	{                                                                 \
		uint64_t rc = 0;                                          \
		asm volatile("1: mov %[v], %%cr" #n "\n"                  \
			     "2:\n"                                       \
			     ".pushsection .ex_table, \"a\"\n"            \
			     ".quad 1b, 2b\n"                             \
			     ".popsection"                                \
			     : "+a"(rc)                                   \
			     : [v] "r"(v)                                 \
			     : "memory");                                 \
		return (int)rc;                                           \
	}
DEFINE_CR(0)
DEFINE_CR(4)
DEFINE_CR(8)

static uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static void wrmsr(uint32_t msr, uint64_t v)
{
	asm volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

struct cr4_bit {
	const char *name;
	uint64_t bit;
	uint32_t leaf; /* CPUID leaf (subleaf 0) of its feature, 0: none offered */
	int reg;       /* 1 EBX, 2 ECX, 3 EDX */
	int fbit;
	bool toggle;   /* safe to set here when shown */
};

static const struct cr4_bit cr4_bits[] = {
	{ "DE", 1ULL << 3, 1, 3, 2, true },	     { "TSD", 1ULL << 2, 1, 3, 4, true },
	{ "MCE", 1ULL << 6, 1, 3, 7, true },	     { "PGE", 1ULL << 7, 1, 3, 13, true },
	{ "OSXMMEXCPT", 1ULL << 10, 1, 3, 25, true }, { "FSGSBASE", 1ULL << 16, 7, 1, 0, true },
	{ "VMXE", 1ULL << 13, 1, 2, 5, false },	     { "SMXE", 1ULL << 14, 1, 2, 6, false },
	{ "PCIDE", 1ULL << 17, 1, 2, 17, false },    { "OSXSAVE", 1ULL << 18, 1, 2, 26, false },
	{ "UMIP", 1ULL << 11, 7, 2, 2, false },	     { "LA57", 1ULL << 12, 7, 2, 16, false },
	{ "PKE", 1ULL << 22, 7, 2, 3, false },	     { "SMEP", 1ULL << 20, 7, 1, 7, false },
	{ "SMAP", 1ULL << 21, 7, 1, 20, false },     { "PCE", 1ULL << 8, 0, 0, 0, false },
};

static bool cpuid_shows(const struct cr4_bit *b)
{
	uint32_t r[4];

	if (!b->leaf)
		return false;
	if (b->leaf == 7)
		asm volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(7), "c"(0));
	else
		cpuid(b->leaf, &r[0], &r[1], &r[2], &r[3]);
	return r[b->reg] & (1u << b->fbit);
}

static void test_cr0(void)
{
	uint64_t cr0 = get_cr0();

	EXPECT(cr0 & CR0_NE);
	EXPECT_EQ(put_cr0(cr0 & ~CR0_NE), 0);
	EXPECT_EQ(get_cr0(), cr0 & ~CR0_NE); /* VMX keeps NE set underneath */
	EXPECT_EQ(put_cr0(cr0 & ~CR0_NE & ~CR0_MP), 0);
	EXPECT_EQ(get_cr0(), cr0 & ~CR0_NE & ~CR0_MP);
	EXPECT_EQ(put_cr0(cr0), 0);
	EXPECT_EQ(get_cr0(), cr0);
}

static void test_cr4(void)
{
	uint64_t cr4 = get_cr4();
	uint32_t a, b, c, d;
	unsigned int hidden = 0;

	cpuid(1, &a, &b, &c, &d);
	EXPECT(!(c & (1u << 5))); /* no VMX in CPUID */
	EXPECT(!(cr4 & (1ULL << 13)));
	for (size_t i = 0; i < sizeof(cr4_bits) / sizeof(cr4_bits[0]); i++) {
		const struct cr4_bit *bit = &cr4_bits[i];
		bool shown = cpuid_shows(bit);
		int r;

		if (shown && !bit->toggle)
			continue; /* offered but not safe to set in this guest */
		r = put_cr4(cr4 | bit->bit);
		if (!shown || !bit->toggle) {
			hidden++;
			if (r != 14)
				test_fail("CR4.%s (CPUID %s) set: %s, expected #GP", bit->name,
					  shown ? "shows it" : "hides it", r ? "other fault" : "accepted");
			if (get_cr4() & bit->bit)
				test_fail("CR4.%s reads back set", bit->name);
		} else {
			if (r)
				test_fail("CR4.%s (offered) set: fault %d", bit->name, r - 1);
			if (!(get_cr4() & bit->bit))
				test_fail("CR4.%s does not read back set", bit->name);
		}
		put_cr4(cr4);
		if (get_cr4() != cr4)
			test_fail("CR4 %#lx after restoring %#lx (%s)", get_cr4(), cr4, bit->name);
	}
	gprintf("CR4: %u bits refused with #GP (VMXE, PCE and what CPUID hides)\n", hidden);
}

static void test_cr8(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE), spins = 0, t0, gaps = 0;

	wrmsr(MSR_APIC_BASE, base | (1ULL << 10) | (1ULL << 11)); /* x2APIC mode */
	for (uint64_t i = 0; i < 16; i++) {
		EXPECT_EQ(put_cr8(i), 0);
		EXPECT_EQ(get_cr8(), i);
		EXPECT_EQ(rdmsr(MSR_X2APIC_TPR), i << 4);
	}
	wrmsr(MSR_X2APIC_TPR, 0x7a);
	EXPECT_EQ(get_cr8(), 7);
	EXPECT_EQ(put_cr8(0x10), 14); /* bits 63:4 reserved: #GP */
	EXPECT_EQ(get_cr8(), 7);
	EXPECT_EQ(rdmsr(MSR_X2APIC_TPR), 0x7a);

	/* The highest priority class: on a CPU that let it through, the
	 * host's own interrupts (its time slice) would be blocked too. */
	EXPECT_EQ(put_cr8(15), 0);
	t0 = rdtsc();
	while (gaps < GAPS && spins++ < MAX_SPINS) {
		uint64_t t = rdtsc();

		if (t - t0 > GAP_TICKS)
			gaps++;
		t0 = t;
	}
	EXPECT_EQ(get_cr8(), 15);
	EXPECT_EQ(put_cr8(0), 0);
	gprintf("CR8 = 15: %lu slices of other VMs seen\n", gaps);
	if (gaps < GAPS)
		test_fail("with CR8 = 15 no other VM ran (%lu gaps)", gaps);
}

void test_main(void)
{
	test_cr0();
	test_cr4();
	test_cr8();
}
