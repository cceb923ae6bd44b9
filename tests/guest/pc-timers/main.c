/* SPDX-License-Identifier: MIT */
/*
 * pc-timers: the ACPI PM timer and the PIT count. The PM timer (port
 * 0x608, 24 bits, 3.579545 MHz) starts at 0 at the VM's power-on and
 * advances by what a TSC interval gives. PIT channel 0 in mode 2 counts
 * down from its reload value through latched reads; channel 2 in mode 0,
 * gated by port 0x61 bit 0, raises its output (port 0x61 bit 5) at terminal
 * count; the read-back command latches a count; port 0x61's refresh bit
 * toggles; channel 0's output is IRQ 0 through the 8259 (periodic, masked,
 * one-shot). Counts are checked against TSC intervals and the TSC frequency
 * from CPUID leaf 0x15, not against wall time.
 */
#include "hvtest.h"

const char test_title[] = "pc-timers: ACPI PM timer and PIT channels count from the TSC, IRQ 0";

#define PM_TMR 0x608
#define PIT_CH0 0x40
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PORT_B 0x61
#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
#define IRQ0_VEC 0x30

/* IRQ 0: count it, non-specific EOI to the master 8259. */
volatile uint64_t irq0_count;
void irq0_stub(void);
asm(".text\n.globl irq0_stub\nirq0_stub:\n\tpushq %rax\n\tmovb $0x20, %al\n"
    "\toutb %al, $0x20\n\tlock incq irq0_count(%rip)\n\tpopq %rax\n\tiretq\n");

/* TSC Hz from leaf 0x15 (crystal * EBX / EAX), as Hintvisor fills it. */
static uint64_t tsc_hz(void)
{
	uint32_t a, b, c, d;

	cpuid(0x15, &a, &b, &c, &d);
	return a ? (uint64_t)c * b / a : 0;
}

static void spin_tsc(uint64_t ticks)
{
	uint64_t t0 = rdtsc();

	while (rdtsc() - t0 < ticks)
		;
}

/* Ticks of a clock of hz in a TSC interval (rounded down). */
static uint64_t clock_ticks(uint64_t tsc, uint64_t hz, uint64_t thz)
{
	return (uint64_t)((unsigned __int128)tsc * hz / thz);
}

/*
 * Each read is bracketed by TSC reads, so the clock's advance between two
 * reads lies between what the inner and the outer TSC interval give, however
 * long an exit or another VM's time slice took: exact, not timed (+-1 for
 * rounding on each side).
 */
static void pm_timer(uint64_t thz)
{
	uint64_t a0, b0, a1, b1, got, lo, hi;
	uint32_t p0, p1;

	a0 = rdtsc();
	p0 = inl(PM_TMR);
	b0 = rdtsc();
	spin_tsc(thz / 50); /* 20 ms of TSC */
	a1 = rdtsc();
	p1 = inl(PM_TMR);
	b1 = rdtsc();
	EXPECT_EQ(p0 >> 24, 0);
	EXPECT_EQ(p1 >> 24, 0);
	got = (p1 - p0) & 0xffffff;
	lo = clock_ticks(a1 - b0, 3579545, thz);
	hi = clock_ticks(b1 - a0, 3579545, thz) + 2;
	gprintf("PM timer: %u -> %u, %lu ticks (between %lu and %lu)\n", p0, p1, got, lo, hi);
	EXPECT(got > 0);
	EXPECT(got + 2 >= lo && got <= hi);
	/*
	 * The timer counts from 0 at this VM's power-on, which is just before
	 * its first instruction: p0 is at least what the TSC gives since then,
	 * and not much more (1 << 20 ticks, 0.29 s, for the VM entry and any
	 * host delay before it). A host-wide epoch would put it anywhere.
	 */
	lo = clock_ticks(a0 - boot_tsc, 3579545, thz);
	hi = clock_ticks(b0 - boot_tsc, 3579545, thz) + (1u << 20);
	gprintf("PM timer since power-on: %u (between %lu and %lu)\n", p0, lo, hi);
	EXPECT(p0 + 2 >= lo && p0 <= hi);
}

