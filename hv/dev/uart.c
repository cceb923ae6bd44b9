/* SPDX-License-Identifier: MIT */
/*
 * 16550A model (see uart.h). Register semantics: the National/TI 16550D
 * data sheet; interrupt identification priorities as there (no line status
 * or receive interrupts arise since nothing is ever received).
 */
#include <hv/dev/uart.h>
#include <hv/vm/vm.h>
#include <string.h>

#define REG_DATA 0
#define REG_IER 1
#define REG_IIR_FCR 2
#define REG_LCR 3
#define REG_MCR 4
#define REG_LSR 5
#define REG_MSR 6
#define REG_SCR 7

#define IER_THRI 0x02
#define LCR_DLAB 0x80
#define MCR_LOOP 0x10
#define MCR_OUT2 0x08
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define IIR_NONE 0x01
#define IIR_THRI 0x02
#define IIR_FIFO 0xc0

void uart_reset(struct uart *u)
{
	memset(u, 0, sizeof(*u));
	u->lcr = 0x03;
}

static void update_irq(struct vm *vm, struct uart *u)
{
	/* PCs gate the UART interrupt with OUT2. */
	board_set_irq(vm, UART_COM1_IRQ,
		   (u->mcr & MCR_OUT2) && (u->ier & IER_THRI) && u->thre_pending);
}

void uart_io(struct vm *vm, struct uart *u, unsigned int reg, bool in, uint32_t *val)
{
	uint8_t v = (uint8_t)*val;

	if (in) {
		switch (reg) {
		case REG_DATA:
			*val = u->lcr & LCR_DLAB ? u->dll : 0;
			break;
		case REG_IER:
			*val = u->lcr & LCR_DLAB ? u->dlm : u->ier;
			break;
		case REG_IIR_FCR:
			if ((u->ier & IER_THRI) && u->thre_pending) {
				*val = IIR_THRI;
				u->thre_pending = false;
			} else {
				*val = IIR_NONE;
			}
			if (u->fcr & 1)
				*val |= IIR_FIFO;
			break;
		case REG_LCR:
			*val = u->lcr;
			break;
		case REG_MCR:
			*val = u->mcr;
			break;
		case REG_LSR:
			*val = LSR_THRE | LSR_TEMT;
			break;
		case REG_MSR:
			/* Loopback: outputs appear on the inputs (Linux probes this). */
			*val = u->mcr & MCR_LOOP ? (uint32_t)((u->mcr & 2) << 3 | (u->mcr & 1) << 5 |
							      (u->mcr & 0xc) << 4)
						 : 0xb0; /* DCD, DSR, CTS */
			break;
		default:
			*val = u->scr;
			break;
		}
		update_irq(vm, u);
		return;
	}
	switch (reg) {
	case REG_DATA:
		if (u->lcr & LCR_DLAB) {
			u->dll = v;
		} else {
			if (!(u->mcr & MCR_LOOP))
				vm_console_byte(vm, v);
			u->thre_pending = true; /* sent at once: empty again */
		}
		break;
	case REG_IER:
		if (u->lcr & LCR_DLAB) {
			u->dlm = v;
		} else {
			/* Enabling THRI with an empty transmitter interrupts at once. */
			if ((v & IER_THRI) && !(u->ier & IER_THRI))
				u->thre_pending = true;
			u->ier = v & 0x0f;
		}
		break;
	case REG_IIR_FCR:
		u->fcr = v & 0xc9;
		break;
	case REG_LCR:
		u->lcr = v;
		break;
	case REG_MCR:
		u->mcr = v & 0x1f;
		break;
	case REG_SCR:
		u->scr = v;
		break;
	default:
		break;
	}
	update_irq(vm, u);
}
