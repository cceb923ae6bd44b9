/* SPDX-License-Identifier: MIT */
/*
 * events: exceptions and interrupts around VM exits, as the SDM gives them.
 * - RFLAGS.TF over NOP, CPUID, an emulated port read, HLT (IF=1), STI; HLT
 *   and MOV SS; CPUID: exactly one #DB at the instruction after, DR6.BS set,
 *   the vCPU does not sleep through it.
 * - INT3, INT n, #UD, #GP(selector), an injected #GP (RDMSR of an unknown
 *   MSR) whose delivery pushes onto a page the host has
 *   not mapped yet (an EPT violation / nested page fault during delivery):
 *   delivered once, with the right return RIP and error code.
 * - #GP through a not-present gate (and the injected #GP): #DF, error 0.
 * - INTO raises #UD in 64-bit mode.
 * - #DB as the CPU delivers it, although both back ends intercept it (each
 *   delivery an exit, against the #DB loop of tests/guest/db-loop): a data
 *   breakpoint, an instruction breakpoint (RF=0 pushed, the handler sets RF
 *   to go on), a single step, general detect (BD, DR7.GD clear in the
 *   handler, RF as it was), INT1 (ICEBP) and INT3: vector, return RIP,
 *   DR6, DR7 and the pushed RF; 16 of them are at least 16 exits.
 * - #DB around MOV SS: traps held over the next instruction (also one that
 *   exits: CPUID, an APIC write raising a self-IPI), general detect not.
 * - RF: pushed as 1 with the faults the host raises for the instructions it
 *   emulates (#GP, #UD), clear after one it completed.
 */
#include "hvtest.h"

const char test_title[] = "events: single-step over exits, delivery faults, #DF";

struct ev_frame {
	uint64_t rbx, r11, r10, r9, r8, rdi, rsi, rdx, rcx, rax;
	uint64_t vector, error, rip, cs, rflags, rsp, ss;
};

#define EV_MAX 8
static volatile uint64_t ev_count, ev_vec[EV_MAX], ev_err[EV_MAX], ev_rip[EV_MAX], ev_dr6[EV_MAX];
static volatile uint64_t ev_rflags[EV_MAX], ev_dr7[EV_MAX];
/* Set RF in the frame (to go on after an instruction breakpoint). */
static volatile bool ev_set_rf;
/* Where the handler sends the guest back to (0: the return RIP), and the
 * return RIP at which it stops single-stepping. */
static volatile uint64_t ev_resume, ev_stop_rip;

/* ac_run(p): a 4-byte load from p at CPL 3 with RFLAGS.AC (CR0.AM is on);
 * the #AC handler resumes at ac_back, at CPL 0, which returns. */
void ac_run(const void *p);
extern char ac_back[], ac_load[];
uint64_t ac_kernel_rsp;
static uint8_t ac_user_stack[4096] __attribute__((aligned(16)));
uint8_t *ac_user_stack_top = ac_user_stack + sizeof(ac_user_stack);
asm(".text\n"
    ".globl ac_run\n"
    "ac_run:\n"
    " pushq %rbx\n pushq %rbp\n pushq %r12\n pushq %r13\n pushq %r14\n pushq %r15\n"
    " movq %rsp, ac_kernel_rsp(%rip)\n"
    " movq ac_user_stack_top(%rip), %r9\n"
    " pushq $0x23\n pushq %r9\n pushq $0x40002\n pushq $0x2b\n" /* SS, RSP, RFLAGS.AC, CS */
    " leaq ac_load(%rip), %r9\n pushq %r9\n iretq\n"
    ".globl ac_load\n"
    "ac_load:\n movl (%rdi), %eax\n ud2\n"
    ".globl ac_back\n"
    "ac_back:\n"
    " movq ac_kernel_rsp(%rip), %rsp\n"
    " popq %r15\n popq %r14\n popq %r13\n popq %r12\n popq %rbp\n popq %rbx\n ret\n");

void ev_handler(struct ev_frame *f);
void ev_handler(struct ev_frame *f)
{
	uint64_t n = ev_count++, dr6, dr7;

	asm volatile("mov %%db6, %0" : "=r"(dr6));
	asm volatile("mov %%db7, %0" : "=r"(dr7));
	asm volatile("mov %0, %%db6" ::"r"(0xffff0ff0UL));
	if (n < EV_MAX) {
		ev_vec[n] = f->vector;
		ev_err[n] = f->error;
		ev_rip[n] = f->rip;
		ev_dr6[n] = dr6;
		ev_dr7[n] = dr7;
		ev_rflags[n] = f->rflags;
	}
	if (ev_set_rf)
		f->rflags |= 1UL << 16;
	if (n >= EV_MAX || f->rip == ev_stop_rip || f->vector != 1)
		f->rflags &= ~0x100UL; /* TF off */
	if ((f->cs & 3) == 3) {
		/* From ac_run()'s CPL 3 code (#AC, or #UD at the ud2 after the
		 * load on a CPU that does not check alignment): back to
		 * ac_run() at CPL 0, AC off. */
		f->rip = (uint64_t)ac_back;
		f->cs = 0x08;
		f->ss = 0;
		f->rsp = ac_kernel_rsp;
		f->rflags &= ~0x40000UL;
		return;
	}
	if (ev_resume)
		f->rip = ev_resume;
}

