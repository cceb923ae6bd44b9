/* SPDX-License-Identifier: MIT */
/*
 * cpu-state: CPU state VMX does not switch must not leak between VMs. Run
 * as two VMs from the same image; each keeps writing CR2, DR0-DR3 and DR6
 * with values derived from its name and checks them after every gap in the
 * TSC (another VM ran in between). The x87 error pointers too: in turns,
 * each VM leaves an unmasked invalid-operation exception pending (its own
 * FIP, FDP and FOP must still be there after the gap), or starts clean with
 * FNINIT (then FNSTENV must not show the other VM's pointers: AMD's FXRSTOR
 * leaves the previous ones in place when no exception is pending, XSA-52).
 * Also: CR4 bits for state that is not switched (PKE, OSXSAVE, PCE) cannot
 * be set, and RDPMC raises #GP.
 */
#include "hvtest.h"
#include <string.h>

const char test_title[] =
	"cpu-state: CR2, DR0-3/DR6 and x87 error pointers per VM; CR4.PKE/OSXSAVE/PCE refused";

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

/*
 * The x87 part. Each VM loads a signaling NaN with invalid operation
 * unmasked (FCW 0x37e): IE and ES set, the exception pending, FIP at the
 * FLDS, FDP at the NaN, FOP its opcode. Two sites and two NaN slots, one per
 * VM (the parity of its name's hash), so that a VM can tell its own pointers
 * from the other's: the code and data addresses are otherwise the same in
 * both. FNCLEX first: with an exception pending FLDS would raise #MF.
 */
void x87_raise0(const void *operand);
void x87_raise1(const void *operand);
extern const uint8_t x87_site0[], x87_site1[];
asm(".text\n"
    "x87_raise0: fnclex\n"
    "x87_site0: flds (%rdi)\n"
    "\tret\n"
    "x87_raise1: fnclex\n"
    "\tnop\n"
    "x87_site1: flds (%rdi)\n"
    "\tret\n");

static struct {
	uint32_t snan;
	uint8_t pad[60];
} x87_slot[2] __attribute__((aligned(64))) = { { .snan = 0x7fa00000 }, { .snan = 0x7fa00000 } };

struct fxsave_img {
	uint16_t fcw, fsw;
	uint8_t ftw, rsvd;
	uint16_t fop;
	uint64_t fip, fdp;
	uint8_t rest[488];
} __attribute__((aligned(16)));

/* FNSTENV in 64-bit mode with the default operand size: the 28-byte
 * protected-mode format (SDM Vol. 1 §8.1.10). */
struct fpu_env32 {
	uint32_t fcw, fsw, ftw, fip, fcs_fop, fdp, fds;
};

#define FSW_IE 0x0001
#define FSW_ES 0x0080

static unsigned int x87_own;
static bool x87_fxsave_ptrs; /* FXSAVE stores the pointers (not QEMU/TCG) */
static unsigned int x87_own_checks, x87_leak_checks;

static const uint8_t *x87_site(unsigned int k)
{
	return k ? x87_site1 : x87_site0;
}

/* FOP: the low 3 bits of the first opcode byte, then the ModR/M byte. */
static uint16_t x87_fop(unsigned int k)
{
	const uint8_t *b = x87_site(k);

	return (uint16_t)((b[0] & 7) << 8 | b[1]);
}

static void x87_pend(void)
{
	if (x87_own)
		x87_raise1(&x87_slot[1].snan);
	else
		x87_raise0(&x87_slot[0].snan);
}

static void fxsave(struct fxsave_img *img)
{
	asm volatile("fxsave64 %0" : "=m"(*img));
}

static void x87_start(bool pending)
{
	asm volatile("fninit" ::: "memory");
	if (!pending)
		return;
	asm volatile("fldcw %0" ::"m"((uint16_t){ 0x37e }));
	x87_pend();
}

/* After the gap: the pending exception and its pointers are still ours
 * (FXSAVE/FXRSTOR keep them when an exception is pending, on AMD too), or,
 * started clean, the hardware shows nothing of the other VM. */
