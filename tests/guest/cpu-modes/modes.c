/* SPDX-License-Identifier: MIT */
/*
 * cpu-modes: a multiboot kernel, started in 32-bit protected mode with
 * paging off, that changes the CPU's modes itself, as third-party kernels
 * do. The command line picks the test:
 *   longmode  enter long mode (EFER.LME, CR0.PG), check EFER.LMA and 64-bit
 *             code, load CR3 there, leave it (paging off in compatibility
 *             mode), and do it all again;
 *   pae       PAE paging; paging32: 32-bit paging with 4 MiB pages;
 *   realmode  protected mode -> real mode (a CPUID and a port write there)
 *             -> protected mode -> long mode -> protected mode, three times.
 * In both paging tests: write and read memory through our own tables,
 * load CR3 with other tables, INVLPG after a PTE change, toggle CR4.PGE
 * with paging on, paging off and on again. Output: COM1, then the
 * debug-exit port. No IDT: any fault is a triple fault (the VM stops).
 */
#include <stdint.h>

#include "mb32.h"

#define PAGE_A 0x500000u /* 4 KiB test pages */
#define PAGE_B 0x501000u
#define PAGE_C 0x502000u
#define LM_PAGE_A 0x400000u /* 2 MiB test pages of the long-mode test */
#define LM_PAGE_B 0x600000u
#define VA 0x40000000u
#define ROUNDS 3

#define CR0_PG 0x80000000u
#define CR0_PE 1u
#define CR4_PSE 0x10u
#define CR4_PAE 0x20u
#define CR4_PGE 0x80u
#define EFER_LME 0x100u
#define EFER_LMA 0x400u

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
};

/* Shared with lm_run() in boot.S: offsets 0, 4, ..., 32. */
struct lm_args {
	uint32_t cr3_a, cr3_b, efer_compat, efer_long, high, read_b, read_a, round, cr3_read;
};

void modes_main(uint32_t magic, const struct mb_info *mbi);
void lm_run(struct lm_args *a);
void rm_run(void);

static unsigned int failures;

static void check(int ok, const char *what, uint32_t got)
{
	if (!ok) {
		puts("FAIL: ");
		puts(what);
		puts(" (got ");
		puthex(got);
		puts(")\n");
		failures++;
	}
}