static uint16_t pit_latched(unsigned int ch)
{
	uint8_t lo, hi;

	outb(PIT_CMD, (uint8_t)(ch << 6)); /* counter latch */
	lo = inb((uint16_t)(PIT_CH0 + ch));
	hi = inb((uint16_t)(PIT_CH0 + ch));
	return (uint16_t)(lo | hi << 8);
}

static void pit_ch0(uint64_t thz)
{
	uint64_t a0, b0, a1, b1, lo, hi, got;
	uint16_t c0, c1;

	outb(PIT_CMD, 0x34); /* channel 0, lo/hi, mode 2 */
	outb(PIT_CH0, 0x00);
	outb(PIT_CH0, 0x80); /* reload 0x8000: 27 ms period */
	a0 = rdtsc();
	c0 = pit_latched(0);
	b0 = rdtsc();
	spin_tsc(thz / 200); /* 5 ms: about 5966 PIT ticks */
	a1 = rdtsc();
	c1 = pit_latched(0);
	b1 = rdtsc();
	gprintf("PIT ch0 mode 2: %#x -> %#x\n", c0, c1);
	EXPECT(c0 >= 1 && c0 <= 0x8000);
	EXPECT(c1 >= 1 && c1 <= 0x8000);
	EXPECT(c0 != c1);
	lo = clock_ticks(a1 - b0, 1193182, thz);
	hi = clock_ticks(b1 - a0, 1193182, thz) + 2;
	got = ((uint32_t)c0 - c1 + 0x8000) % 0x8000;
	if (hi < 0x8000) /* within one period: the count down is exact */
		EXPECT(got + 2 >= lo && got <= hi);
	/* Read-back command: latch channel 0's count. */
	outb(PIT_CMD, 0xc2 | 0x20);
	c0 = inb(PIT_CH0);
	c0 |= (uint16_t)(inb(PIT_CH0) << 8);
	EXPECT(c0 >= 1 && c0 <= 0x8000);
	/* Mode 3 counts down by two: even values. */
	outb(PIT_CMD, 0x36);
	outb(PIT_CH0, 0x00);
	outb(PIT_CH0, 0x10);
	spin_tsc(thz / 1000);
	c0 = pit_latched(0);
	EXPECT_EQ(c0 & 1, 0);
	EXPECT(c0 <= 0x1000);
}

static void pit_ch2(uint64_t thz)
{
	uint64_t t0, t1;
	bool toggled = false;
	uint8_t b;

	outb(PORT_B, 0); /* gate off */
	outb(PIT_CMD, 0xb0); /* channel 2, lo/hi, mode 0 */
	outb(PIT_CH2, 0xff);
	outb(PIT_CH2, 0x0f); /* 0xfff ticks: 3.4 ms */
	EXPECT_EQ(inb(PORT_B) & 0x20, 0); /* mode 0: OUT low while counting */
	spin_tsc(thz / 200);
	EXPECT_EQ(pit_latched(2), 0xfff); /* gated off: holds */
	EXPECT_EQ(inb(PORT_B) & 0x20, 0);
	t0 = rdtsc();
	outb(PORT_B, 1); /* gate on: counting starts */
	EXPECT_EQ(inb(PORT_B) & 3, 1);
	while (!(inb(PORT_B) & 0x20) && rdtsc() - t0 < thz / 10)
		;
	t1 = rdtsc();
	gprintf("PIT ch2 mode 0: OUT high after %lu PIT ticks\n", clock_ticks(t1 - t0, 1193182, thz));
	EXPECT(inb(PORT_B) & 0x20);
	EXPECT(clock_ticks(t1 - t0, 1193182, thz) + 1 >= 0xfff); /* not before terminal count */
	t0 = rdtsc();
	b = inb(PORT_B) & 0x10;
	while (rdtsc() - t0 < thz / 500 && !toggled)
		if ((inb(PORT_B) & 0x10) != b)
			toggled = true;
	EXPECT(toggled); /* the refresh bit */
	outb(PORT_B, 0);
}