static void x87_check(bool pending, unsigned int round)
{
	unsigned int other = !x87_own;

	if (pending) {
		struct fxsave_img img;

		memset(&img, 0xa5, sizeof(img));
		fxsave(&img);
		if ((img.fsw & (FSW_IE | FSW_ES)) != (FSW_IE | FSW_ES))
			test_fail("x87 round %u: FSW %#x after a VM switch, IE and ES were set", round,
				  img.fsw);
		if (x87_fxsave_ptrs) {
			x87_own_checks++;
			if (img.fip != (uint64_t)x87_site(x87_own) ||
			    img.fdp != (uint64_t)&x87_slot[x87_own].snan ||
			    (img.fop & 0x7ff) != x87_fop(x87_own))
				test_fail("x87 round %u: FIP %#lx FDP %#lx FOP %#x after a VM switch, "
					  "ours were %#lx %#lx %#x",
					  round, img.fip, img.fdp, img.fop & 0x7ff,
					  (uint64_t)x87_site(x87_own), (uint64_t)&x87_slot[x87_own].snan,
					  x87_fop(x87_own));
		}
		asm volatile("fnclex\n\tfldcw %0" ::"m"((uint16_t){ 0x37f }));
	} else {
		struct fpu_env32 env;

		asm volatile("fnstenv %0" : "=m"(env));
		x87_leak_checks++;
		if (env.fip == (uint32_t)(uint64_t)x87_site(other) ||
		    env.fdp == (uint32_t)(uint64_t)&x87_slot[other].snan)
			test_fail("x87 round %u: FIP %#x FDP %#x after a VM switch: the other VM's "
				  "(%#lx %#lx); we had run FNINIT",
				  round, env.fip, env.fdp, (uint64_t)x87_site(other),
				  (uint64_t)&x87_slot[other].snan);
	}
}

static void x87_init(uint64_t hash)
{
	struct fxsave_img img;

	x87_own = hash & 1;
	x87_start(true);
	memset(&img, 0xa5, sizeof(img));
	fxsave(&img);
	asm volatile("fninit" ::: "memory");
	/* QEMU/TCG's FXSAVE writes zeros for FIP and FDP (and leaves FOP):
	 * the pointers cannot survive a switch there, whatever the host does. */
	x87_fxsave_ptrs = img.fip == (uint64_t)x87_site(x87_own);
	gprintf("x87: site %u (FIP %#lx FDP %#lx FOP %#x); FXSAVE stores the pointers: %s\n",
		x87_own, (uint64_t)x87_site(x87_own), (uint64_t)&x87_slot[x87_own].snan,
		x87_fop(x87_own), x87_fxsave_ptrs ? "yes" : "no (own-pointer check skipped)");
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
	x87_init(tag);
	tag = (tag & 0xfffff) << 12;

	check_cr4_bit("PKE", CR4_PKE);
	check_cr4_bit("OSXSAVE", CR4_OSXSAVE);
	check_cr4_bit("PCE", CR4_PCE);
	if (probe_rdpmc(0) != 14)
		test_fail("RDPMC did not raise #GP (no performance counters are offered)");

	while (switches < SWITCHES && spins++ < MAX_SPINS) {
		/* Pending or clean x87 state, two rounds each, the two VMs out
		 * of step, so that one's clean rounds follow the other's
		 * pending ones. */
		bool pending = ((i + x87_own) >> 1) & 1;
		uint64_t t0;

		want.cr2 = tag | (uint64_t)(i & 0xff) << 4;
		for (int k = 0; k < 4; k++)
			want.dr[k] = tag + 0x100000000ULL * (uint64_t)(k + 1) + i;
		want.dr6 = 0xffff0ff0ULL | (i & 0xf);
		put_state(&want);
		x87_start(pending);
		t0 = rdtsc();
		for (volatile int d = 0; d < 200; d++)
			if (pending)
				x87_pend(); /* fresh pointers when the slice ends */
		if (rdtsc() - t0 < GAP_TICKS)
			continue;
		/* Another VM ran between our writes and this read. */
		get_state(&got);
		x87_check(pending, i);
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
	gprintf("%u VM switches seen; x87: %u own-pointer checks, %u leak checks\n", switches,
		x87_own_checks, x87_leak_checks);
	if (switches < SWITCHES)
		test_fail("only %u VM switches seen: the check did not run", switches);
}
