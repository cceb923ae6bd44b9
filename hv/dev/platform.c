/* SPDX-License-Identifier: MIT */
/*
 * PC platform ports (see platform.h). PIT: Intel 8254 datasheet (control
 * word, counter latch, read-back; modes 0-5). PM timer and PM1 blocks: ACPI
 * 6.4 §4.8.3. Ports 0x61 and 0x92: IBM PC/AT and PS/2 conventions.
 */
#include <asm/tsc.h>
#include <hv/dev/platform.h>
#include <hv/vm/vm.h>
#include <string.h>

#define PIT_CMD 0x43
#define PORT_B 0x61
#define PORT_A 0x92
#define RESET_CONTROL 0xcf9
#define KBD_STATUS 0x64
#define RTC_INDEX 0x70
#define RTC_DATA 0x71
#define PM1_SLP_EN (1u << 13)
#define PM1_SCI_EN (1u << 0)

void platform_reset(struct platform_ports *p)
{
	memset(p, 0, sizeof(*p));
	for (unsigned int i = 0; i < 3; i++) {
		p->pit[i].access = 3;
		p->pit[i].reload = 0x10000;
	}
	p->port_a = 2; /* A20 on */
	p->pm1_cnt = PM1_SCI_EN; /* ACPI mode from the start: no SMI_CMD */
}

/* Ticks of a clock of hz since TSC start (128-bit product: no overflow). */
static uint64_t ticks(uint64_t start, uint64_t now, uint64_t hz)
{
	if (!tsc_hz || now <= start)
		return 0;
	return (uint64_t)((unsigned __int128)(now - start) * hz / tsc_hz);
}

uint16_t platform_pit_count(const struct platform_ports *p, unsigned int ch, uint64_t now)
{
	const struct pit_channel *c = &p->pit[ch];
	uint64_t n, r = c->reload;

	if (!c->start || (ch == 2 && !(p->port_b & 1)))
		return (uint16_t)r; /* nothing loaded, or channel 2 gated off: holds */
	n = ticks(c->start, now, PLAT_PIT_HZ);
	switch (c->mode) {
	case 2: /* rate generator: reload .. 1 */
		return (uint16_t)(r - n % r);
	case 3: /* square wave: counts down by 2, twice per period */
		return (uint16_t)((r - (2 * n) % r) & ~1ULL);
	default: /* 0, 1, 4, 5: down from reload, wrapping past 0 */
		return (uint16_t)(r - n);
	}
}

/* OUT of a channel: for channel 2, what port B bit 5 shows. */
static bool pit_out(const struct platform_ports *p, unsigned int ch, uint64_t now)
{
	const struct pit_channel *c = &p->pit[ch];
	uint64_t n;

	if (!c->start)
		return c->mode != 0;
	if (ch == 2 && !(p->port_b & 1))
		return c->mode != 0 && c->mode != 1;
	n = ticks(c->start, now, PLAT_PIT_HZ);
	switch (c->mode) {
	case 0: /* high at terminal count, until the next load */
	case 1:
		return n >= c->reload;
	case 2:
		return n % c->reload != c->reload - 1;
	case 3:
		return 2 * (n % c->reload) < c->reload;
	default:
		return n != c->reload;
	}
}

static void pit_load(struct pit_channel *c, uint32_t count, uint64_t now)
{
	c->reload = count ? count : 0x10000;
	c->start = now ? now : 1;
	c->edges = 0;
}

/* TSC of PIT tick n of a count that started at TSC start (rounded up). */
static uint64_t pit_tick_tsc(uint64_t start, uint64_t n)
{
	return start + (uint64_t)(((unsigned __int128)n * tsc_hz + PLAT_PIT_HZ - 1) / PLAT_PIT_HZ);
}

/*
 * The PIT tick of channel 0's OUT rising edge number k (1, 2, ...), or 0 if
 * there is none: modes 2 and 3 rise at the end of every period, mode 0 at
 * terminal count, mode 4 one tick after it (the strobe ends); modes 1 and 5
 * count only after a rising gate, which channel 0's gate (tied high) never
 * gives.
 */
static uint64_t irq0_edge_tick(const struct pit_channel *c, uint64_t k)
{
	switch (c->mode) {
	case 2:
	case 3:
		return k * c->reload;
	case 0:
		return k == 1 ? c->reload : 0;
	case 4:
		return k == 1 ? c->reload + 1 : 0;
	default:
		return 0;
	}
}

