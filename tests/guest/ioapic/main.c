/* SPDX-License-Identifier: MIT */
/*
 * ioapic: the I/O APIC at 0xfec00000. Version and ID registers; 24
 * redirection entries masked at reset; read-only bits (delivery status,
 * remote IRR) stay clear when written; an interrupt delivered through it
 * from a real source, COM1's THRE interrupt on IRQ 4, edge triggered; a
 * masked pin delivers nothing, unmasking a level pin whose line is asserted
 * delivers; level triggered: remote IRR set on delivery, the local APIC's
 * TMR bit set, no second interrupt before the EOI, the EOI broadcast clears
 * remote IRR and, the line still asserted, delivers again; once the source
 * is quiet, an EOI ends it. The 8259s stay masked throughout.
 */
#include "hvtest.h"

const char test_title[] = "ioapic: registers, masking, edge and level delivery, remote IRR, EOI";

#define IOAPIC 0xfec00000ULL
#define LAPIC 0xfee00000ULL
#define COM1 0x3f8
#define VEC 0x41
#define PIN 4 /* COM1 */
#define RTE_MASKED (1u << 16)
#define RTE_LEVEL (1u << 15)
#define RTE_REMOTE_IRR (1u << 14)
#define RTE_PENDING (1u << 12)

volatile uint64_t irq_count;
void irq_stub(void);
/* Count and return; the test sends the EOI itself, when it wants to. */
asm(".text\n.globl irq_stub\nirq_stub:\n\tlock incq irq_count(%rip)\n\tiretq\n");

static uint32_t io_read(unsigned int reg)
{
	*(volatile uint32_t *)IOAPIC = reg;
	return *(volatile uint32_t *)(IOAPIC + 0x10);
}

static void io_write(unsigned int reg, uint32_t v)
{
	*(volatile uint32_t *)IOAPIC = reg;
	*(volatile uint32_t *)(IOAPIC + 0x10) = v;
}

static volatile uint32_t *lapic(unsigned int off)
{
	return (volatile uint32_t *)(LAPIC + off);
}

/* Let pending interrupts in: a window of open IF. */
static void window(void)
{
	for (int i = 0; i < 100; i++)
		asm volatile("sti; nop; nop; cli" ::: "memory");
}

/* COM1's interrupt line: THRE interrupt enabled with OUT2 is asserted
 * (the transmitter is always empty) until IER is cleared. */
static void com1_irq(bool on)
{
	outb(COM1 + 4, on ? 0x08 : 0x00); /* MCR.OUT2 */
	outb(COM1 + 1, on ? 0x02 : 0x00); /* IER.THRI */
}

static bool tmr_bit(unsigned int vec)
{
	return *lapic(0x180 + (vec / 32) * 0x10) & (1u << (vec % 32));
}

static void registers(void)
{
	uint32_t ver = io_read(1);

	gprintf("I/O APIC: ID %u, version %#x, %u pins\n", io_read(0) >> 24, ver & 0xff,
		((ver >> 16) & 0xff) + 1);
	EXPECT_EQ(ver & 0xff, 0x11);
	EXPECT_EQ((ver >> 16) & 0xff, 23);
	EXPECT_EQ(io_read(0) >> 24, 1);
	for (unsigned int p = 0; p < 24; p++) {
		EXPECT_EQ(io_read(0x10 + 2 * p) & RTE_MASKED, RTE_MASKED);
		EXPECT_EQ(io_read(0x11 + 2 * p), 0);
	}
	/* Read-only bits stay clear; the rest read back. */
	io_write(0x10 + 2 * 7, RTE_MASKED | RTE_REMOTE_IRR | RTE_PENDING | RTE_LEVEL | 0x2055);
	io_write(0x11 + 2 * 7, 0xab000000);
	EXPECT_EQ(io_read(0x10 + 2 * 7), RTE_MASKED | RTE_LEVEL | 0x2055);
	EXPECT_EQ(io_read(0x11 + 2 * 7), 0xab000000);
	io_write(0x10 + 2 * 7, RTE_MASKED);
	io_write(0x11 + 2 * 7, 0);
}

static void edge(void)
{
	irq_count = 0;
	com1_irq(false);
	io_write(0x11 + 2 * PIN, 0); /* physical destination APIC 0 */
	io_write(0x10 + 2 * PIN, VEC); /* edge, active high, fixed, unmasked */
	window();
	EXPECT_EQ(irq_count, 0);
	com1_irq(true); /* rising edge */
	window();
	EXPECT_EQ(irq_count, 1);
	EXPECT(!tmr_bit(VEC));
	*lapic(0xb0) = 0;
	window();
	EXPECT_EQ(irq_count, 1); /* edge: one interrupt per edge */
	com1_irq(false);
	/* Masked: the edge is not delivered. */
	io_write(0x10 + 2 * PIN, VEC | RTE_MASKED);
	com1_irq(true);
	window();
	EXPECT_EQ(irq_count, 1);
	com1_irq(false);
	gprintf("edge: %lu interrupt(s) through pin %u\n", irq_count, PIN);
}

static void level(void)
{
	irq_count = 0;
	com1_irq(true); /* asserted, pin masked */
	io_write(0x10 + 2 * PIN, VEC | RTE_LEVEL | RTE_MASKED);
	window();
	EXPECT_EQ(irq_count, 0);
	EXPECT_EQ(io_read(0x10 + 2 * PIN) & RTE_REMOTE_IRR, 0);
	io_write(0x10 + 2 * PIN, VEC | RTE_LEVEL); /* unmask: the asserted line delivers */
	window();
	EXPECT_EQ(irq_count, 1);
	EXPECT_EQ(io_read(0x10 + 2 * PIN) & RTE_REMOTE_IRR, RTE_REMOTE_IRR);
	EXPECT(tmr_bit(VEC));
	window();
	EXPECT_EQ(irq_count, 1); /* remote IRR holds it until the EOI */
	*lapic(0xb0) = 0; /* EOI broadcast: line still asserted -> again */
	window();
	EXPECT_EQ(irq_count, 2);
	EXPECT_EQ(io_read(0x10 + 2 * PIN) & RTE_REMOTE_IRR, RTE_REMOTE_IRR);
	com1_irq(false); /* the source is quiet */
	*lapic(0xb0) = 0;
	window();
	EXPECT_EQ(irq_count, 2);
	EXPECT_EQ(io_read(0x10 + 2 * PIN) & RTE_REMOTE_IRR, 0);
	EXPECT(!tmr_bit(VEC));
	gprintf("level: %lu interrupts, remote IRR cleared by EOI\n", irq_count);
	io_write(0x10 + 2 * PIN, RTE_MASKED);
}

void test_main(void)
{
	outb(0x21, 0xff); /* 8259s masked */
	outb(0xa1, 0xff);
	idt_set_gate(VEC, irq_stub);
	*lapic(0xf0) = 0x1ff; /* software-enable the local APIC, spurious vector 0xff */
	*lapic(0x80) = 0;     /* TPR 0 */
	registers();
	edge();
	level();
	test_end(test_failures() ? TEST_FAILURE : TEST_SUCCESS, NULL);
}
