/* SPDX-License-Identifier: MIT */
/*
 * Runtime of the test guests (after XTF): output, hypercalls, exception
 * catching, CPL 3 calls, and the "Test result:" line. A test provides
 * test_title and test_main(); the runtime prints the result and ends the VM
 * through the debug-exit port.
 */
#ifndef HVTEST_H
#define HVTEST_H

#include <guest-abi/hintvisor.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

extern const char test_title[];
void test_main(void);

extern const struct hv_start_info *start_info;

enum test_status { TEST_SUCCESS, TEST_SKIP, TEST_ERROR, TEST_FAILURE };

void gprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Record a failure (the test goes on; the result becomes FAILURE). */
void test_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* End now with this status. */
void test_end(enum test_status s, const char *why) __attribute__((noreturn));
void guest_exit(uint8_t code) __attribute__((noreturn));
unsigned int test_failures(void);

#define EXPECT(cond)                                                          \
	do {                                                                  \
		if (!(cond))                                                  \
			test_fail("%s:%d: expected %s", __FILE__, __LINE__, #cond); \
	} while (0)
#define EXPECT_EQ(a, b)                                                       \
	do {                                                                  \
		uint64_t _a = (uint64_t)(a), _b = (uint64_t)(b);              \
		if (_a != _b)                                                 \
			test_fail("%s:%d: %s == %#lx, expected %#lx", __FILE__, \
				  __LINE__, #a, _a, _b);                      \
	} while (0)

static inline uint64_t hypercall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	uint64_t ret;

	asm volatile("vmcall"
		     : "=a"(ret)
		     : "a"(nr), "b"(a0), "c"(a1), "d"(a2), "S"(a3)
		     : "memory");
	return ret;
}

static inline void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	asm volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

static inline void outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* VMCALL at CPL 3 (needs user_mode_init()). */
uint64_t user_vmcall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2);
/* Make all memory user-accessible and load a TSS, for user_vmcall(). */
void user_mode_init(void);

/*
 * Exception catching: the access at a fixup-protected instruction either
 * completes (returns 0) or faults (returns vector + 1, no VM stop).
 */
int probe_read64(const volatile uint64_t *p, uint64_t *val);
int probe_write64(volatile uint64_t *p, uint64_t val);
/* Last caught exception: vector and error code. */
extern volatile uint64_t last_fault_vector, last_fault_error;

/* Load an empty IDT: the next exception escalates to a triple fault. */
void idt_clear(void);

#endif /* HVTEST_H */
