/* SPDX-License-Identifier: MIT */
/*
 * vcpu-race: four vCPUs hint, reuse and check the SAME pages while the
 * host, short of memory, reclaims on the other host CPU. A shared set of
 * pages, each with a lock word: a vCPU takes a page for itself with a CAS
 * (or, to read a stable page, as one of several readers), does one thing
 * to it and lets it go, so that every page passes from vCPU to vCPU. Pages
 * of even index are hinted by hypercall (call 3), pages of odd index
 * through the shared table (CAS, no exit). What a vCPU may do with a page
 * it holds, by its state:
 *
 *  - STABLE: check it, write a new generation; make it VOLATILE or UNUSED.
 *  - VOLATILE: take it back (STABLE by call or CAS 2 -> 0): a discarded
 *    page must say so (HV_RES_DISCARDED, the table's 0x82), read zeros and
 *    is re-created; any other must hold its content. Or read it as it is
 *    (whoever made it volatile), or write a new generation into it without
 *    a call (reuse, call-hinted pages only), or make it UNUSED.
 *  - UNUSED: reuse it, by call / CAS first or (call-hinted pages) just by
 *    writing it; its content does not matter until then, and once written
 *    it must stay.
 *
 * A read or write of a VOLATILE page sees its content or raises a discard
 * fault on this vCPU, in this vCPU's own #VE area, never zeros: the handler
 * checks that the area is its own and busy, that the page is the one this
 * vCPU was reading or writing and that it was VOLATILE, makes it stable and
 * re-creates the content the access expects. Meanwhile every vCPU touches
 * its own part of a hog larger than the host's pool before each operation.
 * Fixed seeds (xorshift64 per vCPU); the interleavings are the host's.
 * At the end every page is taken back and checked, and the VM's statistics
 * must count exactly the discard faults taken and, as volatile drops, those
 * plus the pages found discarded.
 */
#include "smp.h"
#include <stdarg.h>
#include <stdio.h>

const char test_title[] = "vcpu-race: four vCPUs hint, reuse and check the same pages under pressure";

#define NR_CPUS 4
#define NPAGES 384        /* shared pages: even index hinted by call, odd through the table */
#define OPS_PER_CPU 2500  /* operations on a held page, per vCPU */
#define HOG_MASK 7        /* up to 7 hog frames touched before each operation */
#define TBL_V_DISC (HV_PAGE_VOLATILE | HV_TABLE_DISCARDED)

/* What the vCPUs know about a page; the holder of its lock owns the rest. */
enum pstate {
	P_STABLE,
	P_VOLATILE,
	P_UNUSED,
	P_REUSED, /* written without a call after hint (UNUSED or VOLATILE): as STABLE */
};

#define LOCK_OWNER 0xffULL /* id + 1 of the vCPU holding the page alone */
#define LOCK_READER 0x100ULL /* one reader of a STABLE or REUSED page */

struct page {
	volatile uint64_t lock;
	uint64_t gen;  /* generation of the content (not P_UNUSED) */
	uint8_t state; /* enum pstate */
	uint8_t hint;  /* P_REUSED: the hint the write came after */
	uint8_t last;  /* id + 1 of the vCPU that held it last */
};

struct cpu {
	/* The access in progress, for the #VE handler of this vCPU. */
	volatile uint64_t cur;      /* index + 1 of the page read or written, 0: none */
	volatile uint64_t fill_gen; /* the content the access expects */
	volatile uint64_t cur_faults;
	volatile bool ve_ok;        /* the page is VOLATILE: a discard fault may come */
	volatile bool writing;
	uint64_t last_gpa;          /* gpa of the last discard fault handled */
	uint64_t seed;
	struct hog hog;
	/* Counters, this vCPU's own. */
	uint64_t ops, moved, contended, shared_reads;
	uint64_t faults, faults_write, vol_intact, back_intact, found, reuse_writes, unused_reuses;
	uint64_t host_stable, mismatches;
};