uint64_t platform_pit_next_edge(const struct platform_ports *p)
{
	const struct pit_channel *c = &p->pit[0];
	uint64_t n;

	if (!c->start || !tsc_hz || !(n = irq0_edge_tick(c, c->edges + 1)))
		return UINT64_MAX;
	return pit_tick_tsc(c->start, n);
}

bool platform_pit_irq0(struct platform_ports *p, uint64_t now)
{
	struct pit_channel *c = &p->pit[0];

	if (now < platform_pit_next_irq0(p))
		return false;
	if (c->mode == 2 || c->mode == 3)
		c->edges = ticks(c->start, now, PLAT_PIT_HZ) / c->reload; /* every edge up to now */
	else
		c->edges = 1;
	return true;
}

static void pit_latch(struct platform_ports *p, unsigned int ch, uint64_t now)
{
	struct pit_channel *c = &p->pit[ch];

	if (c->latched)
		return; /* a second latch before the read is ignored */
	c->latch = platform_pit_count(p, ch, now);
	c->latched = true;
	c->read_hi = false;
}

static void pit_command(struct platform_ports *p, uint8_t v, uint64_t now)
{
	unsigned int ch = v >> 6;
	struct pit_channel *c;

	if (ch == 3) { /* read-back: latch the counts selected (status not offered) */
		if (!(v & 0x20))
			for (unsigned int i = 0; i < 3; i++)
				if (v & (2u << i))
					pit_latch(p, i, now);
		return;
	}
	c = &p->pit[ch];
	if (!(v & 0x30)) {
		pit_latch(p, ch, now);
		return;
	}
	c->access = (v >> 4) & 3;
	c->mode = (v >> 1) & 7;
	if (c->mode > 5)
		c->mode -= 4; /* 6, 7 are aliases of 2, 3 */
	c->write_hi = c->read_hi = c->latched = false;
	c->start = 0; /* a new control word stops the count until it is loaded */
	c->edges = 0;
}

void platform_pit_io(struct vcpu *v, void *ctx, uint16_t port, unsigned int size, bool in,
		     uint32_t *val)
{
	struct platform_ports *p = ctx;
	uint64_t now = rdtsc_now();
	struct pit_channel *c;
	uint16_t count;

	if (port == PIT_CMD) {
		if (in)
			*val = 0xff; /* the control word register cannot be read */
		else
			pit_command(p, (uint8_t)*val, now);
		return;
	}
	c = &p->pit[port - 0x40];
	if (!in) {
		uint8_t b = (uint8_t)*val;

		if (c->access == 1) {
			pit_load(c, b, now);
		} else if (c->access == 2) {
			pit_load(c, (uint32_t)b << 8, now);
		} else if (!c->write_hi) {
			c->reload_lo = b;
			c->write_hi = true;
		} else {
			pit_load(c, c->reload_lo | (uint32_t)b << 8, now);
			c->write_hi = false;
		}
		return;
	}
	count = c->latched ? c->latch : platform_pit_count(p, port - 0x40, now);
	if (c->access == 1 || (c->access == 3 && !c->read_hi)) {
		*val = count & 0xff;
		if (c->access == 3)
			c->read_hi = true;
		else
			c->latched = false;
	} else {
		*val = count >> 8;
		c->read_hi = false;
		c->latched = false;
	}
}

/* CMOS clock: a fixed, valid time (2026-01-01 00:00:00), update never in
 * progress; binary-coded decimal, 24-hour. */
static uint32_t rtc_read(uint8_t index)
{
	switch (index & 0x7f) {
	case 0x07: /* day of month */
	case 0x08: /* month */
		return 0x01;
	case 0x09:
		return 0x26;
	case 0x32:
		return 0x20;
	case 0x0a:
		return 0x26; /* UIP clear, 32.768 kHz base */
	case 0x0b:
		return 0x02; /* 24-hour, BCD */
	case 0x0d:
		return 0x80; /* valid RAM and time */
	default:
		return 0;
	}
}

/* The VM restarts from its images, or stops (on_reset=stop): hv/vm/vm.c. */
static void reset_request(struct vcpu *v, const char *how)
{
	vm_reset(v->vm, how);
}