/* Stubs: uniform frame (vector, error), then ev_handler(frame). */
asm(".text\n"
    ".macro EVSTUB vec, err\n"
    "ev_stub_\\vec:\n"
    ".if \\err == 0\n pushq $0\n .endif\n"
    " pushq $\\vec\n jmp ev_common\n"
    ".endm\n"
    "EVSTUB 1,0\nEVSTUB 3,0\nEVSTUB 6,0\nEVSTUB 8,1\nEVSTUB 11,1\nEVSTUB 13,1\nEVSTUB 17,1\n"
    "EVSTUB 64,0\n"
    "ev_common:\n"
    " pushq %rax\n pushq %rcx\n pushq %rdx\n pushq %rsi\n pushq %rdi\n"
    " pushq %r8\n pushq %r9\n pushq %r10\n pushq %r11\n pushq %rbx\n"
    " movq %rsp, %rdi\n movq %rsp, %rbx\n andq $-16, %rsp\n"
    " call ev_handler\n"
    " movq %rbx, %rsp\n"
    " popq %rbx\n popq %r11\n popq %r10\n popq %r9\n popq %r8\n"
    " popq %rdi\n popq %rsi\n popq %rdx\n popq %rcx\n popq %rax\n"
    " addq $16, %rsp\n iretq\n");
extern char ev_stub_1[], ev_stub_3[], ev_stub_6[], ev_stub_8[], ev_stub_11[], ev_stub_13[],
	ev_stub_17[], ev_stub_64[];

struct __attribute__((packed)) idtr {
	uint16_t limit;
	uint64_t base;
};

/* The IDT entry of vec (the double-fault test makes one not present). */
static uint64_t *idt_entry(unsigned int vec)
{
	struct idtr r;

	asm volatile("sidt %0" : "=m"(r));
	return (uint64_t *)(r.base + 16 * vec);
}

static void ev_reset(void)
{
	ev_count = 0;
	ev_resume = 0;
	ev_stop_rip = 0;
	ev_set_rf = false;
	for (int i = 0; i < EV_MAX; i++)
		ev_vec[i] = ev_err[i] = ev_rip[i] = ev_dr6[i] = ev_dr7[i] = ev_rflags[i] = ~0ULL;
}

/* Exactly one event: vector, error code, return RIP. */
static void expect_one(const char *what, uint64_t vec, uint64_t err, uint64_t rip)
{
	if (ev_count != 1)
		test_fail("%s: %lu events, expected 1", what, ev_count);
	if (ev_vec[0] != vec || ev_err[0] != err || ev_rip[0] != rip)
		test_fail("%s: vector %lu error %#lx RIP %#lx, expected %lu %#lx %#lx", what,
			  ev_vec[0], ev_err[0], ev_rip[0], vec, err, rip);
}

/*
 * A single-step run: one #DB at stop, and any other #DB only at the
 * instruction in between (after STI or MOV SS, where CPUs differ) once.
 */
static void expect_steps(const char *what, uint64_t stop, uint64_t mid)
{
	uint64_t n = ev_count, at_stop = 0;

	for (uint64_t i = 0; i < n && i < EV_MAX; i++) {
		if (ev_vec[i] != 1 || !(ev_dr6[i] & (1UL << 14)))
			test_fail("%s: event %lu vector %lu DR6 %#lx, expected #DB with BS", what, i,
				  ev_vec[i], ev_dr6[i]);
		if (ev_rip[i] == stop)
			at_stop++;
		else if (ev_rip[i] != mid || i > 0)
			test_fail("%s: #DB at RIP %#lx (expected %#lx)", what, ev_rip[i], stop);
	}
	if (at_stop != 1 || n > 2)
		test_fail("%s: %lu #DBs, %lu at RIP %#lx; expected exactly one there", what, n, at_stop,
			  stop);
}

#define TF_ON(extra) "pushfq\n orq $(0x100 | " #extra "), (%%rsp)\n popfq\n"

