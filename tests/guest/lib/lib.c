/* SPDX-License-Identifier: MIT */
/*
 * Test guest runtime (see hvtest.h): GDT/TSS/IDT of our own, COM1 output,
 * exception fixups, the result line and the debug exit.
 */
#include "hvtest.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define COM1 0x3f8

const struct hv_start_info *start_info;
volatile uint64_t last_fault_vector, last_fault_error;
static unsigned int failures;
static discard_handler_t discard_handler;

struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rdi, rsi, rbp, rdx, rcx, rbx, rax;
	uint64_t vector, error, rip, cs, rflags, rsp, ss;
};

struct ex_entry {
	uint64_t insn, fixup;
};
extern const struct ex_entry __ex_table_start[], __ex_table_end[];
extern const uint64_t gtrap_stubs[32];
extern char user_return[], kernel_irq_stack_top[];

struct __attribute__((packed)) desc_ptr {
	uint16_t limit;
	uint64_t base;
};

static uint64_t gdt[8] __attribute__((aligned(16))) = {
	0,
	0x00af9a000000ffffULL, /* 0x08 kernel code */
	0x00cf92000000ffffULL, /* 0x10 kernel data */
	0,                     /* 0x18 unused */
	0x00cff2000000ffffULL, /* 0x20 user data, DPL 3 */
	0x00affa000000ffffULL, /* 0x28 user code, DPL 3 */
	0, 0,                  /* 0x30 TSS (16 bytes) */
};
static uint8_t tss[104] __attribute__((aligned(16)));
static uint64_t idt[256 * 2] __attribute__((aligned(16)));

static void con_putc(char c)
{
	while (!(inb(COM1 + 5) & 0x20))
		;
	outb(COM1, (uint8_t)c);
}

void gprintf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (int i = 0; i < n && i < (int)sizeof(buf) - 1; i++)
		con_putc(buf[i]);
}

void guest_exit(uint8_t code)
{
	outb(HV_DEBUG_EXIT_PORT, code);
	for (;;)
		asm volatile("cli; hlt");
}

