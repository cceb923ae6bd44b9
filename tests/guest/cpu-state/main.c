/* SPDX-License-Identifier: MIT */
/*
 * cpu-state: CPU state VMX does not switch must not leak between VMs. Run
 * as two VMs from the same image; each keeps writing CR2, DR0-DR3 and DR6
 * with values derived from its name and checks them after every gap in the
 * TSC (another VM ran in between). Also: CR4 bits for state that is not
 * switched (PKE, OSXSAVE, PCE) cannot be set, and RDPMC raises #GP.
 */
#include "hvtest.h"

const char test_title[] = "cpu-state: CR2 and DR0-3/DR6 per VM; CR4.PKE/OSXSAVE/PCE refused";

#define GAP_TICKS 200000 /* longer than any exit: someone else ran */
#define SWITCHES 12
#define MAX_SPINS 200000000ULL

#define CR4_PCE (1ULL << 8)
#define CR4_OSXSAVE (1ULL << 18)
#define CR4_PKE (1ULL << 22)

struct dbg {
	uint64_t cr2, dr[4], dr6;
};

static void put_state(const struct dbg *s)
{
	asm volatile("mov %0, %%cr2" ::"r"(s->cr2));
	asm volatile("mov %0, %%db0" ::"r"(s->dr[0]));
	asm volatile("mov %0, %%db1" ::"r"(s->dr[1]));
	asm volatile("mov %0, %%db2" ::"r"(s->dr[2]));
	asm volatile("mov %0, %%db3" ::"r"(s->dr[3]));
	asm volatile("mov %0, %%db6" ::"r"(s->dr6));
}

static void get_state(struct dbg *s)
{
	asm volatile("mov %%cr2, %0" : "=r"(s->cr2));
	asm volatile("mov %%db0, %0" : "=r"(s->dr[0]));
	asm volatile("mov %%db1, %0" : "=r"(s->dr[1]));
	asm volatile("mov %%db2, %0" : "=r"(s->dr[2]));
	asm volatile("mov %%db3, %0" : "=r"(s->dr[3]));
	asm volatile("mov %%db6, %0" : "=r"(s->dr6));
}

/* MOV to CR4 that may fault: 0, or the vector + 1. */
static int probe_write_cr4(uint64_t v)
{
	uint64_t rc = 0;

	asm volatile("1: mov %[v], %%cr4\n"
		     "2:\n"
		     ".pushsection .ex_table, \"a\"\n"
		     ".quad 1b, 2b\n"
		     ".popsection"
		     : "+a"(rc)
		     : [v] "r"(v)
		     : "memory");
	return (int)rc;
}

static int probe_rdpmc(uint32_t counter)
{
	uint64_t rc = 0;
	uint32_t d;

	asm volatile("1: rdpmc\n"
		     "2:\n"
		     ".pushsection .ex_table, \"a\"\n"
		     ".quad 1b, 2b\n"
		     ".popsection"
		     : "+a"(rc), "=d"(d)
		     : "c"(counter)
		     : "memory");
	return (int)rc;
}

static uint64_t read_cr4(void)
{
	uint64_t v;

	asm volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static void check_cr4_bit(const char *name, uint64_t bit)
{
	uint64_t cr4 = read_cr4();
	int r = probe_write_cr4(cr4 | bit);

	if (r != 14)
		test_fail("setting CR4.%s: %s (expected #GP)", name, r ? "other fault" : "accepted");
	if (read_cr4() & bit) {
		test_fail("CR4.%s reads as set", name);
		probe_write_cr4(cr4);
	}
}

void test_main(void)
{
	uint64_t tag = 0, spins = 0;
	unsigned int switches = 0, i = 0;
	struct dbg want, got;

	for (const char *p = start_info->name; *p; p++)
		tag = tag * 131 + (uint8_t)*p;
	tag = (tag & 0xfffff) << 12;

	check_cr4_bit("PKE", CR4_PKE);
	check_cr4_bit("OSXSAVE", CR4_OSXSAVE);
	check_cr4_bit("PCE", CR4_PCE);
	if (probe_rdpmc(0) != 14)
		test_fail("RDPMC did not raise #GP (no performance counters are offered)");

	while (switches < SWITCHES && spins++ < MAX_SPINS) {
		uint64_t t0;

		want.cr2 = tag | (uint64_t)(i & 0xff) << 4;
		for (int k = 0; k < 4; k++)
			want.dr[k] = tag + 0x100000000ULL * (uint64_t)(k + 1) + i;
		want.dr6 = 0xffff0ff0ULL | (i & 0xf);
		put_state(&want);
		t0 = rdtsc();
		for (volatile int d = 0; d < 200; d++)
			;
		if (rdtsc() - t0 < GAP_TICKS)
			continue;
		/* Another VM ran between our writes and this read. */
		get_state(&got);
		switches++;
		i++;
		if (got.cr2 != want.cr2)
			test_fail("CR2 %#lx after a VM switch, wrote %#lx", got.cr2, want.cr2);
		for (int k = 0; k < 4; k++)
			if (got.dr[k] != want.dr[k])
				test_fail("DR%d %#lx after a VM switch, wrote %#lx", k, got.dr[k],
					  want.dr[k]);
		if (got.dr6 != want.dr6)
			test_fail("DR6 %#lx after a VM switch, wrote %#lx", got.dr6, want.dr6);
		if (test_failures())
			break;
	}
	gprintf("%u VM switches seen\n", switches);
	if (switches < SWITCHES)
		test_fail("only %u VM switches seen: the check did not run", switches);
}
