/* SPDX-License-Identifier: MIT */
/*
 * abuse: well over 100,000 hypercalls with random and hostile arguments
 * (fixed-seed xorshift): gfns out of range, unaligned and huge addresses,
 * MMIO and past-RAM buffers, huge counts, a batch that hints its own page,
 * registering twice, a state table registered over the #VE area, unknown
 * numbers, calls from CPL 3. Every result is checked per call number
 * against the ABI: the documented error in the documented order, or a
 * legal result. For that the guest keeps a model of the state of every
 * page it hints (a sandbox: the free RAM above the image, minus a hog at
 * the top that keeps up memory pressure, and a few low frames). Between
 * calls it changes states through the shared table too, and writes and
 * re-reads stable sandbox pages, which must keep their content whatever the
 * calls did. The VM must survive all of it.
 */
#include "hvtest.h"
#include <stdio.h>
#include <string.h>

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

const char test_title[] = "abuse: random and hostile hypercalls get legal answers";

#define CALLS 100000
#define ERR(e) ((uint64_t)-(int64_t)(e))
#define STATS_SIZE ((uint64_t)sizeof(struct hv_vm_stats))
#define MAX_FRAMES 4096
#define LOW_FIRST 0x10 /* low sandbox: gfns 0x10..0x3f (the table bytes of 0x40..0x7f are the #VE area) */
#define LOW_END 0x40

/* The table (one byte per frame) and the #VE area share this page. */
static uint8_t tblpage[4096] __attribute__((aligned(4096)));
/* The #VE area: never inside the table, whose bytes the host only CASes. */
static uint8_t vebuf[64] __attribute__((aligned(64)));

#define HOG_FRAMES 1536 /* 6 MiB at the top of RAM: our own memory pressure */

static struct hog hog;
static uint64_t frames, mem, sb_first, sb_end, seed = 0x9e3779b97f4a7c15ULL, features;
static uint8_t model[MAX_FRAMES];   /* guest state of each sandbox page */
static bool maydisc[MAX_FRAMES];    /* VOLATILE/POT_VOLATILE: the host may have dropped it */
static bool knowndisc[MAX_FRAMES];  /* the host said "discarded": it stays so until S or U */
static bool valid[MAX_FRAMES];      /* STABLE with content we wrote: stamp[] */
static uint64_t stamp[MAX_FRAMES];
static uint64_t ncalls, nbad, per_nr[12], bad_nr[12], lost_batches, efault_disc, table_ops;
static uint64_t user_calls, writes, checks;

static uint64_t rnd(void)
{
	return xorshift64(&seed);
}

static uint64_t below(uint64_t n)
{
	return rnd() % n;
}

static bool in_sandbox(uint64_t g)
{
	return (g >= LOW_FIRST && g < LOW_END) || (g >= sb_first && g < sb_end);
}

static uint64_t sandbox_gfn(void)
{
	uint64_t nlow = LOW_END - LOW_FIRST, n = nlow + sb_end - sb_first, k = below(n);

	return k < nlow ? LOW_FIRST + k : sb_first + k - nlow;
}

static uint64_t model_state(uint64_t g)
{
	return in_sandbox(g) ? model[g] : HV_PAGE_STABLE;
}

static uint64_t call(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	ncalls++;
	per_nr[nr <= HV_HC_MAX ? nr : 10]++;
	return hypercall(nr, a0, a1, a2, a3);
}

static void bad(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t ret, const char *why)
{
	nbad++;
	bad_nr[nr <= HV_HC_MAX ? nr : 10]++;
	test_fail("call %lu: nr %#lx (%#lx, %#lx, %#lx) = %#lx: %s", ncalls, nr, a0, a1, a2, ret, why);
}