void platform_misc_io(struct vcpu *v, void *ctx, uint16_t port, unsigned int size, bool in,
		      uint32_t *val)
{
	struct platform_ports *p = ctx;
	uint8_t b = (uint8_t)*val;

	switch (port) {
	case PORT_B:
		if (in) {
			uint64_t now = rdtsc_now();

			/* Bit 4 toggles with DRAM refresh (every 15 us), bit 5 is
			 * PIT channel 2's output. */
			*val = p->port_b | (ticks(0, now, 1000000) / 15 % 2 ? 0x10 : 0) |
			       (pit_out(p, 2, now) ? 0x20 : 0);
		} else {
			if (!(p->port_b & 1) && (b & 1) && p->pit[2].start)
				p->pit[2].start = rdtsc_now(); /* gate rising edge: restart */
			p->port_b = b & 3;
		}
		return;
	case PORT_A:
		if (in) {
			*val = p->port_a;
		} else {
			if (b & 1)
				reset_request(v, "port 0x92");
			p->port_a = b & 2;
		}
		return;
	case RESET_CONTROL:
		if (in) {
			*val = p->reset_ctl;
		} else {
			if (b & 4)
				reset_request(v, "port 0xcf9");
			p->reset_ctl = b & 0x0a;
		}
		return;
	case KBD_STATUS:
		if (in)
			*val = 0x1c; /* keyboard controller idle, no data */
		else if (b == 0xfe)
			reset_request(v, "keyboard controller");
		return;
	case RTC_INDEX:
		if (in)
			*val = p->rtc_index;
		else
			p->rtc_index = b;
		return;
	case RTC_DATA:
		if (in)
			*val = rtc_read(p->rtc_index);
		return;
	default: /* POST, IMCR: nothing to do (the 8259 always reaches LINT0) */
		if (in)
			*val = 0xff;
		return;
	}
}

void platform_power_on(struct platform_ports *p, uint64_t now)
{
	p->pm_epoch = now;
}

/*
 * A per-VM epoch, not the host's: VMs do not share a wrap point, and the
 * first wrap comes 4.69 s after the VM's power-on, not at some moment of its
 * boot. That matters to Linux, whose acpi_pm check at boot rejects the timer
 * when two consecutive reads go backwards by more than 0xfff ticks: across a
 * wrap, a read pair that spans another VM's time slice does.
 */
uint32_t platform_pm_timer(const struct platform_ports *p, uint64_t now)
{
	return (uint32_t)(ticks(p->pm_epoch, now, PLAT_PM_TIMER_HZ) & 0xffffff);
}

void platform_pm_io(struct vcpu *v, void *ctx, uint16_t port, unsigned int size, bool in,
		    uint32_t *val)
{
	struct platform_ports *p = ctx;

	switch (port) {
	case PLAT_PM1A_EVT: /* status: write 1 to clear; nothing ever sets one */
		if (in)
			*val = p->pm1_sts | (size > 2 ? (uint32_t)p->pm1_en << 16 : 0);
		else
			p->pm1_sts &= (uint16_t)~*val;
		if (!in && size > 2)
			p->pm1_en = (uint16_t)(*val >> 16);
		return;
	case PLAT_PM1A_EVT + 2:
		if (in)
			*val = p->pm1_en;
		else
			p->pm1_en = (uint16_t)*val;
		return;
	case PLAT_PM1A_CNT:
		if (in) {
			*val = p->pm1_cnt;
		} else {
			p->pm1_cnt = (uint16_t)((*val & 0x1c06) | PM1_SCI_EN);
			if (*val & PM1_SLP_EN) {
				unsigned int typ = (unsigned int)(*val >> 10) & 7;

				vm_console_flush(v->vm);
				if (typ == PLAT_SLP_TYP_S5)
					vm_crash(v->vm, "powered off by the guest (ACPI S5)");
				else
					vm_crash(v->vm, "sleep type %u requested by the guest "
						 "(only S5 is offered)", typ);
			}
		}
		return;
	case PLAT_PM_TMR:
		if (in)
			*val = platform_pm_timer(p, rdtsc_now());
		return;
	default:
		if (in)
			*val = 0xffffffff;
		return;
	}
}