static void single_step(void)
{
	uint64_t mid = 0;
	uint8_t lsr;

	ev_reset();
	asm volatile("leaq 1f(%%rip), %%rax\n movq %%rax, %[s]\n" TF_ON(0) "nop\n 1:"
		     : [s] "=m"(ev_stop_rip)
		     :
		     : "rax", "memory");
	expect_steps("TF over NOP", ev_stop_rip, 0);

	ev_reset();
	asm volatile("leaq 1f(%%rip), %%rax\n movq %%rax, %[s]\n"
		     "xorl %%eax, %%eax\n xorl %%ecx, %%ecx\n" TF_ON(0) "cpuid\n 1:"
		     : [s] "=m"(ev_stop_rip)
		     :
		     : "rax", "rbx", "rcx", "rdx", "memory");
	expect_steps("TF over CPUID", ev_stop_rip, 0);

	ev_reset();
	asm volatile("leaq 1f(%%rip), %%rax\n movq %%rax, %[s]\n" TF_ON(0)
		     "inb $0xfd, %%al\n 1:" /* 0x3fd would need DX: use a low port */
		     : "=a"(lsr), [s] "=m"(ev_stop_rip)
		     :
		     : "memory");
	expect_steps("TF over IN (emulated port)", ev_stop_rip, 0);

	/* HLT with IF=1 (set by the same POPF): the trap after HLT is
	 * delivered at once; the vCPU must not sleep through it. */
	ev_reset();
	asm volatile("leaq 1f(%%rip), %%rax\n movq %%rax, %[s]\n" TF_ON(0x200)
		     "hlt\n 1: cli"
		     : [s] "=m"(ev_stop_rip)
		     :
		     : "rax", "memory");
	expect_steps("TF over HLT", ev_stop_rip, 0);

	/* STI; HLT: a #DB after STI (at HLT) is allowed, the one after HLT is
	 * due exactly once. */
	ev_reset();
	asm volatile("leaq 2f(%%rip), %%rax\n movq %%rax, %[m]\n"
		     "leaq 1f(%%rip), %%rax\n movq %%rax, %[s]\n" TF_ON(0)
		     "sti\n 2: hlt\n 1: cli"
		     : [s] "=m"(ev_stop_rip), [m] "=m"(mid)
		     :
		     : "rax", "memory");
	expect_steps("TF over STI; HLT", ev_stop_rip, mid);

	/* MOV SS; CPUID: the trap after MOV SS is held back to after CPUID. */
	ev_reset();
	asm volatile("leaq 2f(%%rip), %%rax\n movq %%rax, %[m]\n"
		     "leaq 1f(%%rip), %%rax\n movq %%rax, %[s]\n"
		     "movl %%ss, %%esi\n" TF_ON(0)
		     "movl %%esi, %%ss\n 2: cpuid\n 1:"
		     : [s] "=m"(ev_stop_rip), [m] "=m"(mid)
		     :
		     : "rax", "rbx", "rcx", "rdx", "rsi", "memory");
	expect_steps("TF over MOV SS; CPUID", ev_stop_rip, mid);
	gprintf("single step: NOP, CPUID, IN, HLT, STI;HLT, MOV SS;CPUID checked\n");
}

static uint64_t zero_fills(void)
{
	struct hv_vm_stats st;

	stats_get(&st);
	return st.zero_fills;
}

/* Fresh stack: the top of a page this guest never touched. */
static uint64_t fresh_stack(void)
{
	return (alloc_frames(1) + 1) << PAGE_SHIFT;
}

/* Run `insn` with RSP on a fresh page; the event's frame is the first write. */
#define ON_FRESH_STACK(insn, ...)                                                         \
	asm volatile("leaq 1f(%%rip), %%rax\n movq %%rax, %[r]\n"                         \
		     "leaq 2f(%%rip), %%rax\n movq %%rax, %[at]\n"                        \
		     "movq %%rsp, %%r12\n movq %[stk], %%rsp\n"                           \
		     "2: " insn "\n1: movq %%r12, %%rsp"                                  \
		     : [r] "=m"(ev_resume), [at] "=m"(at)                                 \
		     : [stk] "r"(fresh_stack()) __VA_ARGS__                              \
		     : "rax", "rcx", "rdx", "r12", "memory")

static void delivery_faults(void)
{
	uint64_t z0, at;

	ev_reset();
	z0 = zero_fills();
	ON_FRESH_STACK("int3");
	expect_one("INT3 on a fresh stack", 3, 0, ev_resume);
	EXPECT(zero_fills() > z0);

	ev_reset();
	z0 = zero_fills();
	ON_FRESH_STACK("int $64");
	expect_one("INT 64 on a fresh stack", 64, 0, ev_resume);
	EXPECT(zero_fills() > z0);

	ev_reset();
	z0 = zero_fills();
	ON_FRESH_STACK("ud2");
	expect_one("#UD on a fresh stack", 6, 0, at);
	EXPECT(zero_fills() > z0);

	ev_reset();
	z0 = zero_fills();
	ON_FRESH_STACK("movl $0x1230, %%eax\n movl %%eax, %%ds");
	expect_one("#GP(selector) on a fresh stack", 13, 0x1230, at + 5);
	EXPECT(zero_fills() > z0);

	/* An exception the hypervisor injects (#GP for an unknown MSR). */
	ev_reset();
	z0 = zero_fills();
	ON_FRESH_STACK("movl $0x4b564dff, %%ecx\n rdmsr");
	expect_one("injected #GP on a fresh stack", 13, 0, at + 5);
	EXPECT(zero_fills() > z0);
	gprintf("delivery onto an unmapped page: INT3, INT n, #UD, #GP, injected #GP once each\n");
}

