/* SPDX-License-Identifier: MIT */
/*
 * Hypervisor console: printk to the 16550 UART at COM1, and the end of a run.
 */
#ifndef HV_CONSOLE_H
#define HV_CONSOLE_H

#include <stdarg.h>
#include <types.h>

/* Program COM1 for 115200 8N1. Safe to call more than once. */
void con_init(void);
/* Write raw bytes ('\n' becomes "\r\n"). */
void con_write(const char *s, size_t n);
/* printf-like output to the console; never allocates, may be called from
 * exception context (a nested call prints with its own buffer). */
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintk(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
/* Wait until the UART has sent every byte (LSR.TEMT). */
void con_flush(void);

/* Print a final marker, flush and end the emulator / halt. */
void con_shutdown(int status) __attribute__((noreturn));
/* Print the message and shut down with status 1. For hypervisor bugs only:
 * nothing a guest does may reach this (see vm_crash()). */
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#define BUG_ON(c)                                                            \
	do {                                                                 \
		if (__builtin_expect(!!(c), 0))                              \
			panic("BUG_ON(%s) at %s:%d", #c, __FILE__, __LINE__); \
	} while (0)

#endif /* HV_CONSOLE_H */
