/* SPDX-License-Identifier: MIT */
/*
 * TSC frequency: CPUID leaf 0x15 when it gives one, else measured against
 * PIT channel 2 over 20 ms (the classic gate method). BSP, boot time.
 */
#include <asm/cpu.h>
#include <asm/tsc.h>

#define PIT_HZ 1193182u
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PIT_GATE 0x61

uint64_t tsc_hz;

static uint64_t from_cpuid(void)
{
	struct cpuid_regs r;

	if (cpuid(0, 0).eax < 0x15)
		return 0;
	r = cpuid(0x15, 0);
	if (!r.eax || !r.ebx || !r.ecx)
		return 0;
	return (uint64_t)r.ecx * r.ebx / r.eax;
}

static uint64_t from_pit(void)
{
	uint16_t count = (uint16_t)(PIT_HZ / 50); /* 20 ms */
	uint64_t t0, t1;
	unsigned long spins = 0;

	outb(PIT_GATE, (uint8_t)((inb(PIT_GATE) & ~0x02) | 0x01)); /* gate on, speaker off */
	outb(PIT_CMD, 0xb0); /* channel 2, lo/hi, mode 0 */
	outb(PIT_CH2, (uint8_t)count);
	outb(PIT_CH2, (uint8_t)(count >> 8));
	t0 = rdtsc();
	while (!(inb(PIT_GATE) & 0x20) && ++spins < 100000000UL)
		;
	t1 = rdtsc();
	return (t1 - t0) * 50;
}

void tsc_init(void)
{
	tsc_hz = from_cpuid();
	if (!tsc_hz)
		tsc_hz = from_pit();
	if (tsc_hz < 1000000)
		tsc_hz = 1000000000; /* no usable reference: assume 1 GHz */
}