static void double_fault(void)
{
	uint64_t *gp = idt_entry(13), saved = gp[0], at;

	gp[0] &= ~(1ULL << 47); /* #GP gate not present: #NP, contributory twice */
	ev_reset();
	asm volatile("leaq 1f(%%rip), %%rax\n movq %%rax, %[r]\n"
		     "movl $0x1230, %%eax\n movl %%eax, %%ds\n 1:"
		     : [r] "=m"(ev_resume)
		     :
		     : "rax", "memory");
	if (ev_count != 1 || ev_vec[0] != 8 || ev_err[0] != 0)
		test_fail("#GP via a not-present gate: %lu events, vector %lu error %#lx (expected #DF, 0)",
			  ev_count, ev_vec[0], ev_err[0]);
	ev_reset();
	asm volatile("leaq 1f(%%rip), %%rax\n movq %%rax, %[r]\n"
		     "movl $0x4b564dff, %%ecx\n rdmsr\n 1:"
		     : [r] "=m"(ev_resume)
		     :
		     : "rax", "rcx", "rdx", "memory");
	/* QEMU/TCG delivers an injected event without the double-fault rule
	 * and raises #NP for the gate (error code: IDT bit set); the SDM and
	 * APM give #DF. Either way exactly one event, and about gate 13. */
	if (ev_count == 1 && ev_vec[0] == 11 && (ev_err[0] & 2))
		gprintf("injected #GP via a not-present gate: #NP (error %#lx), not #DF: "
			"the CPU does not combine faults of injected events\n", ev_err[0]);
	else if (ev_count != 1 || ev_vec[0] != 8 || ev_err[0] != 0)
		test_fail("injected #GP via a not-present gate: %lu events, vector %lu error %#lx",
			  ev_count, ev_vec[0], ev_err[0]);
	gp[0] = saved;
	(void)at;
	gprintf("double fault: #GP and injected #GP through a not-present gate checked\n");
}

static void into_is_ud(void)
{
	uint64_t at;

	ev_reset();
	asm volatile("leaq 1f(%%rip), %%rax\n movq %%rax, %[r]\n"
		     "leaq 2f(%%rip), %%rax\n movq %%rax, %[at]\n"
		     "2: .byte 0xce\n 1:"
		     : [r] "=m"(ev_resume), [at] "=m"(at)
		     :
		     : "rax", "memory");
	expect_one("INTO in 64-bit mode", 6, 0, at);
}

/*
 * #AC (alignment check): CR0.AM and RFLAGS.AC at CPL 3, an unaligned load.
 * The guest gets exactly one #AC, error code 0, at the load. The host
 * intercepts #AC to deliver it itself (a #AC raised by its own delivery
 * would otherwise loop inside the CPU with no exit): 16 of them are at
 * least 16 exits, seen in the VM's exit count.
 */
static void alignment_check(void)
{
	static uint32_t words[4] __attribute__((aligned(16)));
	struct hv_vm_stats before, after;
	uint64_t cr0;

	user_mode_init();
	asm volatile("mov %%cr0, %0" : "=r"(cr0));
	asm volatile("mov %0, %%cr0" ::"r"(cr0 | (1UL << 18)));
	ev_reset();
	ac_run((const uint8_t *)words + 1);
	if (ev_count == 1 && ev_vec[0] == 6) {
		/* QEMU/TCG does not implement alignment checking. */
		asm volatile("mov %0, %%cr0" ::"r"(cr0));
		gprintf("alignment check: this CPU raised no #AC (the load ran, then ud2); skipped\n");
		return;
	}
	expect_one("#AC on an unaligned load at CPL 3", 17, 0, (uint64_t)ac_load);
	if (ev_count == 1 && !(ev_rflags[0] & (1UL << 16)))
		test_fail("#AC: pushed RFLAGS %#lx, expected RF=1 (a fault)", ev_rflags[0]);
	stats_get(&before);
	for (int i = 0; i < 16; i++)
		ac_run((const uint8_t *)words + 2);
	stats_get(&after);
	asm volatile("mov %0, %%cr0" ::"r"(cr0));
	gprintf("16 #AC: %lu exits\n", after.exits - before.exits);
	if (after.exits - before.exits < 17)
		test_fail("16 #AC took %lu exits: #AC is not intercepted", after.exits - before.exits);
}

#define RF (1UL << 16)
#define DR6_INIT 0xffff0ff0UL /* what the handler leaves in DR6 */
#define DR7_INIT 0x400UL
#define DR7_L0 1UL
#define DR7_GD (1UL << 13)
#define DR7_W0_8 ((1UL << 16) | (2UL << 18)) /* R/W0 = 01 (writes), LEN0 = 8 bytes */

/* The first event: a #DB (or vector vec) with this DR6, DR7 and pushed RF. */
static void expect_db(const char *what, uint64_t vec, uint64_t dr6, uint64_t dr7, uint64_t rf)
{
	if (ev_count < 1 || ev_vec[0] != vec)
		return; /* expect_one() said so */
	if (ev_dr6[0] != dr6)
		test_fail("%s: DR6 %#lx in the handler, expected %#lx", what, ev_dr6[0], dr6);
	if (ev_dr7[0] != dr7)
		test_fail("%s: DR7 %#lx in the handler, expected %#lx", what, ev_dr7[0], dr7);
	if ((ev_rflags[0] & RF) != rf)
		test_fail("%s: pushed RFLAGS %#lx, expected RF=%lu", what, ev_rflags[0], rf >> 16);
}

/* QEMU's TCG CPU ("QEMU TCG CPU version ..." in the brand string). */
static bool qemu_tcg(void)
{
	uint32_t r[4];

	cpuid(0x80000002, &r[0], &r[1], &r[2], &r[3]);
	return r[0] == 0x554d4551; /* "QEMU" */
}

