/* SPDX-License-Identifier: MIT */
/*
 * printk on the 16550 at COM1 (I/O 0x3f8). Runs on the single host CPU with
 * interrupts off; the only re-entrancy is an exception taken inside printk,
 * which then formats into its own stack buffer instead of the shared one.
 */
#include <asm/cpu.h>
#include <base/console.h>
#include <stdio.h>

#define COM1 0x3f8
#define UART_THR 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_DLL 0
#define UART_DLM 1
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

static volatile int con_busy;
static char con_buf[1024];

void con_init(void)
{
	outb(COM1 + UART_IER, 0x00);
	outb(COM1 + UART_LCR, 0x80); /* DLAB on: divisor 1 = 115200 baud */
	outb(COM1 + UART_DLL, 0x01);
	outb(COM1 + UART_DLM, 0x00);
	outb(COM1 + UART_LCR, 0x03); /* 8N1 */
	outb(COM1 + UART_FCR, 0x07); /* FIFO on, cleared */
	outb(COM1 + UART_MCR, 0x03); /* DTR, RTS */
}

static void uart_putc(char c)
{
	unsigned int spins = 0;

	/* Bounded wait: a missing UART must not hang the hypervisor. */
	while (!(inb(COM1 + UART_LSR) & LSR_THRE) && ++spins < 100000)
		cpu_relax();
	outb(COM1 + UART_THR, (uint8_t)c);
}

void con_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			uart_putc('\r');
		uart_putc(s[i]);
	}
}

void con_flush(void)
{
	unsigned int spins = 0;

	while (!(inb(COM1 + UART_LSR) & LSR_TEMT) && ++spins < 1000000)
		cpu_relax();
}

void vprintk(const char *fmt, va_list ap)
{
	char local[256];
	char *buf = con_buf;
	size_t cap = sizeof(con_buf);
	int n;

	if (__atomic_exchange_n(&con_busy, 1, __ATOMIC_ACQUIRE)) {
		buf = local; /* nested (exception inside printk) */
		cap = sizeof(local);
		n = vsnprintf(buf, cap, fmt, ap);
		con_write(buf, (size_t)n < cap ? (size_t)n : cap - 1);
		return;
	}
	n = vsnprintf(buf, cap, fmt, ap);
	if (n > 0)
		con_write(buf, (size_t)n < cap ? (size_t)n : cap - 1);
	__atomic_store_n(&con_busy, 0, __ATOMIC_RELEASE);
}

void printk(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
}

void con_shutdown(int status)
{
	printk("hintvisor: end of run (status %d)\n", status);
	con_flush();
	/* Bochs iodebug: with magic_break off this ends the simulation. */
	outw(0x8a00, 0x8a00);
	outw(0x8a00, 0x8ae0);
	/* QEMU isa-debug-exit at 0xf4 (exit code 2 * v + 1). */
	outb(0xf4, (uint8_t)status);
	cpu_halt_forever();
}

void panic(const char *fmt, ...)
{
	va_list ap;

	printk("\nPANIC: ");
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
	printk("\n");
	con_shutdown(1);
}
