/* SPDX-License-Identifier: MIT */
/*
 * cpu-modes: a multiboot kernel, started in 32-bit protected mode with
 * paging off, that changes the CPU's modes itself, as third-party kernels
 * do. The command line picks the test:
 *   longmode  enter long mode (EFER.LME, CR0.PG), check EFER.LMA, an
 *             emulated REP STOSL to the APIC whose linear address wraps at
 *             4 GiB in compatibility mode, and 64-bit code, load CR3
 *             there, leave it (paging off in compatibility mode), and do
 *             it all again;
 *   pae       PAE paging; paging32: 32-bit paging with 4 MiB pages;
 *   realmode  protected mode -> real mode (a CPUID, a CR4 write,
 *             hypercalls by VMCALL and VMMCALL and a port write there, at a
 *             CS whose base is not 0) -> protected mode -> long mode ->
 *             protected mode, three times;
 *   tasks     hardware task switches: JMP to a TSS and back, CALL and IRET,
 *             INT n and a #GP (with its error code) through IDT task gates,
 *             a JMP to a busy TSS (#GP before any switch);
 *             registers, busy bits, back links, NT and CR0.TS checked, and
 *             reserved EFLAGS bits in a TSS are not loaded.
 * In both paging tests: write and read memory through our own tables,
 * load CR3 with other tables, INVLPG after a PTE change, toggle CR4.PGE
 * with paging on, paging off and on again. Output: COM1, then the
 * debug-exit port. No IDT (but in the tasks test): any fault is a triple
 * fault (the VM stops).
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

/* Shared with lm_run() in boot.S: offsets 0, 4, ..., 36. */
struct lm_args {
	uint32_t cr3_a, cr3_b, efer_compat, efer_long, high, read_b, read_a, round, cr3_read, tpr;
};

#define APIC_TPR 0xfee00080u

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
static uint64_t pd_apic[512] __attribute__((aligned(4096)));