/*
 * #DB as the hardware delivers it. Both back ends intercept #DB (the loop
 * of tests/guest/db-loop); what the guest sees must not change. Each case
 * starts with DR6 = DR6_INIT and checks one #DB: vector, return RIP, DR6
 * and DR7 in the handler, RF in the pushed RFLAGS (SDM §17.3.1.1: as it
 * was for traps and for instruction breakpoints; general detect is a fault
 * that, on hardware, also leaves RF as it was).
 */
static void debug_exceptions(void)
{
	static volatile uint64_t watch;
	uint64_t at, next;

	/* A data write breakpoint: a trap after the write, DR6.B0. */
	ev_reset();
	asm volatile("mov %0, %%db0" ::"r"(&watch));
	asm volatile("mov %0, %%db7" ::"r"(DR7_INIT | DR7_L0 | DR7_W0_8));
	asm volatile("movq $1, %[w]\n 1: leaq 1b(%%rip), %[n]" : [w] "=m"(watch), [n] "=r"(next));
	asm volatile("mov %0, %%db7" ::"r"(DR7_INIT));
	expect_one("data breakpoint", 1, 0, next);
	expect_db("data breakpoint", 1, DR6_INIT | 1, DR7_INIT | DR7_L0 | DR7_W0_8, 0);

	/* An instruction breakpoint: a fault at the NOP, RF=0 pushed; the
	 * handler sets RF, and the NOP then runs once. */
	ev_reset();
	ev_set_rf = true;
	asm volatile("leaq 1f(%%rip), %[a]\n mov %[a], %%db0\n mov %[d7], %%db7\n"
		     "1: nop\n mov %[d7i], %%db7"
		     : [a] "=&r"(at)
		     : [d7] "r"(DR7_INIT | DR7_L0), [d7i] "r"(DR7_INIT));
	expect_one("instruction breakpoint", 1, 0, at);
	expect_db("instruction breakpoint", 1, DR6_INIT | 1, DR7_INIT | DR7_L0, 0);

	/* A single step: a trap after the NOP, DR6.BS. */
	ev_reset();
	asm volatile("leaq 1f(%%rip), %%rax\n movq %%rax, %[s]\n" TF_ON(0) "nop\n 1:"
		     : [s] "=m"(ev_stop_rip)
		     :
		     : "rax", "memory");
	expect_one("single step", 1, 0, ev_stop_rip);
	expect_db("single step", 1, DR6_INIT | (1UL << 14), DR7_INIT, 0);

	/* General detect: a fault at the MOV DR, DR6.BD, and DR7.GD clear in
	 * the handler, so that the MOV runs again, once. */
	ev_reset();
	asm volatile("leaq 1f(%%rip), %[a]\n mov %[gd], %%db7\n"
		     "1: mov %%db0, %[n]"
		     : [a] "=&r"(at), [n] "=r"(next)
		     : [gd] "r"(DR7_INIT | DR7_GD));
	asm volatile("mov %0, %%db7" ::"r"(DR7_INIT));
	if (ev_count == 0 && qemu_tcg()) {
		gprintf("general detect: no #DB (QEMU/TCG 7.2 does not implement DR7.GD); skipped\n");
	} else {
		expect_one("general detect", 1, 0, at);
		expect_db("general detect", 1, DR6_INIT | (1UL << 13), DR7_INIT, 0);
	}

	/* INT1 (ICEBP): a trap-like #DB after it; DR6 and DR7 unchanged.
	 * QEMU/TCG takes INT1 as a stop for its own debugger and halts. */
	ev_reset();
	if (qemu_tcg()) {
		gprintf("INT1: QEMU/TCG stops the machine at INT1; skipped\n");
	} else {
		asm volatile("mov %[d7], %%db7\n .byte 0xf1\n 1: leaq 1b(%%rip), %[n]\n"
			     "mov %[d7i], %%db7"
			     : [n] "=r"(next)
			     : [d7] "r"(DR7_INIT | (1UL << 9)), [d7i] "r"(DR7_INIT));
		expect_one("INT1", 1, 0, next);
		expect_db("INT1", 1, DR6_INIT, DR7_INIT | (1UL << 9), 0);
	}

	/* INT3: #BP after it, DR6 unchanged. */
	ev_reset();
	asm volatile("int3\n 1: leaq 1b(%%rip), %[n]" : [n] "=r"(next));
	expect_one("INT3", 3, 0, next);
	expect_db("INT3", 3, DR6_INIT, DR7_INIT, 0);
	gprintf("#DB: data and instruction breakpoints, single step, general detect, INT1, INT3 "
		"checked\n");
}

/* Every event of a failed case, for the log. */
static void ev_dump(const char *what)
{
	for (uint64_t i = 0; i < ev_count && i < EV_MAX; i++)
		gprintf("  %s: event %lu: vector %lu RIP %#lx DR6 %#lx RF %lu\n", what, i, ev_vec[i],
			ev_rip[i], ev_dr6[i], (ev_rflags[i] >> 16) & 1);
}