#define CR_ACCESSORS(n)                                                   \
	static uint32_t read_cr##n(void)                                  \
	{                                                                 \
		uint32_t v;                                               \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));         \
		return v;                                                 \
	}                                                                 \
	static void write_cr##n(uint32_t v)                               \
	{                                                                 \
		__asm__ volatile("mov %0, %%cr" #n ::"r"(v) : "memory");  \
	}
CR_ACCESSORS(0)
CR_ACCESSORS(3)
CR_ACCESSORS(4)

static uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static volatile uint32_t *word(uint32_t addr)
{
	return (volatile uint32_t *)addr;
}

/* ---- long mode ---- */

static uint64_t pml4_a[512] __attribute__((aligned(4096))), pml4_b[512] __attribute__((aligned(4096)));
static uint64_t pdpt_low[512] __attribute__((aligned(4096))), pd_low[512] __attribute__((aligned(4096)));
static uint64_t pdpt_hi_a[512] __attribute__((aligned(4096))), pd_hi_a[512] __attribute__((aligned(4096)));
static uint64_t pdpt_hi_b[512] __attribute__((aligned(4096))), pd_hi_b[512] __attribute__((aligned(4096)));

static void test_longmode(void)
{
	struct lm_args a;

	/* Both: 0-8 MiB identity in 2 MiB pages; 512 GiB -> page A or B. */
	for (int i = 0; i < 4; i++)
		pd_low[i] = (uint64_t)i * 0x200000 | 0x83;
	pdpt_low[0] = (uint32_t)pd_low | 3;
	pd_hi_a[0] = LM_PAGE_A | 0x83;
	pd_hi_b[0] = LM_PAGE_B | 0x83;
	pdpt_hi_a[0] = (uint32_t)pd_hi_a | 3;
	pdpt_hi_b[0] = (uint32_t)pd_hi_b | 3;
	pml4_a[0] = pml4_b[0] = (uint32_t)pdpt_low | 3;
	pml4_a[1] = (uint32_t)pdpt_hi_a | 3;
	pml4_b[1] = (uint32_t)pdpt_hi_b | 3;

	for (uint32_t r = 1; r <= ROUNDS; r++) {
		a = (struct lm_args){ .cr3_a = (uint32_t)pml4_a, .cr3_b = (uint32_t)pml4_b, .round = r };
		lm_run(&a);
		check(a.efer_compat & EFER_LMA, "EFER.LMA set by CR0.PG with LME (compatibility mode)",
		      a.efer_compat);
		check((a.efer_long & (EFER_LME | EFER_LMA)) == (EFER_LME | EFER_LMA),
		      "EFER.LME|LMA in 64-bit mode", a.efer_long);
		check(a.high == 0x12345678, "64-bit arithmetic in the 64-bit code segment", a.high);
		check(a.cr3_read == (uint32_t)pml4_b, "CR3 reads back in 64-bit mode", a.cr3_read);
		check(a.read_b == (0x5a5a0000u ^ r), "store through the second CR3", a.read_b);
		check(a.read_a == (0xa5a50000u ^ r), "first CR3 again sees its own page", a.read_a);
		/* Out again: 32-bit protected mode, paging off, IA-32e mode off. */
		check((uint32_t)rdmsr(0xc0000080) == 0, "EFER after leaving long mode",
		      (uint32_t)rdmsr(0xc0000080));
		check((read_cr0() & (CR0_PG | CR0_PE)) == CR0_PE, "CR0 after leaving long mode",
		      read_cr0());
		check(!(read_cr4() & CR4_PAE), "CR4.PAE off after leaving", read_cr4());
		check(*word(LM_PAGE_A) == (0xa5a50000u ^ r), "page A seen with paging off",
		      *word(LM_PAGE_A));
		check(*word(LM_PAGE_B) == (0x5a5a0000u ^ r), "page B seen with paging off",
		      *word(LM_PAGE_B));
		puts("round ");
		puthex(r);
		puts(": long mode entered and left\n");
	}
}

/* ---- PAE and 32-bit paging ---- */

static uint64_t pdpt_a[4] __attribute__((aligned(4096))), pdpt_b[4] __attribute__((aligned(4096)));
static uint64_t pae_pd0[512] __attribute__((aligned(4096)));
static uint64_t pae_pd1_a[512] __attribute__((aligned(4096))), pae_pd1_b[512] __attribute__((aligned(4096)));
static uint64_t pae_pt_a[512] __attribute__((aligned(4096))), pae_pt_b[512] __attribute__((aligned(4096)));
static uint32_t pd32_a[1024] __attribute__((aligned(4096))), pd32_b[1024] __attribute__((aligned(4096)));
static uint32_t pt32_a[1024] __attribute__((aligned(4096))), pt32_b[1024] __attribute__((aligned(4096)));

static void invlpg(uint32_t va)
{
	__asm__ volatile("invlpg (%0)" ::"r"(va) : "memory");
}

/* Tables that map VA to PAGE_A (root_a) or PAGE_B (root_b); set_a_pte
 * points the PTE of root_a at another page. */
static void paging_rounds(const char *mode, uint32_t cr4_mode, uint32_t root_a, uint32_t root_b,
			  void (*set_a_pte)(uint32_t page))
{
	*word(PAGE_C) = 0xc0c0c0c0;
	write_cr4(read_cr4() | cr4_mode);
	check((read_cr4() & cr4_mode) == cr4_mode, "CR4 mode bits read back", read_cr4());
	for (uint32_t r = 1; r <= ROUNDS; r++) {
		set_a_pte(PAGE_A);
		write_cr3(root_a);
		write_cr0(read_cr0() | CR0_PG);
		check(read_cr0() & CR0_PG, "CR0.PG reads back", read_cr0());
		check(read_cr3() == root_a, "CR3 reads back", read_cr3());
		check(!(rdmsr(0xc0000080) & EFER_LMA), "no IA-32e mode without LME",
		      (uint32_t)rdmsr(0xc0000080));
		*word(VA) = 0x11110000u ^ r;
		write_cr3(root_b);
		*word(VA) = 0x22220000u ^ r;
		check(*word(VA) == (0x22220000u ^ r), "read through the second CR3", *word(VA));
		write_cr3(root_a);
		check(*word(VA) == (0x11110000u ^ r), "first CR3 again", *word(VA));
		check(*word(PAGE_A) == (0x11110000u ^ r), "page A through the identity map",
		      *word(PAGE_A));
		check(*word(PAGE_B) == (0x22220000u ^ r), "page B through the identity map",
		      *word(PAGE_B));
		set_a_pte(PAGE_C);
		invlpg(VA);
		check(*word(VA) == 0xc0c0c0c0, "INVLPG after a PTE change", *word(VA));
		/* CR4 writes with paging on (intercepted on SVM: decoded through
		 * these tables). */
		write_cr4(read_cr4() | CR4_PGE);
		check(read_cr4() & CR4_PGE, "CR4.PGE set with paging on", read_cr4());
		write_cr4(read_cr4() & ~CR4_PGE);
		check(!(read_cr4() & CR4_PGE), "CR4.PGE cleared", read_cr4());
		write_cr0(read_cr0() & ~CR0_PG);
		check(!(read_cr0() & CR0_PG), "paging off again", read_cr0());
		check(*word(PAGE_A) == (0x11110000u ^ r), "page A with paging off", *word(PAGE_A));
		puts(mode);
		puts(" round ");
		puthex(r);
		puts(": done\n");
	}
	write_cr4(read_cr4() & ~cr4_mode);
}

static void pae_set_a(uint32_t page)
{
	pae_pt_a[0] = page | 3;
}

static void pt32_set_a(uint32_t page)
{
	pt32_a[0] = page | 3;
}

static void test_pae(void)
{
	for (int i = 0; i < 4; i++)
		pae_pd0[i] = (uint64_t)i * 0x200000 | 0x83; /* 0-8 MiB identity */
	pae_pd1_a[0] = (uint32_t)pae_pt_a | 3;
	pae_pd1_b[0] = (uint32_t)pae_pt_b | 3;
	pae_pt_b[0] = PAGE_B | 3;
	pdpt_a[0] = pdpt_b[0] = (uint32_t)pae_pd0 | 1; /* PDPTEs: P only */
	pdpt_a[1] = (uint32_t)pae_pd1_a | 1;           /* VA 1 GiB */
	pdpt_b[1] = (uint32_t)pae_pd1_b | 1;
	paging_rounds("pae", CR4_PAE, (uint32_t)pdpt_a, (uint32_t)pdpt_b, pae_set_a);
}

static void test_paging32(void)
{
	pd32_a[0] = pd32_b[0] = 0x000083; /* 4 MiB pages: 0-8 MiB identity */
	pd32_a[1] = pd32_b[1] = 0x400083;
	pd32_a[VA >> 22] = (uint32_t)pt32_a | 3;
	pd32_b[VA >> 22] = (uint32_t)pt32_b | 3;
	pt32_b[0] = PAGE_B | 3;
	paging_rounds("paging32", CR4_PSE, (uint32_t)pd32_a, (uint32_t)pd32_b, pt32_set_a);
}

/* ---- real mode and back, then long mode ---- */

static uint32_t cpuid0_ebx(void)
{
	uint32_t a = 0, b, c = 0, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return b;
}

static void test_realmode(void)
{
	uintptr_t at = 0x600; /* where rm_run() stores, below 1 MiB */
	volatile uint32_t *rm;
	uint32_t vendor = cpuid0_ebx();

	__asm__("" : "+r"(at)); /* a real address, not a null-page constant to the compiler */
	rm = (volatile uint32_t *)at;

	for (uint32_t r = 1; r <= ROUNDS; r++) {
		rm[0] = rm[1] = rm[2] = 0xffffffffu;
		rm_run();
		puts("\n");
		check(!(rm[0] & (CR0_PE | CR0_PG)), "CR0 in real mode: PE and PG clear", rm[0]);
		check((rm[1] & 0xffff) == 0xffff, "real-mode CS loaded by the far jump", rm[1] & 0xffff);
		check(rm[2] == vendor, "CPUID in real mode (an exit there) as in protected mode", rm[2]);
		check((read_cr0() & (CR0_PE | CR0_PG)) == CR0_PE, "CR0 back in protected mode",
		      read_cr0());
		puts("round ");
		puthex(r);
		puts(": real mode entered and left\n");
	}
	test_longmode(); /* and from this protected mode into long mode, three times */
}

void modes_main(uint32_t magic, const struct mb_info *mbi)
{
	const char *cmd = (const char *)mbi->cmdline;

	puts("--- cpu-modes: ");
	puts(cmd);
	puts(" ---\n");
	check(magic == 0x2badb002, "multiboot magic", magic);
	check((read_cr0() & (CR0_PE | CR0_PG)) == CR0_PE, "start: protected mode, paging off",
	      read_cr0());
	if (streq(cmd, "longmode"))
		test_longmode();
	else if (streq(cmd, "pae"))
		test_pae();
	else if (streq(cmd, "paging32"))
		test_paging32();
	else if (streq(cmd, "realmode"))
		test_realmode();
	else
		check(0, "command line names a test", 0);
	puts(failures ? "Test result: FAILURE\n" : "Test result: SUCCESS\n");
	while (!(inb(COM1 + 5) & 0x40))
		;
	outb(0xf4, failures ? 3 : 0);
	for (;;)
		__asm__ volatile("cli; hlt");
}
