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
/* The TSC at the guest's first instruction, read by _start. */
extern uint64_t boot_tsc;

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

/* The same with VMMCALL, the AMD instruction (ABI.md §3: both work). */
static inline uint64_t hypercall_vmmcall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
					 uint64_t a3)
{
	uint64_t ret;

	asm volatile("vmmcall"
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

static inline void outw(uint16_t port, uint16_t v)
{
	asm volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	asm volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
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

/* Point vector vec of the runtime's IDT at fn (a 64-bit interrupt gate,
 * DPL 0): an assembly stub, or an __attribute__((interrupt)) function. */
void idt_set_gate(unsigned int vec, const void *fn);
/* Load an empty IDT: the next exception escalates to a triple fault. */
void idt_clear(void);

/* ---- guest page hinting helpers (guest-abi/ABI.md) ---- */

#define PAGE_SHIFT 12
#define PAGE_SIZE 4096UL
#define WORDS_PER_PAGE 512

/* Guest RAM, in frames, and an identity-mapped pointer to a frame. */
static inline uint64_t ram_frames(void)
{
	return start_info->mem_bytes >> PAGE_SHIFT;
}

static inline volatile uint64_t *gfn_ptr(uint64_t gfn)
{
	return (volatile uint64_t *)(gfn << PAGE_SHIFT);
}

/*
 * Frames above the image, handed out from low to high; never freed. Ends
 * the test with ERROR when RAM runs out. free_frames(): what is left.
 */
uint64_t alloc_frames(uint64_t n);
uint64_t free_frames(void);

/* Hypercall wrappers; the result as the ABI returns it (negative = -HV_E*). */
static inline int64_t hv_set_state(uint64_t gfn, uint64_t state)
{
	return (int64_t)hypercall(HV_HC_SET_PAGE_STATE, gfn, state, 0, 0);
}

static inline int64_t hv_set_range(uint64_t first, uint64_t count, uint64_t state)
{
	return (int64_t)hypercall(HV_HC_SET_RANGE_STATE, first, count, state, 0);
}

static inline int64_t hv_get_state(uint64_t gfn)
{
	return (int64_t)hypercall(HV_HC_GET_PAGE_STATE, gfn, 0, 0, 0);
}

/*
 * Batch: hv_batch_page is a page of the runtime for HV_HC_SET_BATCH_STATE.
 * hv_batch() copies n entries there, makes the call and copies the result
 * words back into entries[]; returns the call's result.
 */
extern uint64_t hv_batch_page[HV_BATCH_MAX];
int64_t hv_batch(uint64_t *entries, unsigned int n);

/* Statistics of this VM; ends the test with ERROR if the call fails. */
void stats_get(struct hv_vm_stats *st);
void stats_print(const char *what, const struct hv_vm_stats *st);

/* Shared state table (call 7): NULL until table_register(). */
extern uint8_t *hv_table;
/* Allocate, zero and register a table for all of RAM; ends with ERROR on failure. */
void table_register(void);

static inline uint8_t tbl_get(uint64_t gfn)
{
	return __atomic_load_n(&hv_table[gfn], __ATOMIC_SEQ_CST);
}

/* lock cmpxchg on a table byte: returns the byte found (== expect on success). */
static inline uint8_t tbl_cmpxchg(uint64_t gfn, uint8_t expect, uint8_t desired)
{
	__atomic_compare_exchange_n(&hv_table[gfn], &expect, desired, false, __ATOMIC_SEQ_CST,
				    __ATOMIC_SEQ_CST);
	return expect;
}

static inline bool tbl_cas(uint64_t gfn, uint8_t expect, uint8_t desired)
{
	return tbl_cmpxchg(gfn, expect, desired) == expect;
}

/*
 * Discard faults (#VE, vector 20). ve_register() registers the runtime's
 * information area (call 8) and installs fn: guest_trap() calls fn with the
 * area on every #VE and then returns to the faulting instruction, which
 * restarts. fn must make the page stable, re-create it and write busy = 0.
 * ve_count: #VEs taken so far.
 */
typedef void (*discard_handler_t)(volatile struct hv_ve_info *info);
extern volatile struct hv_ve_info *ve_area;
extern volatile uint64_t ve_count;
void set_discard_handler(discard_handler_t fn);
void ve_register(discard_handler_t fn);

/* Fixed-seed PRNG (xorshift64). */
static inline uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* Page content: word i of page gfn in generation gen. Word 0 starts with
 * 0xc3 (RET), so a page with its pattern can also be called. */
static inline uint64_t page_word(uint64_t gfn, uint64_t i, uint64_t gen)
{
	uint64_t w = (gfn * 0x9e3779b97f4a7c15ULL) ^ (i * 0xbf58476d1ce4e5b9ULL) ^
		     (gen << 40) ^ 0x48696e7476697372ULL;

	return i == 0 ? (w & ~0xffULL) | 0xc3 : w | 1; /* never zero */
}

void page_fill(uint64_t gfn, uint64_t gen);
/* Words of the page that differ from generation gen (0: intact). */
unsigned int page_diff(uint64_t gfn, uint64_t gen);
bool page_is_zero(uint64_t gfn);

/*
 * Memory pressure from inside the guest: a "hog" is a run of our own frames;
 * hog_touch() writes one word into each of the next n frames (cyclic), so
 * every touch needs a host frame and the host reclaims when its pool runs
 * low. A hog larger than the host pool evicts everything not in use.
 */
struct hog {
	uint64_t first, n, next, stamp;
};
void hog_init(struct hog *h, uint64_t first, uint64_t n);
/* A hog over every frame not yet allocated. */
void hog_init_rest(struct hog *h);
void hog_touch(struct hog *h, uint64_t n);

/* Host states as a mask for range_host_in(). */
#define HOST_RESIDENT_M (1u << HV_HOST_RESIDENT)
#define HOST_PRESERVED_M (1u << HV_HOST_PRESERVED)
#define HOST_ZERO_M (1u << HV_HOST_ZERO)
#define HOST_OUT_M (HOST_PRESERVED_M | HOST_ZERO_M)
/* Does every frame of [first, first + n) have a host state in mask (call 6)? */
bool range_host_in(uint64_t first, uint64_t n, unsigned int mask);
/*
 * Touch the hog, step frames at a time, until every range of ranges[] (first,
 * count pairs, nr of them) has its host states in mask, or max frames were
 * touched. Returns true when the condition was reached.
 */
bool hog_until(struct hog *h, const uint64_t (*ranges)[2], unsigned int nr, unsigned int mask,
	       uint64_t step, uint64_t max);

#endif /* HVTEST_H */