/* Event i: this vector, return RIP and DR6 (~0: any DR6). */
static bool ev_is(uint64_t i, uint64_t vec, uint64_t rip, uint64_t dr6)
{
	return i < ev_count && i < EV_MAX && ev_vec[i] == vec && ev_rip[i] == rip &&
	       (dr6 == ~0ULL || ev_dr6[i] == dr6);
}

static void expect_events(const char *what, bool ok)
{
	if (!ok) {
		test_fail("%s: %lu events, not as the SDM gives them", what, ev_count);
		ev_dump(what);
	}
}

#define DR7_RW0_2 ((3UL << 16) | (1UL << 18)) /* R/W0 = 11 (reads and writes), LEN0 = 2 */
#define DR6_B0 1UL
#define DR6_BD (1UL << 13)
#define DR6_BS (1UL << 14)
#define APIC_PAGE 0xfee00000UL

static uint16_t ss_sel; /* what MOV SS loads: the SS we run on */

/*
 * #DB and MOV SS (SDM Vol. 3A §6.8.3, "Masking Exceptions and Interrupts
 * When Switching Stacks"): debug traps of MOV SS (its single step, a data
 * breakpoint on its operand) are held until after the next instruction and
 * then come before interrupts (Table 6-2: traps on the previous instruction
 * outrank NMIs and interrupts); faults of the next instruction (general
 * detect) are not held. What the CPU leaves open (an instruction
 * breakpoint right after MOV SS "may not be triggered") is checked loosely.
 * Where the next instruction exits (CPUID, an APIC write) the hypervisor
 * must keep the held trap: one #DB after the instruction with every cause
 * in DR6, before the interrupt that instruction raised. QEMU/TCG does not
 * hold data breakpoints over the next instruction and has no general
 * detect: those cases are only reported there.
 */
