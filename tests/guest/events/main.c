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
 */
#include "hvtest.h"

const char test_title[] = "events: single-step over exits, delivery faults, #DF";

struct ev_frame {
	uint64_t rbx, r11, r10, r9, r8, rdi, rsi, rdx, rcx, rax;
	uint64_t vector, error, rip, cs, rflags, rsp, ss;
};

#define EV_MAX 8
static volatile uint64_t ev_count, ev_vec[EV_MAX], ev_err[EV_MAX], ev_rip[EV_MAX], ev_dr6[EV_MAX];
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
	uint64_t n = ev_count++, dr6;

	asm volatile("mov %%db6, %0" : "=r"(dr6));
	asm volatile("mov %0, %%db6" ::"r"(0xffff0ff0UL));
	if (n < EV_MAX) {
		ev_vec[n] = f->vector;
		ev_err[n] = f->error;
		ev_rip[n] = f->rip;
		ev_dr6[n] = dr6;
	}
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
	for (int i = 0; i < EV_MAX; i++)
		ev_vec[i] = ev_err[i] = ev_rip[i] = ev_dr6[i] = ~0ULL;
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
	stats_get(&before);
	for (int i = 0; i < 16; i++)
		ac_run((const uint8_t *)words + 2);
	stats_get(&after);
	asm volatile("mov %0, %%cr0" ::"r"(cr0));
	gprintf("16 #AC: %lu exits\n", after.exits - before.exits);
	if (after.exits - before.exits < 17)
		test_fail("16 #AC took %lu exits: #AC is not intercepted", after.exits - before.exits);
}

/*
 * On AMD SVM the host intercepts #DB too, for the reason it intercepts #AC:
 * a data breakpoint on the #DB handler's own stack would make each delivery
 * raise #DB again inside the CPU, with no exit (CVE-2015-8104). 16 single
 * steps over a NOP are then at least 16 exits (and each is one #DB with
 * BS, as without the intercept). VT-x needs no such guard.
 */
static void debug_intercept(void)
{
	struct hv_vm_stats before, after;
	uint32_t a = 0, b, c = 0, d;

	asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	if (b != 0x68747541) { /* "Auth"enticAMD */
		gprintf("#DB intercept: not an AMD CPU, nothing to check\n");
		return;
	}
	stats_get(&before);
	for (int i = 0; i < 16; i++) {
		ev_reset();
		asm volatile("leaq 1f(%%rip), %%rax\n movq %%rax, %[s]\n" TF_ON(0) "nop\n 1:"
			     : [s] "=m"(ev_stop_rip)
			     :
			     : "rax", "memory");
		expect_steps("TF over NOP (SVM, #DB intercepted)", ev_stop_rip, 0);
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
	debug_intercept();
	test_end(test_failures() ? TEST_FAILURE : TEST_SUCCESS, NULL);
}
