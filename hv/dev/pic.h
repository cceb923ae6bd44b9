/* SPDX-License-Identifier: MIT */
/*
 * A pair of cascaded 8259A interrupt controllers (I/O 0x20/0x21, 0xa0/0xa1),
 * edge triggered, as the ISA devices of a guest (UART, virtio-pci) need them.
 * Enough for Linux's i8259 driver: ICW1-4, OCW1 (mask), OCW2 (EOI), OCW3
 * (IRR/ISR read).
 */
#ifndef HV_DEV_PIC_H
#define HV_DEV_PIC_H

#include <types.h>

struct pic_chip {
	uint8_t irr, isr, imr;
	uint8_t base;      /* ICW2: vector of line 0 */
	uint8_t init_step; /* 0: ready; 1..3: expecting ICW2..ICW4 */
	bool icw4;
	bool read_isr;     /* OCW3 selected ISR for reads of the command port */
	uint8_t lines;     /* current input levels, for edge detection */
};

struct pic {
	struct pic_chip chip[2]; /* master, slave on master line 2 */
};

void pic_reset(struct pic *p);
/* Set the level of ISA line irq (0..15); a rising edge latches it. */
void pic_set_irq(struct pic *p, unsigned int irq, bool level);
/* Vector the pair would deliver now, or -1. */
int pic_pending(const struct pic *p);
/* No unmasked request on the master (the slave's reaches it as line 2):
 * pic_pending() is -1, without the scan by priority. */
static inline bool pic_quiet(const struct pic *p)
{
	return !(p->chip[0].irr & ~p->chip[0].imr);
}
/* The CPU took the interrupt: in-service until EOI. */
void pic_ack(struct pic *p);
/* Undo pic_ack() of vector, whose delivery did not reach the guest: its
 * line is requested again, no longer in service. */
void pic_unack(struct pic *p, int vector);
/* Port I/O on 0x20, 0x21, 0xa0, 0xa1 (and the ELCR ports 0x4d0/0x4d1). */
bool pic_io(struct pic *p, uint16_t port, bool in, uint32_t *val);

#endif /* HV_DEV_PIC_H */