static void mov_ss_debug(void)
{
	bool q = qemu_tcg();
	uint64_t l1, l2, l3, dummy;
	static volatile uint64_t watch;

	asm volatile("movw %%ss, %0" : "=m"(ss_sel));

	/* A data breakpoint on the MOV SS operand: one #DB after the NOP. */
	ev_reset();
	asm volatile("mov %0, %%db0" ::"r"(&ss_sel));
	asm volatile("leaq 1f(%%rip), %[l1]\n leaq 2f(%%rip), %[l2]\n mov %[d7], %%db7\n"
		     "movw %[ss], %%ss\n 1: nop\n 2: mov %[d7i], %%db7"
		     : [l1] "=&r"(l1), [l2] "=&r"(l2)
		     : [d7] "r"(DR7_INIT | DR7_L0 | DR7_RW0_2), [d7i] "r"(DR7_INIT), [ss] "m"(ss_sel));
	if (q && ev_count == 1 && ev_is(0, 1, l1, DR6_INIT | DR6_B0))
		gprintf("MOV SS (data breakpoint); NOP: #DB before the NOP (QEMU/TCG)\n");
	else
		expect_events("MOV SS (data breakpoint); NOP",
			      ev_count == 1 && ev_is(0, 1, l2, DR6_INIT | DR6_B0));

	/* MOV SS; a write that hits a data breakpoint: #DB after the write. */
	ev_reset();
	asm volatile("mov %0, %%db0" ::"r"(&watch));
	asm volatile("leaq 1f(%%rip), %[l1]\n mov %[d7], %%db7\n"
		     "movw %[ss], %%ss\n movq $1, %[w]\n 1: mov %[d7i], %%db7"
		     : [l1] "=&r"(l1), [w] "=m"(watch)
		     : [d7] "r"(DR7_INIT | DR7_L0 | DR7_W0_8), [d7i] "r"(DR7_INIT), [ss] "m"(ss_sel));
	expect_events("MOV SS; write to a data breakpoint",
		      ev_count == 1 && ev_is(0, 1, l1, DR6_INIT | DR6_B0));

	/* TF; MOV SS; MOV DR under DR7.GD: the general-detect fault at the MOV
	 * DR is not held (DR6.BD; the MOV SS single step may be reported with
	 * it or lost), then single steps after the MOV DR and the NOP. */
	ev_reset();
	asm volatile("leaq 1f(%%rip), %[l1]\n leaq 2f(%%rip), %[l2]\n leaq 3f(%%rip), %[l3]\n"
		     "mov %[gd], %%db7\n" TF_ON(0)
		     "movw %[ss], %%ss\n 1: mov %%db0, %%rax\n 2: nop\n 3:"
		     "pushfq\n andq $~0x100, (%%rsp)\n popfq\n"
		     : [l1] "=&r"(l1), [l2] "=&r"(l2), [l3] "=&r"(l3)
		     : [gd] "r"(DR7_INIT | DR7_GD), [ss] "m"(ss_sel)
		     : "rax", "memory");
	asm volatile("mov %0, %%db7" ::"r"(DR7_INIT));
	if (q && ev_count >= 2 && ev_is(0, 1, l2, DR6_INIT | DR6_BS))
		gprintf("TF; MOV SS; MOV DR under GD: no general detect (QEMU/TCG)\n");
	else
		expect_events("TF; MOV SS; MOV DR under GD",
			      ev_count >= 3 && ev_is(0, 1, l1, ~0ULL) && (ev_dr6[0] & DR6_BD) &&
				      (ev_dr6[0] & ~DR6_BS) == (DR6_INIT | DR6_BD) &&
				      ev_dr7[0] == DR7_INIT && ev_is(1, 1, l2, DR6_INIT | DR6_BS) &&
				      ev_is(2, 1, l3, DR6_INIT | DR6_BS));

	/* TF and a data breakpoint on the MOV SS operand; CPUID (an exit):
	 * both traps held to after CPUID, as one #DB with B0 and BS. */
	ev_reset();
	asm volatile("mov %0, %%db0" ::"r"(&ss_sel));
	asm volatile("leaq 1f(%%rip), %[l1]\n movq %[l1], %[s]\n mov %[d7], %%db7\n"
		     "xorl %%eax, %%eax\n xorl %%ecx, %%ecx\n" TF_ON(0)
		     "movw %[ss], %%ss\n cpuid\n 1: mov %[d7i], %%db7"
		     : [l1] "=&r"(l1), [s] "=m"(ev_stop_rip)
		     : [d7] "r"(DR7_INIT | DR7_L0 | DR7_RW0_2), [d7i] "r"(DR7_INIT), [ss] "m"(ss_sel)
		     : "rax", "rbx", "rcx", "rdx", "memory");
	if (q && ev_count == 2 && ev_vec[0] == 1 && ev_dr6[0] == (DR6_INIT | DR6_B0))
		gprintf("TF, MOV SS (data breakpoint); CPUID: B0 before CPUID (QEMU/TCG)\n");
	else
		expect_events("TF, MOV SS (data breakpoint); CPUID",
			      ev_count == 1 && ev_is(0, 1, l1, DR6_INIT | DR6_B0 | DR6_BS));

	/* A data breakpoint on the MOV SS operand, then a self-IPI written to
	 * the APIC (an exit) with IF=1: the #DB after the write, then the
	 * interrupt (after the #DB handler's IRET, at the same RIP). */
	ev_reset();
	*(volatile uint32_t *)(APIC_PAGE + 0xf0) = 0x1ff; /* SVR: APIC on */
	asm volatile("mov %0, %%db0" ::"r"(&ss_sel));
	asm volatile("leaq 1f(%%rip), %[l1]\n mov %[d7], %%db7\n sti\n nop\n"
		     "movw %[ss], %%ss\n movl %[icr], (%[apic])\n 1: cli\n mov %[d7i], %%db7"
		     : [l1] "=&r"(l1)
		     : [d7] "r"(DR7_INIT | DR7_L0 | DR7_RW0_2), [d7i] "r"(DR7_INIT), [ss] "m"(ss_sel),
		       [icr] "r"(0x40000 | 64), [apic] "r"(APIC_PAGE + 0x300)
		     : "memory");
	*(volatile uint32_t *)(APIC_PAGE + 0xb0) = 0; /* EOI */
	if (q && ev_count == 2 && ev_vec[0] == 1 && ev_is(1, 64, l1, ~0ULL))
		gprintf("MOV SS (data breakpoint); self-IPI: B0 before the write (QEMU/TCG)\n");
	else
		expect_events("MOV SS (data breakpoint); self-IPI",
			      ev_count == 2 && ev_is(0, 1, l1, DR6_INIT | DR6_B0) &&
				      ev_is(1, 64, l1, ~0ULL));

	/* INT3 and INT1 right after MOV SS under TF: the MOV SS single step is
	 * not delivered before them; INT1's #DB reports no BS. */
	ev_reset();
	asm volatile("leaq 1f(%%rip), %[l1]\n" TF_ON(0) "movw %[ss], %%ss\n int3\n 1:"
		     "pushfq\n andq $~0x100, (%%rsp)\n popfq\n"
		     : [l1] "=&r"(l1)
		     : [ss] "m"(ss_sel)
		     : "memory");
	expect_events("TF; MOV SS; INT3", ev_count == 1 && ev_is(0, 3, l1, DR6_INIT));
	if (!q) {
		ev_reset();
		ev_stop_rip = 0;
		asm volatile("leaq 1f(%%rip), %[l1]\n movq %[l1], %[s]\n" TF_ON(0)
			     "movw %[ss], %%ss\n .byte 0xf1\n 1:"
			     "pushfq\n andq $~0x100, (%%rsp)\n popfq\n"
			     : [l1] "=&r"(l1), [s] "=m"(ev_stop_rip)
			     : [ss] "m"(ss_sel)
			     : "memory");
		expect_events("TF; MOV SS; INT1", ev_count == 1 && ev_is(0, 1, l1, DR6_INIT));
	}

	/* An instruction breakpoint on the instruction after MOV SS: if the
	 * CPU reports it, once, at that instruction, with RF=0 pushed. */
	ev_reset();
	ev_set_rf = true;
	asm volatile("leaq 1f(%%rip), %[l1]\n mov %[l1], %%db0\n mov %[d7], %%db7\n"
		     "movw %[ss], %%ss\n 1: nop\n mov %[d7i], %%db7"
		     : [l1] "=&r"(l1)
		     : [d7] "r"(DR7_INIT | DR7_L0), [d7i] "r"(DR7_INIT), [ss] "m"(ss_sel));
	expect_events("MOV SS; instruction breakpoint",
		      ev_count == 0 || (ev_count == 1 && ev_is(0, 1, l1, DR6_INIT | DR6_B0) &&
					!(ev_rflags[0] & RF)));
	(void)dummy;
	gprintf("#DB and MOV SS: data breakpoints, general detect, CPUID and a self-IPI in the "
		"shadow, INT3/INT1, instruction breakpoint checked\n");
}

