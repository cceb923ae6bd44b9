/* SPDX-License-Identifier: MIT */
/*
 * unbacked: guest-physical space that is neither RAM nor a device behaves
 * as on a PC: reads return all ones in the access's width, writes are lost,
 * for plain moves, ALU operations and string instructions alike (past the
 * end of RAM, at 0xff000000 below 4 GiB, between the two APIC pages).
 * Hypercall buffers there still get EFAULT. With cmdline "walk" the guest's
 * page tables point there and "idt" puts its IDT there: hardware would
 * read all ones and fault in ways no one can emulate, so those stop the VM
 * (expect files tests/guest/unbacked-walk, unbacked-idt).
 */
#include "hvtest.h"
#include <string.h>

const char test_title[] = "unbacked: outside RAM and devices, reads are all ones, writes lost";

#define HOLE 0xff000000ULL
#define APIC_GAP 0xfed00000ULL /* between the I/O APIC and the local APIC pages */

static void widths(uint64_t gpa)
{
	volatile uint8_t *b = (volatile uint8_t *)gpa;
	volatile uint16_t *w = (volatile uint16_t *)(gpa + 0x10);
	volatile uint32_t *d = (volatile uint32_t *)(gpa + 0x20);
	volatile uint64_t *q = (volatile uint64_t *)(gpa + 0x40);
	int64_t sx;

	EXPECT_EQ(*b, 0xff);
	EXPECT_EQ(*w, 0xffff);
	EXPECT_EQ(*d, 0xffffffff);
	EXPECT_EQ(*q, ~0ULL);
	asm volatile("movsbq (%1), %0" : "=r"(sx) : "r"(b) : "memory");
	EXPECT_EQ(sx, -1);
	/* Writes of each width are lost. */
	*b = 0x12;
	*w = 0x1234;
	*d = 0x12345678;
	*q = 0x1122334455667788ULL;
	EXPECT_EQ(*b, 0xff);
	EXPECT_EQ(*w, 0xffff);
	EXPECT_EQ(*d, 0xffffffff);
	EXPECT_EQ(*q, ~0ULL);
}

static void alu(uint64_t gpa)
{
	volatile uint32_t *d = (volatile uint32_t *)gpa;
	uint64_t flags;
	uint32_t r = 5;

	asm volatile("lock addl $1, %0" : "+m"(*d) : : "memory", "cc");
	EXPECT_EQ(*d, 0xffffffff);
	asm volatile("cmpl $-1, %1\n\tpushfq\n\tpopq %0" : "=r"(flags) : "m"(*d) : "memory", "cc");
	EXPECT_EQ(flags & 0x40, 0x40); /* ZF */
	asm volatile("addl %1, %0" : "+r"(r) : "m"(*d) : "cc");
	EXPECT_EQ(r, 4); /* 5 + 0xffffffff */
	asm volatile("xchgl %0, %1" : "+r"(r), "+m"(*d) : : "memory");
	EXPECT_EQ(r, 0xffffffff);
	EXPECT_EQ(*d, 0xffffffff);
}

static void strings(uint64_t gpa)
{
	static uint8_t buf[300];
	uint64_t n = sizeof(buf), src = gpa, dst = (uint64_t)buf;
	unsigned int bad = 0;

	memset(buf, 0x5a, sizeof(buf));
	/* rep movsb out of it: more than one exit's batch. */
	asm volatile("rep movsb" : "+S"(src), "+D"(dst), "+c"(n) : : "memory");
	for (unsigned int i = 0; i < sizeof(buf); i++)
		bad += buf[i] != 0xff;
	EXPECT_EQ(bad, 0);
	EXPECT_EQ(n, 0);
	EXPECT_EQ(src, gpa + sizeof(buf));
	/* rep stosq and rep movsq into it: lost, registers advance. */
	n = 40;
	dst = gpa;
	asm volatile("rep stosq" : "+D"(dst), "+c"(n) : "a"(0ULL) : "memory");
	EXPECT_EQ(dst, gpa + 320);
	EXPECT_EQ(*(volatile uint64_t *)gpa, ~0ULL);
	memset(buf, 0, sizeof(buf));
	n = 8;
	src = (uint64_t)buf;
	dst = gpa + 0x100;
	asm volatile("rep movsq" : "+S"(src), "+D"(dst), "+c"(n) : : "memory");
	EXPECT_EQ(n, 0);
	EXPECT_EQ(*(volatile uint64_t *)(gpa + 0x100), ~0ULL);
}

static void data_accesses(void)
{
	uint64_t end = start_info->mem_bytes;
	int64_t r;

	widths(HOLE);
	widths(APIC_GAP);
	widths(end);
	widths(end + 0x123000);
	alu(HOLE + 0x800);
	strings(HOLE + 0x2000);
	/* RAM right below the end is still RAM. */
	*(volatile uint64_t *)(end - 8) = 0xabcdef;
	EXPECT_EQ(*(volatile uint64_t *)(end - 8), 0xabcdef);
	/* The hypervisor's own accesses keep their rule. */
	r = (int64_t)hypercall(HV_HC_GET_STATS, HOLE, 64, 0, 0);
	EXPECT_EQ(r, -HV_EFAULT);
	gprintf("reads at %#llx, %#llx and past the end of RAM (%#lx) are all ones, writes lost\n",
		HOLE, APIC_GAP, end);
	test_end(test_failures() ? TEST_FAILURE : TEST_SUCCESS, NULL);
}

/* PML4 entry 1 (linear 512 GiB) names a page-directory-pointer table at
 * HOLE: the CPU's walk reads it from unbacked space. */
static void walk_there(void)
{
	uint64_t cr3, *pml4;

	asm volatile("mov %%cr3, %0" : "=r"(cr3));
	pml4 = (uint64_t *)(cr3 & ~0xfffULL);
	pml4[1] = HOLE | 3;
	asm volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
	gprintf("reading linear 0x8000000000 through a table at %#llx\n", HOLE);
	(void)*(volatile uint64_t *)0x8000000000ULL;
	test_end(TEST_FAILURE, "the access through a table outside RAM completed");
}

/* The IDT at HOLE: delivering #DE reads its gate from unbacked space. */
static void idt_there(void)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} idtr = { 0xfff, HOLE };
	unsigned int zero = 0, q;

	asm volatile("lidt %0" : : "m"(idtr));
	gprintf("dividing by zero with the IDT at %#llx\n", HOLE);
	asm volatile("xor %%edx, %%edx\n\tdivl %1" : "=a"(q) : "r"(zero), "a"(1) : "rdx");
	test_end(TEST_FAILURE, "the #DE delivery through an IDT outside RAM completed");
}

void test_main(void)
{
	const char *cmd = (const char *)start_info->cmdline_gpa;

	if (cmd && strstr(cmd, "walk"))
		walk_there();
	if (cmd && strstr(cmd, "idt"))
		idt_there();
	data_accesses();
}
