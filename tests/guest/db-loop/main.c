/* SPDX-License-Identifier: MIT */
/*
 * db-loop: the #DB delivery loop of CVE-2015-8104 (XSA-156), armed from
 * inside a guest. Vector 1 gets an IST stack, DR0 a data write breakpoint
 * (8 bytes) on the slot where the CPU pushes SS for that stack, and one
 * write there raises #DB; its delivery writes the slot again, so another
 * #DB is due before the handler's first instruction, for ever (debug traps
 * rank above interrupts, NMIs and the preemption timer). On hardware that
 * CPU never leaves the loop. Under Hintvisor each delivery must be a VM
 * exit: this guest then spins alone until its time_limit_ms (isolation.cfg)
 * stops it, while the neighbour VM completes. The handler never runs.
 * QEMU/TCG raises no #DB for the writes of an injected event's delivery, so
 * there the handler runs once and the test is skipped; elsewhere (Bochs)
 * that is a failure.
 */
#include "hvtest.h"

const char test_title[] = "db-loop: #DB on the #DB handler's own IST stack";

static uint8_t ist_stack[4096] __attribute__((aligned(4096)));

struct __attribute__((packed)) dtr {
	uint16_t limit;
	uint64_t base;
};

void db_ran(const uint64_t *frame);
void db_ran(const uint64_t *frame)
{
	uint32_t brand[4];
	uint64_t dr6;

	asm volatile("mov %%db6, %0" : "=r"(dr6));
	asm volatile("mov %0, %%db7" ::"r"(0x400UL));
	cpuid(0x80000002, &brand[0], &brand[1], &brand[2], &brand[3]);
	gprintf("the #DB handler ran (RIP %#lx, DR6 %#lx): the delivery of #DB raised no #DB\n",
		frame[0], dr6);
	if (brand[0] == 0x554d4551) /* "QEMU TCG CPU ..." */
		test_end(TEST_SKIP, "QEMU/TCG raises no #DB for the writes of event delivery");
	test_end(TEST_FAILURE, NULL);
}

asm(".text\n"
    "db_stub:\n"
    " movq %rsp, %rdi\n andq $-16, %rsp\n call db_ran\n"
    "1: hlt\n jmp 1b\n");
extern char db_stub[];

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
	uint64_t top = (uint64_t)ist_stack + sizeof(ist_stack), slot = top - 8;
	struct dtr idtr;
	uint8_t *gate;

	/* IST1 = top; gate 1 uses IST1 (bits 2:0 of byte 4 of the gate). */
	idt_set_gate(1, db_stub);
	__builtin_memcpy(tss_base() + 36, &top, 8);
	asm volatile("sidt %0" : "=m"(idtr));
	gate = (uint8_t *)(idtr.base + 16 * 1);
	gate[4] = (uint8_t)((gate[4] & ~7u) | 1);

	gprintf("arming the #DB loop: IST1 %#lx, DR0 = the SS slot %#lx (write, 8 bytes)\n", top,
		slot);
	asm volatile("mov %0, %%db0" ::"r"(slot));
	/* L0, R/W0 = 01 (data writes), LEN0 = 10 (8 bytes). */
	asm volatile("mov %0, %%db7" ::"r"(0x400UL | 1 | 1UL << 16 | 2UL << 18));
	*(volatile uint64_t *)slot = 0;
	asm volatile("mov %0, %%db7" ::"r"(0x400UL));
	test_end(TEST_FAILURE, "the write to the breakpoint slot raised no #DB");
}