static struct page pages[NPAGES];
static struct cpu cpus[NR_CPUS];
static struct {
	volatile struct hv_ve_info info;
} __attribute__((aligned(64))) areas[NR_CPUS];
static uint64_t base;
static bool gla_known; /* AMD's nested page faults report no linear address */
static volatile uint64_t go, done, ap_ready;
static volatile uint32_t print_lock;

/*
 * test_fail() and newlib's printf are not made for several vCPUs: one at a
 * time. The #VE handler may interrupt its own vCPU while that prints (only
 * on a discarded page: not here, but a bug could do it): no self-deadlock.
 */
static void vfail(unsigned int id, bool fatal, const char *fmt, va_list ap)
{
	char buf[168];
	bool mine = __atomic_load_n(&print_lock, __ATOMIC_ACQUIRE) == id + 1;
	uint32_t free_;

	if (!mine) {
		for (;;) {
			free_ = 0;
			if (__atomic_compare_exchange_n(&print_lock, &free_, id + 1, false,
							__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
				break;
			asm volatile("pause");
		}
	}
	vsnprintf(buf, sizeof(buf), fmt, ap);
	test_fail("vCPU %u: %s", id, buf);
	if (fatal) /* the access would fault again: end here */
		test_end(TEST_FAILURE, NULL);
	if (!mine)
		__atomic_store_n(&print_lock, 0, __ATOMIC_RELEASE);
}

static void __attribute__((format(printf, 2, 3))) fail(unsigned int id, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(id, false, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 2, 3), noreturn)) fatal(unsigned int id,
								    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(id, true, fmt, ap);
	va_end(ap);
	for (;;)
		;
}

static inline uint64_t gfn_of(uint64_t i)
{
	return base + i;
}

static inline bool by_table(uint64_t i)
{
	return i & 1;
}

struct interrupt_frame;

/*
 * #VE, vector 20: on the vCPU that touched the page, in its own area, for
 * the page it was accessing, which it had seen VOLATILE. Make it stable,
 * re-create the content the access expects, and let the access restart.
 */
__attribute__((interrupt)) static void isr_ve(struct interrupt_frame *f)
{
	unsigned int id = smp_id();
	volatile struct hv_ve_info *a;
	struct cpu *c;
	uint64_t g, i, qual;
	int64_t r;
	uint8_t b;

	(void)f;
	if (id >= NR_CPUS)
		fatal(id, "#VE on a vCPU with APIC ID %u", id);
	a = &areas[id].info;
	c = &cpus[id];
	if (a->busy != 0xffffffffu || a->reason != HV_VE_REASON_DISCARD)
		fatal(id, "#VE, but its own area has busy %#x reason %#x (gpa %#lx)", a->busy,
		      a->reason, a->gpa);
	g = a->gpa >> PAGE_SHIFT;
	i = g - base;
	if (g < base || i >= NPAGES || c->cur != i + 1 || !c->ve_ok)
		fatal(id, "discard fault at gpa %#lx while accessing page %ld (%s)", a->gpa,
		      (long)c->cur - 1, c->ve_ok ? "volatile" : "not volatile");
	qual = c->writing ? 2 : 1;
	if (a->exit_qual != qual || a->gla != (gla_known ? a->gpa : 0))
		fail(id, "discard fault at gpa %#lx: qual %#lx gla %#lx, expected %#lx %#lx", a->gpa,
		     a->exit_qual, a->gla, qual, gla_known ? a->gpa : 0);
	if (by_table(i)) {
		b = tbl_cmpxchg(g, TBL_V_DISC, HV_PAGE_STABLE);
		if (b != TBL_V_DISC) {
			fail(id, "discard fault on %#lx, but its table byte is %#x", g, b);
			hv_set_state(g, HV_PAGE_STABLE);
		}
	} else {
		r = hv_set_state(g, HV_PAGE_STABLE);
		if (r < 0 || !(r & HV_RES_DISCARDED) || HV_RES_OLD_STATE(r) != HV_PAGE_VOLATILE ||
		    HV_RES_HOST_STATE(r) != HV_HOST_ZERO)
			fail(id, "discard fault on %#lx: set_state(S) = %#lx, expected V, zero, "
			     "discarded", g, r);
	}
	page_fill(g, c->fill_gen);
	pages[i].gen = c->fill_gen;
	pages[i].state = P_STABLE;
	c->faults++;
	c->faults_write += c->writing;
	c->cur_faults++;
	c->last_gpa = a->gpa;
	a->busy = 0;
}

/* ---- page locks ---- */

static bool take(uint64_t i, unsigned int id)
{
	uint64_t free_ = 0;

	return __atomic_compare_exchange_n(&pages[i].lock, &free_, id + 1, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

static void give(uint64_t i)
{
	__atomic_store_n(&pages[i].lock, 0, __ATOMIC_RELEASE);
}

static bool take_shared(uint64_t i)
{
	uint64_t w = __atomic_load_n(&pages[i].lock, __ATOMIC_RELAXED);

	if (w & LOCK_OWNER)
		return false;
	return __atomic_compare_exchange_n(&pages[i].lock, &w, w + LOCK_READER, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static void give_shared(uint64_t i)
{
	__atomic_fetch_sub(&pages[i].lock, LOCK_READER, __ATOMIC_RELEASE);
}

/* ---- accesses ---- */

/* Check page i against its generation; no discard fault may come. */
static void check(struct cpu *c, unsigned int id, uint64_t i, const char *what)
{
	unsigned int d;

	c->cur = i + 1;
	d = page_diff(gfn_of(i), pages[i].gen);
	c->cur = 0;
	if (d) {
		c->mismatches++;
		fail(id, "%s: page %lu (gfn %#lx, state %u) gen %lu: %u words wrong, word 0 %#lx",
		     what, i, gfn_of(i), pages[i].state, pages[i].gen, d, gfn_ptr(gfn_of(i))[0]);
	}
}

/* Write generation gen into page i; a discard fault only if it is VOLATILE. */
static uint64_t fill(struct cpu *c, uint64_t i, uint64_t gen)
{
	c->cur_faults = 0;
	c->fill_gen = gen;
	c->writing = true;
	c->ve_ok = pages[i].state == P_VOLATILE;
	c->cur = i + 1;
	page_fill(gfn_of(i), gen);
	c->cur = 0;
	c->ve_ok = false;
	c->writing = false;
	pages[i].gen = gen;
	return c->cur_faults;
}

/* Read a VOLATILE page: its content, or a discard fault that re-creates it. */
static void vol_read(struct cpu *c, unsigned int id, uint64_t i)
{
	unsigned int d;

	c->cur_faults = 0;
	c->fill_gen = pages[i].gen;
	c->ve_ok = true;
	c->cur = i + 1;
	d = page_diff(gfn_of(i), pages[i].gen);
	c->cur = 0;
	c->ve_ok = false;
	if (d) {
		c->mismatches++;
		fail(id, "volatile page %lu (gfn %#lx) gen %lu read %u wrong words (%lu faults), "
		     "word 0 %#lx", i, gfn_of(i), pages[i].gen, d, c->cur_faults,
		     gfn_ptr(gfn_of(i))[0]);
	}
	if (!c->cur_faults)
		c->vol_intact++;
}

/* ---- state changes ---- */

/* STABLE or REUSED -> VOLATILE or UNUSED. */
static void hint(struct cpu *c, unsigned int id, uint64_t i, unsigned int ns)
{
	struct page *p = &pages[i];
	uint64_t g = gfn_of(i);
	int64_t r;
	uint8_t b;

	if (by_table(i)) {
		b = tbl_cmpxchg(g, HV_PAGE_STABLE, (uint8_t)ns);
		if (b != HV_PAGE_STABLE)
			fail(id, "page %lu: CAS 0 -> %u found %#x", i, ns, b);
	} else {
		r = hv_set_state(g, ns);
		if (r < 0 || (r & HV_RES_DISCARDED) ||
		    (HV_RES_OLD_STATE(r) != HV_PAGE_STABLE &&
		     (p->state != P_REUSED || HV_RES_OLD_STATE(r) != p->hint)))
			fail(id, "page %lu (state %u): set_state(%u) = %#lx", i, p->state, ns, r);
	}
	p->state = ns == HV_PAGE_VOLATILE ? P_VOLATILE : P_UNUSED;
}

/*
 * VOLATILE -> STABLE. The answer must be true: discarded means zeros (then
 * re-created), anything else the content as it was.
 */
static void take_back(struct cpu *c, unsigned int id, uint64_t i)
{
	struct page *p = &pages[i];
	uint64_t g = gfn_of(i);
	bool gone = false;
	int64_t r;
	uint8_t b;

	if (by_table(i)) {
		b = tbl_cmpxchg(g, HV_PAGE_VOLATILE, HV_PAGE_STABLE);
		if (b == TBL_V_DISC) {
			gone = true;
			if (!tbl_cas(g, b, HV_PAGE_STABLE))
				fail(id, "page %lu: CAS 0x82 -> 0 failed (%#x)", i, tbl_get(g));
		} else if (b == HV_PAGE_STABLE) {
			c->host_stable++; /* the host saw a write since it noticed the hint */
		} else if (b != HV_PAGE_VOLATILE) {
			fail(id, "page %lu: volatile, but its table byte is %#x", i, b);
		}
	} else {
		r = hv_set_state(g, HV_PAGE_STABLE);
		if (r < 0 || (HV_RES_OLD_STATE(r) != HV_PAGE_VOLATILE &&
			      HV_RES_OLD_STATE(r) != HV_PAGE_STABLE) ||
		    ((r & HV_RES_DISCARDED) && (HV_RES_OLD_STATE(r) != HV_PAGE_VOLATILE ||
						HV_RES_HOST_STATE(r) != HV_HOST_ZERO)))
			fail(id, "page %lu: set_state(S) = %#lx", i, r);
		gone = r >= 0 && (r & HV_RES_DISCARDED);
		c->host_stable += r >= 0 && HV_RES_OLD_STATE(r) == HV_PAGE_STABLE;
	}
	p->state = P_STABLE;
	if (gone) {
		c->found++;
		c->cur = i + 1;
		if (!page_is_zero(g)) {
			c->mismatches++;
			fail(id, "page %lu (gfn %#lx): discarded, but word 0 reads %#lx", i, g,
			     gfn_ptr(g)[0]);
		}
		c->cur = 0;
		fill(c, i, p->gen + 1);
	} else {
		check(c, id, i, "taken back");
		c->back_intact++;
	}
}

/* VOLATILE -> UNUSED: a page found discarded on the way counts as found. */
static void vol_to_unused(struct cpu *c, unsigned int id, uint64_t i)
{
	uint64_t g = gfn_of(i);
	int64_t r;
	uint8_t b;

	if (by_table(i)) {
		b = tbl_cmpxchg(g, HV_PAGE_VOLATILE, HV_PAGE_UNUSED);
		if (b == TBL_V_DISC) {
			/* Only STABLE may be written over the discard mark. */
			c->found++;
			if (!tbl_cas(g, b, HV_PAGE_STABLE))
				fail(id, "page %lu: CAS 0x82 -> 0 failed (%#x)", i, tbl_get(g));
			b = HV_PAGE_STABLE;
		}
		if (b == HV_PAGE_STABLE && !tbl_cas(g, b, HV_PAGE_UNUSED))
			fail(id, "page %lu: CAS 0 -> 1 failed (%#x)", i, tbl_get(g));
		else if (b != HV_PAGE_STABLE && b != HV_PAGE_VOLATILE)
			fail(id, "page %lu: volatile, but its table byte is %#x", i, b);
	} else {
		r = hv_set_state(g, HV_PAGE_UNUSED);
		if (r < 0 || (HV_RES_OLD_STATE(r) != HV_PAGE_VOLATILE &&
			      HV_RES_OLD_STATE(r) != HV_PAGE_STABLE) ||
		    ((r & HV_RES_DISCARDED) && HV_RES_OLD_STATE(r) != HV_PAGE_VOLATILE))
			fail(id, "page %lu: set_state(U) = %#lx", i, r);
		c->found += r >= 0 && (r & HV_RES_DISCARDED);
	}
	pages[i].state = P_UNUSED;
}

/* UNUSED -> STABLE by call or CAS, then a new generation. */
static void unused_back(struct cpu *c, unsigned int id, uint64_t i)
{
	uint64_t g = gfn_of(i);
	int64_t r;
	uint8_t b;

	if (by_table(i)) {
		/* 0: the host saw a write since it noticed the hint (an older one). */
		b = tbl_cmpxchg(g, HV_PAGE_UNUSED, HV_PAGE_STABLE);
		if (b != HV_PAGE_UNUSED && b != HV_PAGE_STABLE)
			fail(id, "page %lu: unused, but its table byte is %#x", i, b);
	} else {
		r = hv_set_state(g, HV_PAGE_STABLE);
		if (r < 0 || (r & HV_RES_DISCARDED) || HV_RES_OLD_STATE(r) != HV_PAGE_UNUSED)
			fail(id, "page %lu: set_state(S) on an unused page = %#lx", i, r);
	}
	pages[i].state = P_STABLE;
	fill(c, i, pages[i].gen + 1);
	c->unused_reuses++;
}

/* Call-hinted UNUSED or VOLATILE page: written without a call. */
static void reuse_write(struct cpu *c, unsigned int id, uint64_t i)
{
	struct page *p = &pages[i];
	unsigned int was = p->state == P_VOLATILE ? HV_PAGE_VOLATILE : HV_PAGE_UNUSED;

	if (fill(c, i, p->gen + 1) == 0) {
		p->state = P_REUSED;
		p->hint = (uint8_t)was;
	} /* else the discard fault made it STABLE */
	c->reuse_writes++;
}

/* What call 6 and the table say must fit what we know. */
static void state_check(unsigned int id, uint64_t i)
{
	struct page *p = &pages[i];
	uint64_t g = gfn_of(i);
	int64_t r = hv_get_state(g);
	unsigned int gs = (unsigned int)HV_RES_OLD_STATE(r);
	bool disc = r >= 0 && (r & HV_RES_DISCARDED), ok;
	uint8_t b = tbl_get(g);

	switch (p->state) {
	case P_STABLE:
		ok = gs == HV_PAGE_STABLE && !disc && b == HV_PAGE_STABLE;
		break;
	case P_REUSED:
		ok = (gs == HV_PAGE_STABLE || gs == p->hint) && !disc;
		break;
	case P_VOLATILE:
		/* Discarded stays discarded until we say otherwise. */
		ok = (gs == HV_PAGE_VOLATILE || (gs == HV_PAGE_STABLE && !disc)) &&
		     (!disc || (HV_RES_HOST_STATE(r) == HV_HOST_ZERO && b == TBL_V_DISC));
		break;
	default:
		ok = (gs == HV_PAGE_UNUSED || (by_table(i) && gs == HV_PAGE_STABLE)) && !disc;
	}
	if (r < 0 || !ok)
		fail(id, "page %lu (state %u): call 6 says %#lx, table byte %#x", i, p->state, r, b);
}

/* One operation on page i, held by this vCPU alone. */
static void operate(struct cpu *c, unsigned int id, uint64_t i, uint64_t r)
{
	struct page *p = &pages[i];
	unsigned int op = (unsigned int)(r % 8);

	switch (p->state) {
	case P_STABLE:
	case P_REUSED:
		check(c, id, i, "held");
		if (op <= 1) {
			fill(c, i, p->gen + 1);
		} else if (op <= 4) {
			if (r & 8)
				fill(c, i, p->gen + 1);
			hint(c, id, i, HV_PAGE_VOLATILE);
		} else if (op <= 6) {
			hint(c, id, i, HV_PAGE_UNUSED);
		} else {
			state_check(id, i);
		}
		break;
	case P_VOLATILE:
		if (op <= 2 || (op == 6 && by_table(i)))
			take_back(c, id, i);
		else if (op <= 5)
			vol_read(c, id, i);
		else if (op == 6)
			reuse_write(c, id, i);
		else if (r & 8)
			vol_to_unused(c, id, i);
		else
			state_check(id, i);
		break;
	default:
		if (op <= 2 || (op <= 4 && by_table(i)))
			unused_back(c, id, i);
		else if (op <= 4)
			reuse_write(c, id, i);
		else
			state_check(id, i);
	}
}

/* Read a STABLE or REUSED page beside other readers. */
static void shared_read(struct cpu *c, unsigned int id, uint64_t i)
{
	if (!take_shared(i)) {
		c->contended++;
		return;
	}
	if (pages[i].state == P_STABLE || pages[i].state == P_REUSED) {
		check(c, id, i, "shared read");
		c->shared_reads++;
	}
	give_shared(i);
}

/* The work of each vCPU, the BSP's included. */
static void work(unsigned int id)
{
	struct cpu *c = &cpus[id];
	volatile struct hv_ve_info *a = &areas[id].info;
	uint64_t r, i;

	while (c->ops < OPS_PER_CPU) {
		r = xorshift64(&c->seed);
		i = (r >> 8) % NPAGES;
		hog_touch(&c->hog, r & HOG_MASK);
		if ((r >> 40) % 4 == 0) {
			shared_read(c, id, i);
			continue;
		}
		if (!take(i, id)) {
			c->contended++;
			continue;
		}
		if (pages[i].last && pages[i].last != id + 1)
			c->moved++;
		pages[i].last = (uint8_t)(id + 1);
		operate(c, id, i, r >> 48);
		give(i);
		c->ops++;
		/* Nobody else's discard fault may land in our area. */
		if (a->busy || (a->gpa != c->last_gpa))
			fatal(id, "own #VE area changed behind us: busy %#x gpa %#lx (last %#lx)",
			      a->busy, a->gpa, c->last_gpa);
	}
}

static void ap_main(unsigned int id)
{
	int64_t r;

	if (id >= NR_CPUS)
		return;
	r = (int64_t)hypercall(HV_HC_REGISTER_VE_AREA, (uint64_t)&areas[id].info, 0, 0, 0);
	if (r)
		fail(id, "REGISTER_VE_AREA = %ld", r);
	__atomic_fetch_add(&ap_ready, 1, __ATOMIC_SEQ_CST);
	smp_ipi(0, SMP_WAKE_VECTOR);
	smp_wait(&go, 1);
	work(id);
	__atomic_fetch_add(&done, 1, __ATOMIC_SEQ_CST);
	smp_ipi(0, SMP_WAKE_VECTOR);
}

/* The end: every page taken back and checked on the BSP. */
static void final_check(void)
{
	struct cpu *c = &cpus[0];

	for (uint64_t i = 0; i < NPAGES; i++) {
		if (pages[i].lock)
			fail(0, "page %lu still locked (%#lx)", i, pages[i].lock);
		switch (pages[i].state) {
		case P_VOLATILE:
			take_back(c, 0, i);
			break;
		case P_STABLE:
		case P_REUSED:
			check(c, 0, i, "at the end");
			break;
		}
	}
}

void test_main(void)
{
	struct hv_vm_stats s0, s1;
	uint64_t faults = 0, found = 0, mismatches = 0, moved = 0, intact = 0;
	uint32_t a, b, cx, d;

	/* ABI.md §7: gla is 0 where the host CPU does not report it (AMD). */
	cpuid(0, &a, &b, &cx, &d);
	gla_known = !(b == 0x68747541 && d == 0x69746e65 && cx == 0x444d4163);
	if (start_info->vcpus != NR_CPUS)
		test_end(TEST_ERROR, "this test needs vcpus=4");
	table_register();
	base = alloc_frames(NPAGES);
	/* Each vCPU its own seed and its share of the rest of RAM as a hog. */
	for (unsigned int id = 0; id < NR_CPUS; id++) {
		uint64_t n = free_frames() / (NR_CPUS - id);

		cpus[id].seed = 0x9e3779b97f4a7c15ULL * (id + 1);
		hog_init(&cpus[id].hog, alloc_frames(n), n);
	}
	for (uint64_t i = 0; i < NPAGES; i++) {
		pages[i].gen = 1;
		page_fill(gfn_of(i), 1);
	}
	idt_set_gate(HV_DISCARD_VECTOR, isr_ve);
	EXPECT_EQ(hypercall(HV_HC_REGISTER_VE_AREA, (uint64_t)&areas[0].info, 0, 0, 0), 0);
	smp_apic_on(); /* the APs wake us with an IPI */
	asm volatile("sti");
	for (unsigned int id = 1; id < NR_CPUS; id++)
		if (!smp_start_ap(id, ap_main))
			test_end(TEST_ERROR, "an AP did not come up");
	if (!smp_wait(&ap_ready, NR_CPUS - 1))
		test_end(TEST_ERROR, "the APs did not register their #VE areas");
	gprintf("%u vCPUs, %u shared pages at %#lx, a hog of %lu frames each\n", NR_CPUS, NPAGES,
		base, cpus[0].hog.n);

	stats_get(&s0);
	go = 1;
	smp_ipi(0, SMP_ICR_OTHERS | SMP_WAKE_VECTOR);
	work(0);
	if (!smp_wait(&done, NR_CPUS - 1))
		fail(0, "only %lu APs finished", done);
	final_check();
	stats_get(&s1);

	for (unsigned int id = 0; id < NR_CPUS; id++) {
		struct cpu *c = &cpus[id];

		gprintf("vCPU %u: %lu ops (%lu moved in, %lu contended, %lu shared reads), %lu discard "
			"faults (%lu on writes), volatile reads intact %lu, taken back intact %lu / "
			"discarded %lu, reuse writes %lu, unused reused %lu, host-stable %lu, "
			"mismatches %lu\n", id, c->ops, c->moved, c->contended, c->shared_reads,
			c->faults, c->faults_write, c->vol_intact, c->back_intact, c->found,
			c->reuse_writes, c->unused_reuses, c->host_stable, c->mismatches);
		faults += c->faults;
		found += c->found;
		mismatches += c->mismatches;
		moved += c->moved;
		intact += c->vol_intact + c->back_intact;
		EXPECT_EQ(areas[id].info.busy, 0);
		EXPECT_EQ(areas[id].info.gpa, c->last_gpa);
	}
	gprintf("total: %lu discard faults, %lu pages found discarded, %lu mismatches; stats: "
		"discard_faults +%lu, drops_volatile +%lu, drops_unused +%lu, reuse +%lu, "
		"page-outs +%lu\n", faults, found, mismatches, s1.discard_faults - s0.discard_faults,
		s1.drops_volatile - s0.drops_volatile, s1.drops_unused - s0.drops_unused,
		s1.reuse_detected - s0.reuse_detected, s1.page_outs - s0.page_outs);
	EXPECT_EQ(mismatches, 0);
	/* Every discard fault the host raised was taken here, on the right vCPU. */
	EXPECT_EQ(s1.discard_faults - s0.discard_faults, faults);
	/* Every volatile page the host dropped was reported exactly once. */
	EXPECT_EQ(s1.drops_volatile - s0.drops_volatile, faults + found);
	/* The test did what it is for: pages changed hands, both outcomes came. */
	EXPECT(moved > 0);
	EXPECT(faults > 0);
	EXPECT(found > 0);
	EXPECT(intact > 0);
}