/* The 8259 pair at vectors base..base+15, 8086 mode, everything masked. */
static void pic_init(uint8_t base)
{
	outb(PIC1_CMD, 0x11);
	outb(PIC1_DATA, base);
	outb(PIC1_DATA, 4);
	outb(PIC1_DATA, 1);
	outb(PIC2_CMD, 0x11);
	outb(PIC2_DATA, (uint8_t)(base + 8));
	outb(PIC2_DATA, 2);
	outb(PIC2_DATA, 1);
	outb(PIC2_DATA, 0xff);
	outb(PIC1_DATA, 0xff);
}

/* Spin for TSC ticks with interrupts on. */
static void spin_sti(uint64_t ticks)
{
	asm volatile("sti");
	spin_tsc(ticks);
	asm volatile("cli");
}

/*
 * Wait with interrupts on until irq0_count reaches n or 2 s of TSC passed
 * (a hang guard, not a measurement); the TSC when it was seen there.
 */
static uint64_t wait_irq0(uint64_t n, uint64_t thz)
{
	uint64_t t0 = rdtsc(), t;

	asm volatile("sti");
	while (irq0_count < n && rdtsc() - t0 < 2 * thz)
		;
	t = rdtsc();
	asm volatile("cli");
	return t;
}

/*
 * Channel 0's OUT is IRQ 0. Mode 2 interrupts once per period: never more
 * often than the edges in the time elapsed allow. A masked edge stays
 * requested in the 8259 and comes once unmasked. Mode 0 interrupts once,
 * not before its terminal count.
 */
static void pit_irq0(uint64_t thz)
{
	const uint64_t period = clock_ticks(1193, thz, 1193182); /* TSC ticks per 1193 PIT ticks */
	uint64_t t0, t1, n, max;

	outb(PIT_CMD, 0x30); /* stop the count pit_ch0() left running */
	idt_set_gate(IRQ0_VEC, irq0_stub);
	pic_init(IRQ0_VEC);  /* clears what it requested */
	outb(PIT_CMD, 0x34); /* channel 0, lo/hi, mode 2 */
	t0 = rdtsc();
	outb(PIT_CH0, 1193 & 0xff);
	outb(PIT_CH0, 1193 >> 8); /* 1 ms */
	outb(PIC1_DATA, 0xfe);
	t1 = wait_irq0(20, thz);
	n = irq0_count;
	max = (t1 - t0) / period + 1;
	gprintf("PIT IRQ 0, mode 2: %lu interrupts, at most %lu edges\n", n, max);
	EXPECT(n >= 20);
	EXPECT(n <= max);
	/* Masked: nothing delivered, the edge stays requested. */
	outb(PIC1_DATA, 0xff);
	n = irq0_count;
	spin_sti(thz / 200);
	EXPECT_EQ(irq0_count, n);
	outb(PIT_CMD, 0x30); /* channel 0, lo/hi, mode 0: stops the count */
	outb(PIC1_DATA, 0xfe);
	spin_sti(thz / 1000);
	EXPECT_EQ(irq0_count, n + 1); /* the one requested while masked */
	/* Mode 0: one edge at terminal count (2386 ticks, 2 ms), then none. */
	t0 = rdtsc();
	outb(PIT_CH0, 2386 & 0xff);
	outb(PIT_CH0, 2386 >> 8);
	t1 = wait_irq0(n + 2, thz);
	gprintf("PIT IRQ 0, mode 0: after %lu PIT ticks (terminal count 2386)\n",
		clock_ticks(t1 - t0, 1193182, thz));
	EXPECT_EQ(irq0_count, n + 2);
	EXPECT(clock_ticks(t1 - t0, 1193182, thz) + 1 >= 2386);
	spin_sti(thz / 100);
	EXPECT_EQ(irq0_count, n + 2);
	outb(PIC1_DATA, 0xff);
}

void test_main(void)
{
	uint64_t thz = tsc_hz();

	if (!thz)
		test_end(TEST_ERROR, "no TSC frequency in CPUID leaf 0x15");
	gprintf("TSC %lu Hz\n", thz);
	pm_timer(thz);
	pit_ch0(thz);
	pit_ch2(thz);
	pit_irq0(thz);
	test_end(test_failures() ? TEST_FAILURE : TEST_SUCCESS, NULL);
}