/*
 * RF around instructions the host emulates. A fault it raises for one
 * (#GP for RDMSR of an unknown MSR, #UD for MONITOR, which CPUID hides)
 * pushes RF=1, as the CPU's own faults do (SDM §17.3.1.1), so that the
 * handler's IRET does not meet an instruction breakpoint on it again; an
 * emulated instruction that completes leaves RF clear, as any instruction
 * does, so an instruction breakpoint on the next one hits (after an
 * emulated write to the APIC page, whose EPT-violation exit saves RF=1).
 */
static void emulated_insn_rf(void)
{
	uint64_t at, next;

	ev_reset();
	asm volatile("leaq 1f(%%rip), %%rax\n movq %%rax, %[r]\n leaq 2f(%%rip), %[at]\n"
		     "movl $0x4b564dff, %%ecx\n 2: rdmsr\n 1:"
		     : [r] "=m"(ev_resume), [at] "=&r"(at)
		     :
		     : "rax", "rcx", "rdx", "memory");
	expect_one("injected #GP (RDMSR)", 13, 0, at);
	if (ev_count == 1 && !(ev_rflags[0] & RF))
		test_fail("injected #GP (RDMSR): pushed RFLAGS %#lx, expected RF=1", ev_rflags[0]);

	ev_reset();
	asm volatile("leaq 1f(%%rip), %%rax\n movq %%rax, %[r]\n leaq 2f(%%rip), %[at]\n"
		     "leaq %[r], %%rax\n xorl %%ecx, %%ecx\n xorl %%edx, %%edx\n 2: monitor\n 1:"
		     : [r] "+m"(ev_resume), [at] "=&r"(at)
		     :
		     : "rax", "rcx", "rdx", "memory");
	expect_one("injected #UD (MONITOR)", 6, 0, at);
	if (ev_count == 1 && !(ev_rflags[0] & RF))
		test_fail("injected #UD (MONITOR): pushed RFLAGS %#lx, expected RF=1", ev_rflags[0]);

	/* An instruction breakpoint on the instruction after an APIC write. */
	ev_reset();
	ev_set_rf = true;
	asm volatile("leaq 1f(%%rip), %[n]\n mov %[n], %%db0\n mov %[d7], %%db7\n"
		     "movl %[zero], (%[tpr])\n 1: nop\n mov %[d7i], %%db7"
		     : [n] "=&r"(next)
		     : [d7] "r"(DR7_INIT | DR7_L0), [d7i] "r"(DR7_INIT), [zero] "r"(0),
		       [tpr] "r"(APIC_PAGE + 0x80)
		     : "memory");
	expect_one("instruction breakpoint after an APIC write", 1, 0, next);
	gprintf("RF: injected #GP and #UD push RF=1; an emulated APIC write leaves RF clear\n");
}

/*
 * Both back ends intercept #DB, for the reason they intercept #AC: a data
 * breakpoint on the #DB handler's own stack would make each delivery raise
 * #DB again inside the CPU, with no exit (CVE-2015-8104). 16 single steps
 * over a NOP are then at least 16 exits (and each is one #DB with BS, as
 * without the intercept).
 */
static void debug_intercept(void)
{
	struct hv_vm_stats before, after;

	stats_get(&before);
	for (int i = 0; i < 16; i++) {
		ev_reset();
		asm volatile("leaq 1f(%%rip), %%rax\n movq %%rax, %[s]\n" TF_ON(0) "nop\n 1:"
			     : [s] "=m"(ev_stop_rip)
			     :
			     : "rax", "memory");
		expect_steps("TF over NOP (#DB intercepted)", ev_stop_rip, 0);
	}
	stats_get(&after);
	gprintf("16 single steps: %lu exits\n", after.exits - before.exits);
	if (after.exits - before.exits < 17)
		test_fail("16 single steps took %lu exits: #DB is not intercepted",
			  after.exits - before.exits);
}

void test_main(void)
{
	idt_set_gate(1, ev_stub_1);
	idt_set_gate(3, ev_stub_3);
	idt_set_gate(6, ev_stub_6);
	idt_set_gate(8, ev_stub_8);
	idt_set_gate(11, ev_stub_11);
	idt_set_gate(13, ev_stub_13);
	idt_set_gate(17, ev_stub_17);
	idt_set_gate(64, ev_stub_64);

	single_step();
	delivery_faults();
	double_fault();
	into_is_ud();
	alignment_check();
	debug_exceptions();
	mov_ss_debug();
	emulated_insn_rf();
	debug_intercept();
	test_end(test_failures() ? TEST_FAILURE : TEST_SUCCESS, NULL);
}
