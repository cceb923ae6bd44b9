/* SPDX-License-Identifier: MIT */
/*
 * The PC ports an OS pokes at start-up: the 8254 PIT (0x40-0x43) as a
 * counter and the source of IRQ 0, port B (0x61), system control port A (0x92: fast A20, reset),
 * the reset control register (0xcf9), the keyboard controller's status and
 * reset command (0x64), CMOS/RTC (0x70/0x71), POST (0x80), IMCR
 * (0x22/0x23), and the ACPI fixed hardware the FADT names: PM1a event and
 * control blocks and the PM timer (PLAT_PM_BASE).
 *
 * Channel 0's output is IRQ 0 (8259 IRQ 0, I/O APIC pin 2): each rising
 * edge of OUT is an edge on the line, with the edges a VM missed while it
 * did not run signalled once (an interrupt line has no count).
 *
 * The counters run from the TSC: the PIT at 1.193182 MHz, the PM timer at
 * 3.579545 MHz (24 bits), counting from 0 at the VM's power-on (its first
 * run, and the first after each restart), as the timer of a PC counts from
 * its reset. Channel 2's output is
 * readable in port B.
 * A reset request restarts the VM from its images (or stops it, with
 * on_reset=stop); power off (S5 through PM1a_CNT) stops it with a message.
 */
#ifndef HV_DEV_PLATFORM_H
#define HV_DEV_PLATFORM_H

#include <types.h>

#define PLAT_PIT_HZ 1193182ULL
#define PLAT_PM_TIMER_HZ 3579545ULL
#define PLAT_PM_BASE 0x600        /* PM1a_EVT 0x600 (4), PM1a_CNT 0x604 (2), PM_TMR 0x608 (4) */
#define PLAT_PM1A_EVT (PLAT_PM_BASE + 0)
#define PLAT_PM1A_CNT (PLAT_PM_BASE + 4)
#define PLAT_PM_TMR (PLAT_PM_BASE + 8)
#define PLAT_PM_LEN 12
#define PLAT_SCI_IRQ 9
#define PLAT_SLP_TYP_S5 5 /* the DSDT's \_S5 */

struct pit_channel {
	uint8_t mode;       /* 0..5 */
	uint8_t access;     /* 1 lo, 2 hi, 3 lo then hi */
	bool write_hi;      /* lo/hi: next write is the high byte */
	bool read_hi;       /* lo/hi: next read is the high byte */
	bool latched;
	uint16_t latch;
	uint16_t reload_lo; /* low byte written, waiting for the high one */
	uint32_t reload;    /* 1..65536 */
	uint64_t start;     /* TSC when counting started, 0: no count loaded */
	uint64_t edges;     /* channel 0: OUT rising edges signalled as IRQ 0 */
};

struct platform_ports {
	struct pit_channel pit[3];
	uint8_t port_b;      /* bits 0 (gate 2) and 1 (speaker) */
	uint8_t port_a;      /* 0x92: bit 1 A20 */
	uint8_t reset_ctl;   /* 0xcf9 */
	uint8_t rtc_index;
	uint16_t pm1_sts, pm1_en, pm1_cnt;
	uint64_t pm_epoch;   /* TSC at power-on: the PM timer reads 0 there */
};

struct vcpu;

void platform_reset(struct platform_ports *p);
/* The VM runs for the first time since it was built (or rebuilt after a
 * reset) at TSC now: its PM timer starts. */
void platform_power_on(struct platform_ports *p, uint64_t now);
/* The port handlers, registered on the VM's bus by hv/dev/board.c. */
void platform_pit_io(struct vcpu *v, void *ctx, uint16_t port, unsigned int size, bool in,
		     uint32_t *val);
void platform_misc_io(struct vcpu *v, void *ctx, uint16_t port, unsigned int size, bool in,
		      uint32_t *val);
void platform_pm_io(struct vcpu *v, void *ctx, uint16_t port, unsigned int size, bool in,
		    uint32_t *val);
/* Current count of PIT channel ch at TSC now (the value a latch reads). */
uint16_t platform_pit_count(const struct platform_ports *p, unsigned int ch, uint64_t now);
/*
 * IRQ 0: the TSC of channel 0's next OUT rising edge (UINT64_MAX: none
 * coming), and platform_pit_irq0() at TSC now: true when an edge is due,
 * which it consumes (with every earlier one). Asked before every VM entry:
 * a channel that does not count (no OS keeps the PIT running once it has
 * its APIC timer) answers without a call.
 */
uint64_t platform_pit_next_edge(const struct platform_ports *p);
static inline uint64_t platform_pit_next_irq0(const struct platform_ports *p)
{
	return p->pit[0].start ? platform_pit_next_edge(p) : UINT64_MAX;
}
bool platform_pit_irq0(struct platform_ports *p, uint64_t now);
/* PM timer value at TSC now. */
uint32_t platform_pm_timer(const struct platform_ports *p, uint64_t now);

#endif /* HV_DEV_PLATFORM_H */