#define EXPECT_RET(nr, a0, a1, a2, ret, want)                                                  \
	do {                                                                                   \
		if ((ret) != (want))                                                           \
			bad(nr, a0, a1, a2, ret, "expected " #want);                           \
	} while (0)

/* Apply state ns to sandbox page g in the model. */
static void model_set(uint64_t g, uint64_t ns)
{
	if (!in_sandbox(g))
		return;
	if (ns != HV_PAGE_STABLE)
		valid[g] = false;
	if (model[g] != HV_PAGE_STABLE && ns == HV_PAGE_STABLE)
		valid[g] = false; /* content unknown until we write it again */
	model[g] = (uint8_t)ns;
	maydisc[g] = ns == HV_PAGE_VOLATILE || ns == HV_PAGE_POT_VOLATILE;
	if (!maydisc[g])
		knowndisc[g] = false; /* ABI 5.3: STABLE or UNUSED remove the mark */
}

/* After a legal result or state word r for g: remember a reported discard. */
static void learn(uint64_t g, uint64_t r)
{
	if (in_sandbox(g) && (r & HV_RES_DISCARDED))
		knowndisc[g] = true;
}

/*
 * Is r a legal result word (call 3, batch entries) or state word (call 6)
 * for g whose model state is old? "" if so, else why not.
 */
static const char *word_ok(uint64_t g, uint64_t r, uint64_t old)
{
	if (r & ~0x1fULL)
		return "bits above 4 set";
	if (HV_RES_HOST_STATE(r) == 3)
		return "host state 3";
	if (HV_RES_OLD_STATE(r) != old)
		return "wrong guest state";
	if ((r & HV_RES_DISCARDED) && (!in_sandbox(g) || !maydisc[g]))
		return "discarded, but the page was never VOLATILE/POT_VOLATILE";
	if ((r & HV_RES_DISCARDED) && HV_RES_HOST_STATE(r) != HV_HOST_ZERO)
		return "discarded, but the host state is not ZERO";
	if (in_sandbox(g) && valid[g] && HV_RES_HOST_STATE(r) == HV_HOST_ZERO)
		return "a STABLE page with content is ZERO: content lost";
	/* ABI 5.3: a discarded page stays discarded through V/P transitions. */
	if (in_sandbox(g) && knowndisc[g] && !(r & HV_RES_DISCARDED))
		return "the discard mark went away without a transition to STABLE or UNUSED";
	return "";
}

/* Hostile gfn: out of range of every kind, or (often) a sandbox page. */
static uint64_t any_gfn(bool *ok)
{
	static const uint64_t hostile[] = { 0xfee00, 0xfec00, 0xfffff, 1ULL << 32, 1ULL << 40,
					    (1ULL << 52) - 1, ~0ULL, ~0ULL >> 1, 1ULL << 63 };

	*ok = false;
	switch (below(8)) {
	case 0:
		return frames + below(4);
	case 1:
		return hostile[below(sizeof(hostile) / 8)];
	case 2:
		return rnd() | frames;
	default:
		*ok = true;
		return sandbox_gfn();
	}
}

static uint64_t any_state(void)
{
	static const uint64_t hostile[] = { 4, 5, 7, 0x80, 0x82, 0x100, 1ULL << 32, ~0ULL };

	return below(6) ? below(4) : hostile[below(sizeof(hostile) / 8)];
}

/* Past RAM, MMIO, unaligned and so on; ok/aligned say what it is. */
static uint64_t hostile_gpa(void)
{
	static const uint64_t gpas[] = { 0xfee00000, 0xfec00000, 0xfed00000, 0xe0000000,
					 0xfffff000, 1ULL << 40, ~0xfffULL, 1ULL << 63 };

	switch (below(4)) {
	case 0:
		return mem;
	case 1:
		return mem + (below(16) << 12);
	case 2:
		return gpas[below(sizeof(gpas) / 8)];
	default:
		return mem + rnd() % (1ULL << 44);
	}
}

static void do_set_state(void)
{
	bool gok;
	uint64_t g = any_gfn(&gok), s = any_state(), r;

	r = call(HV_HC_SET_PAGE_STATE, g, s, rnd(), rnd());
	if (g >= frames)
		EXPECT_RET(3, g, s, 0, r, ERR(HV_ERANGE));
	else if (s > 3)
		EXPECT_RET(3, g, s, 0, r, ERR(HV_EINVAL));
	else {
		const char *why = word_ok(g, r, model_state(g));

		if (*why)
			bad(3, g, s, 0, r, why);
		learn(g, r);
		model_set(g, s);
	}
}

static void do_set_range(void)
{
	uint64_t first, count, s = any_state(), r;

	switch (below(6)) {
	case 0: /* hostile first */
		first = below(2) ? frames + below(4) : rnd();
		count = 1 + below(8);
		break;
	case 1: /* hostile count */
		first = sb_first + below(sb_end - sb_first);
		count = below(3) == 0 ? 0 : below(2) ? ~0ULL - below(3) : frames - first + 1 + below(4);
		break;
	case 2: /* low sandbox */
		first = LOW_FIRST + below(LOW_END - LOW_FIRST);
		count = 1 + below(LOW_END - first);
		break;
	default: {
		uint64_t most = below(8) ? 16 : 512;

		first = sb_first + below(sb_end - sb_first);
		count = 1 + below(MIN(most, sb_end - first));
	}
	}
	r = call(HV_HC_SET_RANGE_STATE, first, count, s, rnd());
	if (s > 3 || count == 0)
		EXPECT_RET(4, first, count, s, r, ERR(HV_EINVAL));
	else if (first >= frames || count > frames - first)
		EXPECT_RET(4, first, count, s, r, ERR(HV_ERANGE));
	else {
		uint64_t changed = 0;

		for (uint64_t g = first; g < first + count; g++) {
			changed += model[g] != s;
			model_set(g, s);
		}
		if (r != changed)
			bad(4, first, count, s, r, "wrong number of pages changed");
	}
}

/* A batch in hv_batch_page: random entries, sometimes one for the batch page itself. */
static void do_batch(void)
{
	static uint64_t in[HV_BATCH_MAX];
	uint64_t n = below(20) ? 1 + below(16) : 1 + below(HV_BATCH_MAX), self = ~0ULL, r;
	uint64_t bgfn = (uint64_t)hv_batch_page >> PAGE_SHIFT;

	for (uint64_t i = 0; i < n; i++) {
		bool gok;
		uint64_t g = any_gfn(&gok) & ((1ULL << 52) - 1), s;

		if (g < frames && !in_sandbox(g))
			g = frames + g % 4; /* masked to 52 bits: keep it out of range */

		s = below(6) ? below(4) : below(2) ? 4 + below(0x7fc) : HV_BATCH_ERR | below(4);
		in[i] = g << PAGE_SHIFT | s;
	}
	if (below(8) == 0) {
		self = n - 1;
		in[self] = HV_BATCH_ENTRY(bgfn, below(4));
	}
	memcpy(hv_batch_page, in, n * 8);
	r = call(HV_HC_SET_BATCH_STATE, (uint64_t)hv_batch_page, n, rnd(), rnd());
	if (self != ~0ULL) {
		/* The page hinted itself: take it back before reading the results. */
		uint64_t b = hypercall(HV_HC_SET_PAGE_STATE, bgfn, HV_PAGE_STABLE, 0, 0);

		ncalls++;
		per_nr[3]++;
		if ((int64_t)b < 0 || (b & HV_RES_DISCARDED) || HV_RES_HOST_STATE(b) == HV_HOST_ZERO) {
			if ((int64_t)b < 0 || (b & ~0x1fULL))
				bad(3, bgfn, 0, 0, b, "taking the batch page back");
			lost_batches++; /* its content went with the hint: results unknown */
			for (uint64_t i = 0; i < n; i++)
				if ((in[i] & 0xfff) <= 3 && (in[i] >> PAGE_SHIFT) < frames)
					model_set(in[i] >> PAGE_SHIFT, in[i] & 3);
			if (r != n)
				bad(5, (uint64_t)hv_batch_page, n, 0, r, "expected count");
			return;
		}
	}
	if (r != n) {
		bad(5, (uint64_t)hv_batch_page, n, 0, r, "expected count");
		return;
	}
	for (uint64_t i = 0; i < n; i++) {
		uint64_t g = in[i] >> PAGE_SHIFT, s = in[i] & 0xfff, out = hv_batch_page[i];
		uint64_t lo = out & 0xfff;
		const char *why = "";

		if (out >> PAGE_SHIFT != g)
			why = "gfn bits changed";
		else if (s > 3 && g >= frames)
			why = lo == (HV_BATCH_ERR | HV_EINVAL) || lo == (HV_BATCH_ERR | HV_ERANGE)
				      ? ""
				      : "expected ERR|EINVAL or ERR|ERANGE";
		else if (s > 3)
			why = lo == (HV_BATCH_ERR | HV_EINVAL) ? "" : "expected ERR|EINVAL";
		else if (g >= frames)
			why = lo == (HV_BATCH_ERR | HV_ERANGE) ? "" : "expected ERR|ERANGE";
		else {
			why = word_ok(g, lo, model_state(g));
			learn(g, lo);
			model_set(g, s);
		}
		if (*why) {
			char msg[96];

			snprintf(msg, sizeof(msg), "entry %lu of %lu: %#lx -> %#lx: %s", i, n, in[i], out,
				 why);
			bad(5, (uint64_t)hv_batch_page, n, 0, r, msg);
		}
	}
}

static void do_batch_hostile(void)
{
	uint64_t gpa, n, r;

	switch (below(4)) {
	case 0: /* unaligned */
		gpa = (uint64_t)hv_batch_page + 1 + below(4095);
		n = 1 + below(HV_BATCH_MAX);
		break;
	case 1: /* bad count */
		gpa = (uint64_t)hv_batch_page;
		n = below(2) ? 0 : below(2) ? HV_BATCH_MAX + 1 + below(1000) : rnd() | 1ULL << 40;
		break;
	default:
		gpa = hostile_gpa();
		n = 1 + below(HV_BATCH_MAX);
	}
	r = call(HV_HC_SET_BATCH_STATE, gpa, n, rnd(), rnd());
	if ((gpa & 0xfff) || n == 0 || n > HV_BATCH_MAX)
		EXPECT_RET(5, gpa, n, 0, r, ERR(HV_EINVAL));
	else if (gpa >= mem)
		EXPECT_RET(5, gpa, n, 0, r, ERR(HV_EFAULT));
	else
		bad(5, gpa, n, 0, r, "generator error");
}

static void do_get_state(void)
{
	bool gok;
	uint64_t g = below(8) ? any_gfn(&gok) : below(frames), r;

	r = call(HV_HC_GET_PAGE_STATE, g, rnd(), rnd(), rnd());
	if (g >= frames)
		EXPECT_RET(6, g, 0, 0, r, ERR(HV_ERANGE));
	else {
		const char *why = word_ok(g, r, model_state(g));

		if (*why)
			bad(6, g, 0, 0, r, why);
		learn(g, r);
	}
}

static void do_register_table(void)
{
	uint64_t gpa, n, r;

	switch (below(5)) {
	case 0:
		gpa = (uint64_t)tblpage + (below(2) ? 1 + below(4095) : 0);
		n = below(2) ? frames : below(2) ? frames + 1 : below(2) ? 0 : rnd();
		break;
	case 1:
		gpa = hostile_gpa() & ~0xfffULL;
		n = frames;
		break;
	case 2:
		gpa = hostile_gpa();
		n = below(2) ? frames : rnd();
		break;
	default: /* well-formed: already registered */
		gpa = (uint64_t)sandbox_gfn() << PAGE_SHIFT;
		n = frames;
	}
	r = call(HV_HC_REGISTER_TABLE, gpa, n, rnd(), rnd());
	if ((gpa & 0xfff) || n != frames)
		EXPECT_RET(7, gpa, n, 0, r, ERR(HV_EINVAL));
	else if (gpa >= mem || n > mem - gpa)
		EXPECT_RET(7, gpa, n, 0, r, ERR(HV_EFAULT));
	else
		EXPECT_RET(7, gpa, n, 0, r, ERR(HV_EBUSY));
}

static void do_register_ve(void)
{
	uint64_t gpa, r;

	switch (below(3)) {
	case 0:
		gpa = (uint64_t)tblpage + below(4096);
		break;
	case 1:
		gpa = hostile_gpa() & ~(below(2) ? 63ULL : 0);
		break;
	default:
		gpa = (sandbox_gfn() << PAGE_SHIFT) + below(64) * 64;
	}
	r = call(HV_HC_REGISTER_VE_AREA, gpa, rnd(), rnd(), rnd());
	if (gpa & 63)
		EXPECT_RET(8, gpa, 0, 0, r, ERR(HV_EINVAL));
	else if (gpa >= mem || (gpa >= (uint64_t)tblpage && gpa < (uint64_t)tblpage + frames))
		EXPECT_RET(8, gpa, 0, 0, r, ERR(HV_EFAULT)); /* not RAM, or on the table */
	else
		EXPECT_RET(8, gpa, 0, 0, r, ERR(HV_EBUSY));
}

static struct hv_vm_stats stbuf __attribute__((aligned(256)));

static void do_get_stats(void)
{
	uint64_t gpa, size, r, n, g = ~0ULL;

	size = below(4) ? 1 + below(2 * STATS_SIZE) : below(2) ? 0 : rnd();
	switch (below(4)) {
	case 0:
		gpa = (uint64_t)&stbuf + (below(4) ? 0 : 1 + below(7));
		break;
	case 1:
		gpa = hostile_gpa() & ~(below(2) ? 7ULL : 0);
		break;
	default: /* into a sandbox page, never across its end (that is checked on its own) */
		g = sandbox_gfn();
		n = MIN(size, STATS_SIZE);
		gpa = (g << PAGE_SHIFT) + (below((PAGE_SIZE - MAX(n, 8)) / 8 + 1) * 8);
	}
	r = call(HV_HC_GET_STATS, gpa, size, rnd(), rnd());
	n = MIN(size, STATS_SIZE);
	if (size == 0 || (gpa & 7))
		EXPECT_RET(9, gpa, size, 0, r, ERR(HV_EINVAL));
	else if (gpa >= mem || n > mem - gpa)
		EXPECT_RET(9, gpa, size, 0, r, ERR(HV_EFAULT));
	else if (g != ~0ULL && r == ERR(HV_EFAULT) && maydisc[g]) {
		/* Undocumented: the host cannot write into a dropped VOLATILE page. */
		int64_t st = hv_get_state(g);

		ncalls++;
		per_nr[6]++;
		if (st < 0 || !(st & HV_RES_DISCARDED))
			bad(9, gpa, size, 0, r, "EFAULT into a sandbox page that is not discarded");
		learn(g, (uint64_t)st);
		efault_disc++;
	} else {
		EXPECT_RET(9, gpa, size, 0, r, n);
		if (g != ~0ULL && r == n && knowndisc[g])
			bad(9, gpa, size, 0, r, "wrote into a page the host had said is discarded");
		if (g != ~0ULL && r == n) {
			model_set(g, HV_PAGE_STABLE); /* the host wrote it: STABLE, content ours no more */
			valid[g] = false;
		}
	}
}

static void do_unknown(void)
{
	uint64_t nr, r;

	switch (below(4)) {
	case 0:
		nr = 0;
		break;
	case 1:
		nr = HV_HC_MAX + 1 + below(100);
		break;
	case 2:
		nr = (1 + below(HV_HC_MAX)) | (1ULL << (32 + below(32)));
		break;
	default:
		nr = rnd() | (1ULL << 31);
	}
	r = call(nr, rnd(), rnd(), rnd(), rnd());
	EXPECT_RET(nr, 0, 0, 0, r, ERR(HV_ENOSYS));
}

static void do_user(void)
{
	uint64_t nr = below(2) ? 1 + below(HV_HC_MAX) : HV_HC_MAX + 1 + below(1000);
	uint64_t r = user_vmcall(nr, sandbox_gfn(), below(4), 1);

	user_calls++;
	ncalls++;
	per_nr[nr <= HV_HC_MAX ? nr : 10]++;
	EXPECT_RET(nr, 0, 0, 0, r, nr <= HV_HC_MAX ? ERR(HV_EPERM) : ERR(HV_ENOSYS));
}

/* A state change through the shared table, no exit. */
static void do_table_op(void)
{
	uint64_t g = sandbox_gfn(), ns = below(4);
	uint8_t b = tbl_get(g), m = model[g];

	table_ops++;
	if (b != m && !(maydisc[g] && b == (m | HV_TABLE_DISCARDED))) {
		test_fail("table byte of %#lx is %#x, model says %u", g, b, m);
		nbad++;
	} else if (knowndisc[g] && b == m) {
		test_fail("table byte of %#lx is %#x: the host had said it is discarded", g, b);
		nbad++;
	}
	if (b & HV_TABLE_DISCARDED) {
		knowndisc[g] = true;
		ns = HV_PAGE_STABLE; /* only STABLE may be written over 0x82/0x83 */
	}
	while (!tbl_cas(g, b, (uint8_t)ns)) {
		uint8_t now = tbl_get(g);

		/* Only the host's drop may have come in between. */
		if (now != (b | HV_TABLE_DISCARDED) || !maydisc[g]) {
			test_fail("table byte of %#lx went %#x -> %#x", g, b, now);
			nbad++;
		}
		b = now;
		ns = HV_PAGE_STABLE;
	}
	model_set(g, ns);
}

/* Write a stable sandbox page (pressure, and content that must stay). */
static void do_write(void)
{
	uint64_t g = sandbox_gfn();
	volatile uint64_t *w = gfn_ptr(g);

	if (model[g] != HV_PAGE_STABLE)
		return;
	writes++;
	stamp[g] = rnd() | 1;
	w[0] = stamp[g];
	w[511] = ~stamp[g];
	valid[g] = true;
}

static void check_page(uint64_t g)
{
	volatile uint64_t *w = gfn_ptr(g);

	checks++;
	if (w[0] != stamp[g] || w[511] != ~stamp[g]) {
		nbad++;
		test_fail("stable sandbox gfn %#lx: %#lx %#lx, wrote %#lx", g, w[0], w[511], stamp[g]);
		valid[g] = false;
	}
}

static void on_discard(volatile struct hv_ve_info *ve)
{
	test_fail("discard fault at gpa %#lx: we never touch non-STABLE pages", ve->gpa);
	hv_set_state(ve->gpa >> PAGE_SHIFT, HV_PAGE_STABLE);
	ve->busy = 0;
}

/* Deterministic edge cases, once each. */
static void edge_cases(void)
{
	uint64_t r, ve = (uint64_t)vebuf;

	/* #VE area first; a table over it is refused (the host would write #VE
	 * information into table bytes), one beside it is fine. */
	r = hypercall(HV_HC_REGISTER_VE_AREA, ve, 0, 0, 0);
	EXPECT_EQ(r, 0);
	ve_area = (volatile struct hv_ve_info *)ve;
	set_discard_handler(on_discard);
	EXPECT_EQ(hypercall(HV_HC_REGISTER_TABLE, ve & ~0xfffULL, frames, 0, 0), ERR(HV_EFAULT));
	r = hypercall(HV_HC_REGISTER_TABLE, (uint64_t)tblpage, frames, 0, 0);
	EXPECT_EQ(r, 0);
	hv_table = tblpage;
	/* Twice: EBUSY, after the argument checks. */
	EXPECT_EQ(hypercall(HV_HC_REGISTER_VE_AREA, ve, 0, 0, 0), ERR(HV_EBUSY));
	EXPECT_EQ(hypercall(HV_HC_REGISTER_VE_AREA, ve + 1, 0, 0, 0), ERR(HV_EINVAL));
	EXPECT_EQ(hypercall(HV_HC_REGISTER_TABLE, (uint64_t)tblpage, frames, 0, 0), ERR(HV_EBUSY));
	EXPECT_EQ(hypercall(HV_HC_REGISTER_TABLE, (uint64_t)tblpage, frames - 1, 0, 0),
		  ERR(HV_EINVAL));
	EXPECT_EQ(hypercall(HV_HC_REGISTER_TABLE, mem, frames, 0, 0), ERR(HV_EFAULT));
	/* The #VE area's bytes are table bytes of gfns 0x40..0x7f: all zero, STABLE. */
	EXPECT_EQ(hypercall(HV_HC_GET_PAGE_STATE, 0x44, 0, 0, 0) & 3, HV_PAGE_STABLE);
	/* Range wrap-around: first + count overflows 64 bits. */
	EXPECT_EQ(hypercall(HV_HC_SET_RANGE_STATE, 1, ~0ULL, 1, 0), ERR(HV_ERANGE));
	EXPECT_EQ(hypercall(HV_HC_SET_RANGE_STATE, frames - 1, ~0ULL - frames + 3, 1, 0),
		  ERR(HV_ERANGE));
	/* Count with high bits: not truncated to 32 bits. */
	EXPECT_EQ(hypercall(HV_HC_SET_BATCH_STATE, (uint64_t)hv_batch_page, 1ULL << 32 | 1, 0, 0),
		  ERR(HV_EINVAL));
	/* Stats at the very end of RAM: 8 bytes fit, 16 do not. */
	r = hypercall(HV_HC_GET_STATS, mem - 8, 8, 0, 0);
	EXPECT_EQ(r, 8);
	model_set(frames - 1, HV_PAGE_STABLE);
	EXPECT_EQ(hypercall(HV_HC_GET_STATS, mem - 8, 16, 0, 0), ERR(HV_EFAULT));
	/* A stats buffer across a page boundary, inside RAM: ABI §5.9 says it is written. */
	r = hypercall(HV_HC_GET_STATS, (sb_first << PAGE_SHIFT) + PAGE_SIZE - 64, STATS_SIZE, 0, 0);
	if (r != STATS_SIZE)
		test_fail("GET_STATS into RAM across a page boundary (gpa %#lx, %lu bytes) = %#lx, "
			  "expected %lu", (sb_first << PAGE_SHIFT) + PAGE_SIZE - 64, STATS_SIZE, r,
			  STATS_SIZE);
	ncalls += 15;
}

void test_main(void)
{
	struct hv_vm_stats st;
	uint64_t t0, t1, stable_valid = 0;
	uint32_t a, b, c, d;

	frames = ram_frames();
	mem = start_info->mem_bytes;
	if (frames > MAX_FRAMES || frames > PAGE_SIZE || free_frames() < 2 * HOG_FRAMES)
		test_end(TEST_ERROR, "this test wants 16 MiB of RAM");
	sb_first = alloc_frames(free_frames() - HOG_FRAMES);
	sb_end = alloc_frames(HOG_FRAMES);
	hog_init(&hog, sb_end, HOG_FRAMES);
	cpuid(HV_CPUID_VERSION, &a, &b, &c, &d);
	features = b;
	user_mode_init();
	edge_cases();
	gprintf("sandbox: gfns %#x-%#x and %#lx-%#lx (%lu frames), hog of %u frames\n", LOW_FIRST,
		LOW_END - 1, sb_first, sb_end - 1, sb_end - sb_first + LOW_END - LOW_FIRST, HOG_FRAMES);

	t0 = rdtsc();
	for (uint64_t iter = 1; ncalls < CALLS; iter++) {
		uint64_t k = below(100), r;

		if (iter % 2000 == 0)
			hog_touch(&hog, 256);

		if (k < 14)
			do_set_state();
		else if (k < 22)
			do_set_range();
		else if (k < 32)
			do_batch();
		else if (k < 38)
			do_batch_hostile();
		else if (k < 50)
			do_get_state();
		else if (k < 54)
			do_register_table();
		else if (k < 58)
			do_register_ve();
		else if (k < 60)
			do_get_stats(); /* rare: in table mode it walks the whole table */
		else if (k < 70)
			do_unknown();
		else if (k < 72)
			do_user();
		else if (k < 75) {
			r = call(HV_HC_GET_VERSION, rnd(), rnd(), rnd(), rnd());
			EXPECT_RET(1, 0, 0, 0, r, HV_ABI_VERSION);
		} else if (k < 77) {
			r = call(HV_HC_GET_FEATURES, rnd(), rnd(), rnd(), rnd());
			EXPECT_RET(2, 0, 0, 0, r, features);
		} else if (k < 87) {
			do_table_op();
		} else if (k < 97) {
			do_write();
		} else {
			uint64_t g = sandbox_gfn();

			if (valid[g])
				check_page(g);
		}
	}
	t1 = rdtsc();

	/* Still alive: every stable page we wrote holds its content. */
	for (uint64_t g = 0; g < frames; g++) {
		if (in_sandbox(g) && valid[g]) {
			stable_valid++;
			check_page(g);
		}
	}
	stats_get(&st);
	gprintf("%lu hypercalls (%lu from CPL 3), %lu table CASes, %lu page writes, %lu page checks "
		"in %lu M TSC ticks\n", ncalls, user_calls, table_ops, writes, checks,
		(t1 - t0) / 1000000);
	gprintf("per call number 1..9, unknown: %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu\n",
		per_nr[1], per_nr[2], per_nr[3], per_nr[4], per_nr[5], per_nr[6], per_nr[7],
		per_nr[8], per_nr[9], per_nr[10]);
	gprintf("illegal results: %lu (per call number 1..9, unknown: %lu %lu %lu %lu %lu %lu %lu "
		"%lu %lu %lu)\n", nbad, bad_nr[1], bad_nr[2], bad_nr[3], bad_nr[4], bad_nr[5],
		bad_nr[6], bad_nr[7], bad_nr[8], bad_nr[9], bad_nr[10]);
	gprintf("batches that hinted their own page away: %lu; GET_STATS EFAULT on a discarded "
		"page: %lu; %lu stable pages verified at the end\n", lost_batches, efault_disc,
		stable_valid);
	stats_print("stats", &st);
	gprintf("host counted %lu hypercalls, %lu exits\n", st.hypercalls, st.exits);
	EXPECT_EQ(nbad, 0);
	EXPECT(ncalls >= CALLS);
	/* The host counted every call, CPL 3 and unknown ones too (+1: stats_get). */
	EXPECT_EQ(st.hypercalls, ncalls + 1);
	/* And it all happened under memory pressure. */
	EXPECT(st.drops_unused + st.drops_volatile + st.drops_pot_volatile > 0);
	EXPECT(st.page_outs > 0);
}