static void test_longmode(void)
{
	struct lm_args a;

	/* Both: 0-8 MiB identity in 2 MiB pages, and the APIC page's; 512 GiB
	 * -> page A or B. */
	for (int i = 0; i < 4; i++)
		pd_low[i] = (uint64_t)i * 0x200000 | 0x83;
	pdpt_low[0] = (uint32_t)pd_low | 3;
	pd_apic[APIC_TPR >> 21 & 511] = (APIC_TPR & ~0x1fffffu) | 0x83;
	pdpt_low[3] = (uint32_t)pd_apic | 3;
	pd_hi_a[0] = LM_PAGE_A | 0x83;
	pd_hi_b[0] = LM_PAGE_B | 0x83;
	pdpt_hi_a[0] = (uint32_t)pd_hi_a | 3;
	pdpt_hi_b[0] = (uint32_t)pd_hi_b | 3;
	pml4_a[0] = pml4_b[0] = (uint32_t)pdpt_low | 3;
	pml4_a[1] = (uint32_t)pdpt_hi_a | 3;
	pml4_b[1] = (uint32_t)pdpt_hi_b | 3;

	for (uint32_t r = 1; r <= ROUNDS; r++) {
		a = (struct lm_args){ .cr3_a = (uint32_t)pml4_a, .cr3_b = (uint32_t)pml4_b, .round = r,
				      .tpr = 0x10 * r };
		lm_run(&a);
		check(*word(APIC_TPR) == 0x10 * r,
		      "REP STOSL through a linear address that wraps at 4 GiB (compatibility mode)",
		      *word(APIC_TPR));
		*word(APIC_TPR) = 0;
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

/* HV_HC_GET_VERSION from protected mode (flat CS). */
static uint32_t hv_version(void)
{
	uint32_t a = 1;

	__asm__ volatile("vmcall" : "+a"(a)::"memory");
	return a;
}

static void test_realmode(void)
{
	uintptr_t at = 0x600; /* where rm_run() stores, below 1 MiB */
	volatile uint32_t *rm;
	uint32_t vendor = cpuid0_ebx(), version = hv_version();

	__asm__("" : "+r"(at)); /* a real address, not a null-page constant to the compiler */
	rm = (volatile uint32_t *)at;
	check(version >> 16 == 1, "HV_HC_GET_VERSION from protected mode", version);

	for (uint32_t r = 1; r <= ROUNDS; r++) {
		rm[0] = rm[1] = rm[2] = rm[3] = rm[4] = rm[5] = 0xffffffffu;
		rm_run();
		puts("\n");
		check(!(rm[0] & (CR0_PE | CR0_PG)), "CR0 in real mode: PE and PG clear", rm[0]);
		check((rm[1] & 0xffff) == 0xffff, "real-mode CS loaded by the far jump", rm[1] & 0xffff);
		check(rm[2] == vendor, "CPUID in real mode (an exit there) as in protected mode", rm[2]);
		check(rm[3] == version, "VMCALL in real mode, CS base 0xffff0", rm[3]);
		check(rm[4] == version, "VMMCALL in real mode, CS base 0xffff0", rm[4]);
		check(rm[5] == read_cr4(), "CR4 written in real mode, CS base 0xffff0", rm[5]);
		check((read_cr0() & (CR0_PE | CR0_PG)) == CR0_PE, "CR0 back in protected mode",
		      read_cr0());
		puts("round ");
		puthex(r);
		puts(": real mode entered and left\n");
	}
	test_longmode(); /* and from this protected mode into long mode, three times */
}

/* ---- hardware task switches ---- */

struct tss32 {
	uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
	uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi, es, cs, ss, ds, fs, gs, ldt;
	uint16_t trap, iomap;
};
_Static_assert(sizeof(struct tss32) == 104, "32-bit TSS layout");

/* Shared with boot.S. GDT: 0x08 code, 0x10 data, 0x18 + 8 * i: TSS i. */
struct tss32 ts_tss0, ts_tss[5];
uint32_t ts_seen[4], ts_runs[4], ts_task1_eflags, ts_task2_eflags, ts_task4_err, ts_skip;
uint16_t ts_task2_tr;
void ts_jmp(void), ts_call(void), ts_int(void), ts_fault(void), ts_busy(void);
void ts_task1(void), ts_task2(void), ts_task3(void), ts_task4(void);

static uint64_t ts_gdt[8] __attribute__((aligned(8)));
static uint64_t ts_idt[0x41] __attribute__((aligned(8)));
static uint8_t ts_stacks[4][1024] __attribute__((aligned(16)));

#define EFLAGS_NT 0x4000u
#define CR0_TS 8u

static uint64_t tss_desc(const struct tss32 *t)
{
	uint32_t base = (uint32_t)t, limit = sizeof(*t) - 1;

	return (limit & 0xffff) | (uint64_t)(base & 0xffffff) << 16 | 0x89ULL << 40 |
	       (uint64_t)(limit >> 16) << 48 | (uint64_t)(base >> 24) << 56;
}

static unsigned int gdt_type(uint16_t sel)
{
	return (unsigned int)(ts_gdt[sel >> 3] >> 40) & 0xf;
}

static uint16_t read_tr(void)
{
	uint16_t tr;

	__asm__ volatile("str %0" : "=r"(tr));
	return tr;
}

static uint32_t read_eflags(void)
{
	uint32_t f;

	__asm__ volatile("pushfl; popl %0" : "=r"(f));
	return f;
}

/* After each switch back: task 0 has its own registers again, TR is TSS 0
 * (busy), the task left is available again, CR0.TS is set. */
static void back_in_task0(const char *how, uint16_t left)
{
	check(ts_seen[0] == 0x12345678 && ts_seen[1] == 0x9abcdef0 && ts_seen[2] == 0x0badf00d &&
		      ts_seen[3] == 0x600dcafe,
	      how, ts_seen[0]);
	check(read_tr() == 0x18, "TR is TSS 0 again", read_tr());
	check(gdt_type(0x18) == 11, "TSS 0 busy", gdt_type(0x18));
	check(gdt_type(left) == 9, "the task left is available again", gdt_type(left));
	check(read_cr0() & CR0_TS, "CR0.TS set by the task switch", read_cr0());
	check(!(read_eflags() & EFLAGS_NT), "task 0 runs without NT", read_eflags());
	__asm__ volatile("clts");
}

static void test_tasks(void)
{
	void (*const entry[5])(void) = { 0, ts_task1, ts_task2, ts_task3, ts_task4 };
	struct __attribute__((packed)) {
		uint16_t limit;
		uint32_t base;
	} gdtr = { sizeof(ts_gdt) - 1, (uint32_t)ts_gdt }, idtr = { sizeof(ts_idt) - 1, (uint32_t)ts_idt };

	ts_gdt[1] = 0x00cf9a000000ffffULL;
	ts_gdt[2] = 0x00cf92000000ffffULL;
	ts_gdt[3] = tss_desc(&ts_tss0);
	ts_tss0.iomap = sizeof(struct tss32);
	for (unsigned int i = 1; i <= 4; i++) {
		ts_tss[i] = (struct tss32){ .eip = (uint32_t)entry[i], .eflags = 2,
					    .esp = (uint32_t)(ts_stacks[i - 1] + sizeof(ts_stacks[0])),
					    .cs = 0x08, .ss = 0x10, .ds = 0x10, .es = 0x10,
					    .iomap = sizeof(struct tss32) };
		ts_gdt[3 + i] = tss_desc(&ts_tss[i]);
	}
	ts_idt[0x40] = (uint64_t)0x30 << 16 | 0x85ULL << 40; /* task gates: INT 0x40 -> task 3, */
	ts_idt[13] = (uint64_t)0x38 << 16 | 0x85ULL << 40;   /* #GP -> task 4 */
	__asm__ volatile("lgdt %0; lidt %1" ::"m"(gdtr), "m"(idtr) : "memory");
	__asm__ volatile("ltr %w0" ::"r"(0x18));
	check(gdt_type(0x18) == 11, "LTR marks TSS 0 busy", gdt_type(0x18));

	for (uint32_t r = 1; r <= ROUNDS; r++) {
		/* Reserved EFLAGS bits (3, 5, 15, 22-31) in the TSS: the CPU
		 * has no such bits to load. */
		ts_tss[1].eflags |= 0xffc08028u;
		ts_jmp();
		check(ts_runs[0] == r, "JMP to task 1 ran it", ts_runs[0]);
		check((ts_task1_eflags & 0xffc0802au) == 2, "task 1's EFLAGS without reserved bits",
		      ts_task1_eflags);
		check(ts_tss[1].ebx == 0xdead0001 && ts_tss[1].esi == 0xdead0002,
		      "task 1's registers saved in its TSS", ts_tss[1].ebx);
		check(ts_tss[1].eip != (uint32_t)ts_task1, "task 1's EIP saved past its JMP",
		      ts_tss[1].eip);
		back_in_task0("JMP back: task 0's registers", 0x20);

		ts_call();
		check(ts_runs[1] == r, "CALL to task 2 ran it", ts_runs[1]);
		check(ts_task2_eflags & EFLAGS_NT, "task 2 runs nested (NT)", ts_task2_eflags);
		check(ts_task2_tr == 0x28, "TR in task 2", ts_task2_tr);
		check(ts_tss[2].link == 0x18, "task 2's back link is TSS 0", ts_tss[2].link);
		back_in_task0("IRET back from task 2: task 0's registers", 0x28);

		ts_int();
		check(ts_runs[2] == r, "INT 0x40 through a task gate ran task 3", ts_runs[2]);
		check(ts_tss[3].link == 0x18, "task 3's back link is TSS 0", ts_tss[3].link);
		back_in_task0("IRET back from task 3: task 0's registers", 0x30);

		ts_task4_err = 0xffffffffu;
		ts_fault();
		check(ts_runs[3] == 2 * r - 1, "#GP through a task gate ran task 4", ts_runs[3]);
		check(ts_task4_err == 4, "#GP's error code on task 4's stack", ts_task4_err);
		back_in_task0("IRET back from task 4: task 0's registers", 0x38);

		ts_task4_err = 0xffffffffu;
		ts_busy();
		check(ts_runs[3] == 2 * r, "JMP to a busy TSS faulted (#GP to task 4)", ts_runs[3]);
		check(ts_task4_err == 0x18, "#GP's error code: the busy TSS's selector", ts_task4_err);
		back_in_task0("IRET back after the busy-TSS #GP: task 0's registers", 0x38);
		puts("round ");
		puthex(r);
		puts(": JMP, CALL/IRET, INT, #GP task switches, JMP to a busy TSS\n");
	}
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
	else if (streq(cmd, "tasks"))
		test_tasks();
	else
		check(0, "command line names a test", 0);
	puts(failures ? "Test result: FAILURE\n" : "Test result: SUCCESS\n");
	while (!(inb(COM1 + 5) & 0x40))
		;
	outb(0xf4, failures ? 3 : 0);
	for (;;)
		__asm__ volatile("cli; hlt");
}
