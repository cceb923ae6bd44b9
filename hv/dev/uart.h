/* SPDX-License-Identifier: MIT */
/*
 * The guest's COM1: a 16550A at I/O 0x3f8, IRQ 4. Transmission is instant
 * (bytes go to the host console, one "[vm] line" at a time), so the
 * transmitter is always empty; there is no input. Good enough for Linux's
 * 8250 driver (FIFO detection, THRE interrupts) and for polling guests.
 */
#ifndef HV_DEV_UART_H
#define HV_DEV_UART_H

#include <types.h>

#define UART_COM1_BASE 0x3f8
#define UART_COM1_IRQ 4

struct uart {
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	bool thre_pending; /* THRE interrupt latched, cleared by IIR read or THR write */
};

struct vm;

void uart_reset(struct uart *u);
/* Port access at offset 0..7 from the base. */
void uart_io(struct vm *vm, struct uart *u, unsigned int reg, bool in, uint32_t *val);

#endif /* HV_DEV_UART_H */
