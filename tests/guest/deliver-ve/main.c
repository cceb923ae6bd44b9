/* SPDX-License-Identifier: MIT */
/*
 * deliver-ve: a discard fault raised by the delivery of an interrupt. The
 * gate of a self-IPI (vector 64) switches to an IST stack on a VOLATILE
 * page the host has dropped: the delivery takes a nested page fault, and
 * the host queues the discard fault (#VE, vector 20) while the interrupt,
 * already moved from the APIC's IRR to its ISR, waits to be delivered
 * again. Expected, as on a CPU that had not taken the interrupt yet: one
 * #VE for the stack page (the handler makes it STABLE and returns), then
 * the interrupt, once, and the VM runs on.
 */
#include "hvtest.h"

const char test_title[] = "deliver-ve: a discard fault during the delivery of an interrupt";

#define APIC_PAGE 0xfee00000UL
#define VEC 64

static uint64_t stack_gfn;
static volatile unsigned int order[4], nevents, irqs, ves;
static volatile uint64_t ve_gpa;

static void on_discard(volatile struct hv_ve_info *ve)
{
	ves++;
	if (nevents < 4)
		order[nevents++] = 20;
	ve_gpa = ve->gpa;
	if (hv_set_state(ve->gpa >> PAGE_SHIFT, HV_PAGE_STABLE) < 0)
		test_fail("making gfn %#lx STABLE failed", ve->gpa >> PAGE_SHIFT);
	ve->busy = 0;
}

void irq_handler(void);
void irq_handler(void)
{
	irqs++;
	if (nevents < 4)
		order[nevents++] = VEC;
	*(volatile uint32_t *)(APIC_PAGE + 0xb0) = 0; /* EOI */
}

asm(".text\n"
    "irq_stub:\n"
    " pushq %rax\n pushq %rcx\n pushq %rdx\n pushq %rsi\n pushq %rdi\n"
    " pushq %r8\n pushq %r9\n pushq %r10\n pushq %r11\n pushq %rbx\n"
    " movq %rsp, %rbx\n andq $-16, %rsp\n call irq_handler\n movq %rbx, %rsp\n"
    " popq %rbx\n popq %r11\n popq %r10\n popq %r9\n popq %r8\n"
    " popq %rdi\n popq %rsi\n popq %rdx\n popq %rcx\n popq %rax\n iretq\n");
extern char irq_stub[];

struct __attribute__((packed)) dtr {
	uint16_t limit;
	uint64_t base;
};

/* The 64-bit TSS the runtime loaded (TR), from its GDT descriptor. */
static uint8_t *tss_base(void)
{
	struct dtr gdtr;
	uint16_t tr;
	const uint64_t *d;

	asm volatile("sgdt %0; str %1" : "=m"(gdtr), "=r"(tr));
	d = (const uint64_t *)(gdtr.base + (tr & ~7u));
	return (uint8_t *)((d[0] >> 16 & 0xffffff) | (d[0] >> 56 & 0xff) << 24 | d[1] << 32);
}

void test_main(void)
{
	uint64_t range[1][2], top;
	struct hog hog;
	struct dtr idtr;
	uint8_t *gate;
	int64_t r;

	ve_register(on_discard);
	stack_gfn = alloc_frames(1);
	page_fill(stack_gfn, 1);
	EXPECT(hv_set_state(stack_gfn, HV_PAGE_VOLATILE) >= 0);
	range[0][0] = stack_gfn;
	range[0][1] = 1;
	hog_init_rest(&hog);
	if (!hog_until(&hog, (const uint64_t (*)[2])range, 1, HOST_ZERO_M, 64, 8 * hog.n))
		test_end(TEST_ERROR, "the host never dropped the volatile stack page");
	r = hv_get_state(stack_gfn);
	if (r < 0 || !(r & HV_RES_DISCARDED))
		test_end(TEST_ERROR, "the stack page is not discarded");
	gprintf("stack page gfn %#lx dropped by the host\n", stack_gfn);

	/* Vector 64 on IST1 = the top of the dropped page. */
	top = (stack_gfn + 1) << PAGE_SHIFT;
	__builtin_memcpy(tss_base() + 36, &top, 8);
	idt_set_gate(VEC, irq_stub);
	asm volatile("sidt %0" : "=m"(idtr));
	gate = (uint8_t *)(idtr.base + 16 * VEC);
	gate[4] = (uint8_t)((gate[4] & ~7u) | 1);

	/* A self-IPI, taken after STI; NOP. */
	*(volatile uint32_t *)(APIC_PAGE + 0xf0) = 0x1ff;
	asm volatile("cli");
	*(volatile uint32_t *)(APIC_PAGE + 0x300) = (1u << 18) | VEC;
	asm volatile("sti; nop; nop; cli" ::: "memory");

	gprintf("events: %u (#VE %u, interrupt %u), order %u %u, #VE at gpa %#lx\n", nevents, ves,
		irqs, order[0], order[1], ve_gpa);
	EXPECT_EQ(ves, 1);
	EXPECT_EQ(irqs, 1);
	EXPECT_EQ(order[0], 20);
	EXPECT_EQ(order[1], VEC);
	EXPECT_EQ(ve_gpa >> PAGE_SHIFT, stack_gfn);
	/* A second interrupt, now that the page is back: one more, no #VE. */
	*(volatile uint32_t *)(APIC_PAGE + 0x300) = (1u << 18) | VEC;
	asm volatile("sti; nop; nop; cli" ::: "memory");
	EXPECT_EQ(irqs, 2);
	EXPECT_EQ(ves, 1);
}