void test_fail(const char *fmt, ...)
{
	char buf[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (failures++ < 20)
		gprintf("FAIL: %s\n", buf);
}

unsigned int test_failures(void)
{
	return failures;
}

void test_end(enum test_status s, const char *why)
{
	static const char *const names[] = { "SUCCESS", "SKIP", "ERROR", "FAILURE" };

	if (why)
		gprintf("%s\n", why);
	gprintf("Test result: %s\n", names[s]);
	guest_exit((uint8_t)s);
}

static void set_gate(unsigned int vec, uint64_t handler, unsigned int dpl)
{
	idt[vec * 2] = (handler & 0xffff) | (0x08ULL << 16) | ((uint64_t)(0x8e | dpl << 5) << 40) |
		       ((handler >> 16 & 0xffff) << 48);
	idt[vec * 2 + 1] = handler >> 32;
}

void idt_set_gate(unsigned int vec, const void *fn)
{
	set_gate(vec, (uint64_t)fn, 0);
}

static void tables_init(void)
{
	struct desc_ptr gdtr = { sizeof(gdt) - 1, (uint64_t)gdt };
	struct desc_ptr idtr = { sizeof(idt) - 1, (uint64_t)idt };
	uint64_t base = (uint64_t)tss;

	/* RSP0 for CPL 3 → 0 transitions (int $0x80 back from user mode). */
	memcpy(tss + 4, &(uint64_t){ (uint64_t)kernel_irq_stack_top }, 8);
	gdt[6] = 103 | (base & 0xffffff) << 16 | 0x89ULL << 40 | (base >> 24 & 0xff) << 56;
	gdt[7] = base >> 32;
	for (unsigned int v = 0; v < 32; v++)
		set_gate(v, gtrap_stubs[v], 0);
	set_gate(0x80, (uint64_t)user_return, 3);
	asm volatile("lgdt %0; lidt %1" ::"m"(gdtr), "m"(idtr));
	asm volatile("pushq $0x08; leaq 1f(%%rip), %%rax; pushq %%rax; lretq; 1:\n\t"
		     "movw $0x10, %%ax; movw %%ax, %%ds; movw %%ax, %%es; movw %%ax, %%ss\n\t"
		     "movw $0x30, %%ax; ltr %%ax" ::: "rax", "memory");
}

void idt_clear(void)
{
	struct desc_ptr idtr = { 0, 0 };

	asm volatile("lidt %0" ::"m"(idtr));
}

void user_mode_init(void)
{
	uint64_t cr3;
	uint64_t *pml4, *pdpt;

	/* hvboot tables: identity, 2 MiB pages; add U at every level. */
	asm volatile("mov %%cr3, %0" : "=r"(cr3));
	pml4 = (uint64_t *)(cr3 & ~0xfffULL);
	pml4[0] |= 4;
	pdpt = (uint64_t *)(pml4[0] & 0x000ffffffffff000ULL);
	for (int i = 0; i < 4; i++) {
		uint64_t *pd = (uint64_t *)(pdpt[i] & 0x000ffffffffff000ULL);

		pdpt[i] |= 4;
		for (int j = 0; j < 512; j++)
			pd[j] |= 4;
	}
	asm volatile("mov %0, %%cr3" ::"r"(cr3) : "memory");
}

void guest_trap(struct trap_frame *f);
void guest_trap(struct trap_frame *f)
{
	if (f->vector == HV_DISCARD_VECTOR && discard_handler) {
		volatile struct hv_ve_info *ve = ve_area;

		ve_count++;
		if (ve->reason != HV_VE_REASON_DISCARD || ve->busy != 0xffffffffu)
			test_fail("#VE %lu: reason %#x busy %#x (expected %#x, 0xffffffff)", ve_count,
				  ve->reason, ve->busy, HV_VE_REASON_DISCARD);
		discard_handler(ve);
		if (ve->busy != 0) {
			test_fail("#VE %lu: the handler left busy = %#x", ve_count, ve->busy);
			ve->busy = 0;
		}
		return; /* the faulting instruction restarts */
	}
	for (const struct ex_entry *e = __ex_table_start; e < __ex_table_end; e++) {
		if (e->insn == f->rip) {
			last_fault_vector = f->vector;
			last_fault_error = f->error;
			f->rip = e->fixup;
			f->rax = f->vector + 1;
			return;
		}
	}
	gprintf("unexpected exception %lu, error %#lx, at RIP %#lx (RSP %#lx)\n", f->vector,
		f->error, f->rip, f->rsp);
	test_end(TEST_ERROR, NULL);
}

/* ---- guest page hinting helpers ---- */

extern char __guest_end[];
static uint64_t next_free_gfn;
uint64_t hv_batch_page[HV_BATCH_MAX] __attribute__((aligned(4096)));
uint8_t *hv_table;
static struct hv_ve_info ve_storage __attribute__((aligned(64)));
volatile struct hv_ve_info *ve_area;
volatile uint64_t ve_count;
/* Never across a page: the stats buffer must be one piece of guest RAM. */
static struct hv_vm_stats stats_buf __attribute__((aligned(256)));

uint64_t alloc_frames(uint64_t n)
{
	uint64_t g;

	if (!next_free_gfn)
		next_free_gfn = ((uint64_t)__guest_end + PAGE_SIZE - 1) >> PAGE_SHIFT;
	if (n > ram_frames() - next_free_gfn) {
		gprintf("alloc_frames(%lu): only %lu frames left\n", n, free_frames());
		test_end(TEST_ERROR, "guest RAM too small for this test");
	}
	g = next_free_gfn;
	next_free_gfn += n;
	return g;
}

uint64_t free_frames(void)
{
	if (!next_free_gfn)
		next_free_gfn = ((uint64_t)__guest_end + PAGE_SIZE - 1) >> PAGE_SHIFT;
	return ram_frames() - next_free_gfn;
}

int64_t hv_batch(uint64_t *entries, unsigned int n)
{
	int64_t r;

	for (unsigned int i = 0; i < n; i++)
		hv_batch_page[i] = entries[i];
	r = (int64_t)hypercall(HV_HC_SET_BATCH_STATE, (uint64_t)hv_batch_page, n, 0, 0);
	for (unsigned int i = 0; i < n; i++)
		entries[i] = hv_batch_page[i];
	return r;
}

void stats_get(struct hv_vm_stats *st)
{
	uint64_t r = hypercall(HV_HC_GET_STATS, (uint64_t)&stats_buf, sizeof(stats_buf), 0, 0);

	if (r != sizeof(stats_buf)) {
		gprintf("HV_HC_GET_STATS returned %#lx\n", r);
		test_end(TEST_ERROR, "cannot read the statistics");
	}
	*st = stats_buf;
}

void stats_print(const char *what, const struct hv_vm_stats *st)
{
	gprintf("%s: page-outs %lu page-ins %lu drops U/V/P %lu/%lu/%lu discard-faults %lu "
		"zero-fills %lu reuse %lu\n", what, st->page_outs, st->page_ins, st->drops_unused,
		st->drops_volatile, st->drops_pot_volatile, st->discard_faults, st->zero_fills,
		st->reuse_detected);
}

void table_register(void)
{
	uint64_t frames = ram_frames(), pages = (frames + PAGE_SIZE - 1) >> PAGE_SHIFT;
	uint64_t g = alloc_frames(pages), r;

	hv_table = (uint8_t *)gfn_ptr(g);
	memset(hv_table, 0, pages << PAGE_SHIFT);
	r = hypercall(HV_HC_REGISTER_TABLE, (uint64_t)hv_table, frames, 0, 0);
	if (r != 0) {
		gprintf("HV_HC_REGISTER_TABLE returned %#lx\n", r);
		test_end(TEST_ERROR, "cannot register the state table");
	}
}

void set_discard_handler(discard_handler_t fn)
{
	discard_handler = fn;
}

void ve_register(discard_handler_t fn)
{
	uint64_t r;

	ve_area = &ve_storage;
	r = hypercall(HV_HC_REGISTER_VE_AREA, (uint64_t)&ve_storage, 0, 0, 0);
	if (r != 0) {
		gprintf("HV_HC_REGISTER_VE_AREA returned %#lx\n", r);
		test_end(TEST_ERROR, "cannot register the #VE area");
	}
	set_discard_handler(fn);
}

void page_fill(uint64_t gfn, uint64_t gen)
{
	volatile uint64_t *w = gfn_ptr(gfn);

	for (unsigned int i = 0; i < WORDS_PER_PAGE; i++)
		w[i] = page_word(gfn, i, gen);
}

unsigned int page_diff(uint64_t gfn, uint64_t gen)
{
	volatile uint64_t *w = gfn_ptr(gfn);
	unsigned int bad = 0;

	for (unsigned int i = 0; i < WORDS_PER_PAGE; i++)
		bad += w[i] != page_word(gfn, i, gen);
	return bad;
}

bool page_is_zero(uint64_t gfn)
{
	volatile uint64_t *w = gfn_ptr(gfn);

	for (unsigned int i = 0; i < WORDS_PER_PAGE; i++)
		if (w[i])
			return false;
	return true;
}

void hog_init(struct hog *h, uint64_t first, uint64_t n)
{
	h->first = first;
	h->n = n;
	h->next = 0;
	h->stamp = 0;
}

void hog_init_rest(struct hog *h)
{
	uint64_t n = free_frames();

	hog_init(h, alloc_frames(n), n);
}

void hog_touch(struct hog *h, uint64_t n)
{
	while (n--) {
		volatile uint64_t *w = gfn_ptr(h->first + h->next);
		uint64_t stamp = h->stamp++;

		w[(stamp & 63) * 8] = stamp;
		if (++h->next == h->n)
			h->next = 0;
	}
}

bool range_host_in(uint64_t first, uint64_t n, unsigned int mask)
{
	for (uint64_t g = first; g < first + n; g++) {
		int64_t r = hv_get_state(g);

		if (r < 0 || !(mask & (1u << HV_RES_HOST_STATE((uint64_t)r))))
			return false;
	}
	return true;
}

bool hog_until(struct hog *h, const uint64_t (*ranges)[2], unsigned int nr, unsigned int mask,
	       uint64_t step, uint64_t max)
{
	for (uint64_t done = 0;; done += step) {
		unsigned int i;

		for (i = 0; i < nr && range_host_in(ranges[i][0], ranges[i][1], mask); i++)
			;
		if (i == nr)
			return true;
		if (done >= max)
			return false;
		hog_touch(h, step);
	}
}

int probe_read64(const volatile uint64_t *p, uint64_t *val)
{
	uint64_t v = 0, rc = 0;

	asm volatile("1: movq (%[p]), %[v]\n"
		     "2:\n"
		     ".pushsection .ex_table, \"a\"\n"
		     ".quad 1b, 2b\n"
		     ".popsection"
		     : [v] "+r"(v), "+a"(rc)
		     : [p] "r"(p)
		     : "memory");
	*val = v;
	return (int)rc;
}

int probe_write64(volatile uint64_t *p, uint64_t val)
{
	uint64_t rc = 0;

	asm volatile("1: movq %[v], (%[p])\n"
		     "2:\n"
		     ".pushsection .ex_table, \"a\"\n"
		     ".quad 1b, 2b\n"
		     ".popsection"
		     : "+a"(rc)
		     : [p] "r"(p), [v] "r"(val)
		     : "memory");
	return (int)rc;
}

uint64_t boot_tsc; /* written by _start */

void guest_start(const struct hv_start_info *si);
void guest_start(const struct hv_start_info *si)
{
	start_info = si;
	tables_init();
	if (si->magic != HV_START_MAGIC)
		test_end(TEST_ERROR, "bad start info magic");
	gprintf("--- %s ---\n", test_title);
	test_main();
	test_end(failures ? TEST_FAILURE : TEST_SUCCESS, NULL);
}
