/* SPDX-License-Identifier: MIT */
/*
 * fuzz: a million random hypercalls and random table bytes, under memory
 * pressure. Every call number (unknown ones and calls from CPL 3 too) with
 * random arguments: gfns in and out of range, any state value, batches with
 * random entries in our own page or in a page they may hint away, ranges,
 * registration attempts for a table and a #VE area (both registered first),
 * statistics into random buffers, hints on the pinned pages of the table
 * and the #VE area. Between the calls, random bytes go into the shared
 * table (any value, by plain store or CAS, also over 0x82).
 *
 * RAM above the image and the table: a set of STABLE pages with known
 * content; a hog of STABLE pages larger than the host pool (hog_touch()),
 * so that everything not in use is paged out, the stable set too; and at
 * the top "chaos", the only pages the calls and table bytes name, touched
 * now and then (a discard fault there is made STABLE by call 3). The stable
 * set is never hinted and never named in a call: all of it is checked at
 * the end, and one page at random every so often.
 *
 * Every result must be legal: the error the ABI names for the arguments (in
 * the ABI's order), or a result that the ABI allows given what the guest
 * read in the table just before the call. No model of the page states: the
 * random table bytes make any state possible; the abuse guest does the exact
 * model at a smaller scale. The PRNG seed is fixed (printed); "seed=N
 * calls=N" on the VM's command line picks another seed or run length.
 */
#include "hvtest.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN(a, b) ((a) < (b) ? (a) : (b))

const char test_title[] = "fuzz: a million random hypercalls and table bytes under pressure";

#define CALLS 1000000
#define SEED 0x243f6a8885a308d3ULL
#define STABLE_FRAMES 384
#define HOG_FRAMES 2304 /* 9 MiB: more than the host pool (8 MiB) */
#define MAX_FRAMES 8192
#define ERR(e) ((uint64_t)-(int64_t)(e))
#define STATS_SIZE ((uint64_t)sizeof(struct hv_vm_stats))
#define NR_SLOTS 12 /* per_nr[]: 0 unknown, 1..9, 10 CPL 3, 11 #VE handler */
#define SLOT_USER 10
#define SLOT_VE 11

static uint64_t frames, mem, features, seed = SEED, calls = CALLS;
static uint64_t st_first, st_end, cz_first, cz_end, tbl_gfn;
static uint32_t st_gen[STABLE_FRAMES];
static struct hog hog;
static uint64_t ncalls, per_nr[NR_SLOTS], bad_nr[NR_SLOTS], nbad;
static uint64_t table_writes, stable_checks, stable_rewrites, ve_taken, lost_batches;
static uint64_t stats_efault_disc, last_exits;

/* Per-gfn state set by an earlier entry of the batch being checked. */
static uint32_t batch_no, bseen[MAX_FRAMES];
static uint8_t bstate[MAX_FRAMES];
static uint8_t bbefore[HV_BATCH_MAX];
static uint64_t bin[HV_BATCH_MAX];

static struct hv_vm_stats stbuf __attribute__((aligned(256)));

static uint64_t rnd(void)
{
	return xorshift64(&seed);
}

static uint64_t below(uint64_t n)
{
	return rnd() % n;
}

static unsigned int slot(uint64_t nr)
{
	return nr >= 1 && nr <= HV_HC_MAX ? (unsigned int)nr : 0;
}

static uint64_t call(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	ncalls++;
	per_nr[slot(nr)]++;
	return hypercall(nr, a0, a1, a2, a3);
}

static void bad(unsigned int sl, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t ret,
		const char *why)
{
	nbad++;
	bad_nr[sl]++;
	test_fail("call %lu: nr %#lx (%#lx, %#lx, %#lx) = %#lx: %s", ncalls, nr, a0, a1, a2, ret, why);
}

#define EXPECT_RET(nr, a0, a1, a2, ret, want)                                                  \
	do {                                                                                   \
		if ((ret) != (want))                                                           \
			bad(slot(nr), nr, a0, a1, a2, ret, "expected " #want);                 \
	} while (0)

static bool in_chaos(uint64_t g)
{
	return g >= cz_first && g < cz_end;
}

static bool in_stable(uint64_t g)
{
	return g >= st_first && g < st_end;
}

static uint64_t chaos_gfn(void)
{
	return cz_first + below(cz_end - cz_first);
}

static uint64_t stable_gfn(void)
{
	return st_first + below(st_end - st_first);
}

/* The guest state the host reads in table byte b (ABI section 6). */
static unsigned int byte_state(uint8_t b)
{
	if (b <= HV_PAGE_POT_VOLATILE)
		return b;
	if (b == (HV_TABLE_DISCARDED | HV_PAGE_VOLATILE) ||
	    b == (HV_TABLE_DISCARDED | HV_PAGE_POT_VOLATILE))
		return b & HV_PAGE_STATE_MASK;
	return HV_PAGE_STABLE;
}

/*
 * Is r a legal result word (call 3, a batch entry) or state word (call 6)
 * for a chaos page whose table byte read b just before the call? "" if so.
 * The old state is the byte's, or STABLE: an exit between our read and the
 * host's may have let reclaim see the page reused (CAS to 0).
 */
static const char *word_ok(uint64_t r, uint8_t b)
{
	unsigned int gs = byte_state(b), old = HV_RES_OLD_STATE(r);

	if (r & ~0x1fULL)
		return "bits above 4 set";
	if (HV_RES_HOST_STATE(r) == 3)
		return "host state 3";
	if (old != gs && old != HV_PAGE_STABLE)
		return "old state is neither the table byte's nor STABLE";
	if ((r & HV_RES_DISCARDED) && HV_RES_HOST_STATE(r) != HV_HOST_ZERO)
		return "discarded, but the host state is not ZERO";
	if ((r & HV_RES_DISCARDED) && old != HV_PAGE_VOLATILE && old != HV_PAGE_POT_VOLATILE)
		return "discarded, but the old state is neither VOLATILE nor POT_VOLATILE";
	return "";
}

/* The table byte after we set state s by call: s, s | 0x80 (V/P), or 0 (reuse). */
static bool byte_after_ok(uint8_t a, uint64_t s)
{
	return a == s || a == HV_PAGE_STABLE ||
	       (s >= HV_PAGE_VOLATILE && a == (HV_TABLE_DISCARDED | s));
}

/* Call 6 on a page that was never hinted: STABLE, not discarded. */
static const char *never_hinted_ok(uint64_t r, bool written)
{
	if (r & ~0xcULL)
		return "a page never hinted is not STABLE, or discarded";
	if (HV_RES_HOST_STATE(r) == 3)
		return "host state 3";
	if (written && HV_RES_HOST_STATE(r) == HV_HOST_ZERO)
		return "a STABLE page we wrote is ZERO: content lost";
	return "";
}

/* A gfn argument: mostly chaos (*in set), else not below the RAM size. */
static uint64_t gfn_arg(bool *in)
{
	static const uint64_t hostile[] = { 1ULL << 32, (1ULL << 52) - 1, 1ULL << 52, ~0ULL >> 1,
					    1ULL << 63, ~0ULL };
	uint64_t g;

	*in = false;
	switch (below(10)) {
	case 0:
		return frames + below(16);
	case 1:
		return hostile[below(sizeof(hostile) / 8)];
	case 2:
		g = rnd();
		return g < frames ? g + frames : g;
	default:
		*in = true;
		return chaos_gfn();
	}
}

static uint64_t state_arg(void)
{
	static const uint64_t hostile[] = { 4, 5, 7, 0x80, 0x82, 0x83, 0x100, 1ULL << 32,
					    1ULL << 63, ~0ULL };

	if (below(8))
		return below(4);
	return below(2) ? hostile[below(sizeof(hostile) / 8)] : rnd();
}

/* A gpa outside RAM (or at its very end), maybe unaligned. */
static uint64_t outside_gpa(void)
{
	static const uint64_t gpas[] = { 0xfee00000, 0xfec00000, 0xe0000000, 0xfffff000,
					 1ULL << 40, ~0xfffULL, ~0ULL, 1ULL << 63 };

	switch (below(5)) {
	case 0:
		return mem;
	case 1:
		return mem - 8 * (1 + below(64));
	case 2:
		return mem + (below(64) << 6);
	case 3:
		return gpas[below(sizeof(gpas) / 8)];
	default:
		return mem + rnd() % (1ULL << 48);
	}
}

/* A gpa inside chaos, aligned to align (a power of two) or not at all. */
static uint64_t chaos_gpa(uint64_t align)
{
	uint64_t off = below(PAGE_SIZE);

	return (chaos_gfn() << PAGE_SHIFT) + (align ? off & ~(align - 1) : off);
}

static void do_set_state(void)
{
	bool in;
	uint64_t g = gfn_arg(&in), s = state_arg(), r;
	uint8_t b = in ? tbl_get(g) : 0;
	const char *why;

	r = call(HV_HC_SET_PAGE_STATE, g, s, rnd(), rnd());
	if (!in)
		EXPECT_RET(3, g, s, 0, r, ERR(HV_ERANGE));
	else if (s > HV_PAGE_POT_VOLATILE)
		EXPECT_RET(3, g, s, 0, r, ERR(HV_EINVAL));
	else if (*(why = word_ok(r, b)))
		bad(3, 3, g, s, b, r, why);
	else if (!byte_after_ok(tbl_get(g), s))
		bad(3, 3, g, s, tbl_get(g), r, "table byte after the call");
}

static void do_set_range(void)
{
	uint64_t first, count, s = state_arg(), r;

	switch (below(8)) {
	case 0: /* first out of range */
		first = below(2) ? frames + below(8) : rnd() | frames;
		count = 1 + below(8);
		break;
	case 1: /* past the end of RAM, or wrapping around */
		first = chaos_gfn();
		count = below(2) ? frames - first + 1 + below(8) : ~0ULL - below(frames);
		break;
	case 2:
		first = chaos_gfn();
		count = 0;
		break;
	case 3: /* a long one */
		first = chaos_gfn();
		count = 1 + below(MIN(512, cz_end - first));
		break;
	default:
		first = chaos_gfn();
		count = 1 + below(MIN(16, cz_end - first));
	}
	r = call(HV_HC_SET_RANGE_STATE, first, count, s, rnd());
	if (s > HV_PAGE_POT_VOLATILE || count == 0)
		EXPECT_RET(4, first, count, s, r, ERR(HV_EINVAL));
	else if (first >= frames || count > frames - first)
		EXPECT_RET(4, first, count, s, r, ERR(HV_ERANGE));
	else if (r > count)
		bad(4, 4, first, count, s, r, "more pages changed than the range holds");
	else if (!byte_after_ok(tbl_get(first), s) || !byte_after_ok(tbl_get(first + count - 1), s))
		bad(4, 4, first, count, s, r, "table byte after the call");
}

/* A batch entry: chaos or out-of-range gfn (52 bits), any 12-bit state field. */
static uint64_t batch_entry(void)
{
	uint64_t g, s;

	switch (below(8)) {
	case 0:
		g = frames + below(16);
		break;
	case 1:
		g = rnd() >> 12;
		if (g < frames)
			g += frames;
		break;
	default:
		g = chaos_gfn();
	}
	s = below(6) ? below(4) : 4 + below(0xffc);
	return g << PAGE_SHIFT | s;
}

/*
 * A well-formed batch: in the runtime's page, or in a chaos page made
 * STABLE first (the batch may then hint its own page).
 */
static void do_batch(void)
{
	uint64_t n = below(24) ? 1 + below(16) : 1 + below(HV_BATCH_MAX), r;
	uint64_t *page = hv_batch_page, pg, back = ~0ULL;
	bool self = false;

	if (below(4) == 0) {
		pg = chaos_gfn();
		back = call(HV_HC_SET_PAGE_STATE, pg, HV_PAGE_STABLE, 0, 0);
		if ((back & ~0x1fULL) || HV_RES_HOST_STATE(back) == 3)
			bad(3, 3, pg, 0, 0, back, "making a batch page STABLE");
		page = (uint64_t *)gfn_ptr(pg);
	}
	pg = (uint64_t)page >> PAGE_SHIFT;
	batch_no++;
	for (uint64_t i = 0; i < n; i++) {
		bin[i] = batch_entry();
		if (back != ~0ULL && below(64) == 0) {
			bin[i] = HV_BATCH_ENTRY(pg, below(4));
			self |= (bin[i] & 3) != HV_PAGE_STABLE;
		} else if (HV_BATCH_GFN(bin[i]) == pg && (bin[i] & 0xfff) <= 3) {
			self |= (bin[i] & 3) != HV_PAGE_STABLE;
		}
		if (in_chaos(HV_BATCH_GFN(bin[i])))
			bbefore[i] = tbl_get(HV_BATCH_GFN(bin[i]));
		page[i] = bin[i];
	}
	r = call(HV_HC_SET_BATCH_STATE, (uint64_t)page, n, rnd(), rnd());
	if (r != n) {
		bad(5, 5, (uint64_t)page, n, 0, r, "expected the count");
		return;
	}
	if (self) {
		/* It hinted its own page: take the page back before reading the results. */
		uint64_t b = call(HV_HC_SET_PAGE_STATE, pg, HV_PAGE_STABLE, 0, 0);

		if ((b & ~0x1fULL) || HV_RES_HOST_STATE(b) == 3)
			bad(3, 3, pg, 0, 0, b, "taking a batch page back");
		if ((b & HV_RES_DISCARDED) || HV_RES_HOST_STATE(b) == HV_HOST_ZERO) {
			lost_batches++;
			return;
		}
	}
	for (uint64_t i = 0; i < n; i++) {
		uint64_t g = HV_BATCH_GFN(bin[i]), s = bin[i] & 0xfff, out = page[i], lo = out & 0xfff;
		const char *why = "";
		uint8_t b;

		if (out >> PAGE_SHIFT != g)
			why = "gfn bits changed";
		else if (s > HV_PAGE_POT_VOLATILE)
			why = lo == (HV_BATCH_ERR | HV_EINVAL) ? "" : "expected ERR|EINVAL";
		else if (g >= frames)
			why = lo == (HV_BATCH_ERR | HV_ERANGE) ? "" : "expected ERR|ERANGE";
		else {
			b = bseen[g] == batch_no ? bstate[g] : bbefore[i];
			why = word_ok(lo, b);
			bseen[g] = batch_no;
			bstate[g] = (uint8_t)s;
		}
		if (*why) {
			char msg[96];

			snprintf(msg, sizeof(msg), "entry %lu of %lu: %#lx -> %#lx: %s", i, n, bin[i],
				 out, why);
			bad(5, 5, (uint64_t)page, n, 0, r, msg);
		}
	}
}

static void do_batch_hostile(void)
{
	uint64_t gpa, n, r;

	switch (below(4)) {
	case 0: /* unaligned */
		gpa = (uint64_t)hv_batch_page + 1 + below(PAGE_SIZE - 1);
		n = 1 + below(HV_BATCH_MAX);
		break;
	case 1: /* bad count */
		gpa = below(2) ? (uint64_t)hv_batch_page : chaos_gpa(PAGE_SIZE);
		n = below(3) == 0 ? 0 : below(2) ? HV_BATCH_MAX + 1 + below(1000) : rnd() | 1ULL << 32;
		break;
	default:
		gpa = outside_gpa() & (below(4) ? ~0xfffULL : ~0ULL);
		if (gpa < mem)
			gpa = mem; /* masked into the last page of RAM */
		n = below(8) ? 1 + below(HV_BATCH_MAX) : rnd();
	}
	r = call(HV_HC_SET_BATCH_STATE, gpa, n, rnd(), rnd());
	if ((gpa & 0xfff) || n == 0 || n > HV_BATCH_MAX)
		EXPECT_RET(5, gpa, n, 0, r, ERR(HV_EINVAL));
	else
		EXPECT_RET(5, gpa, n, 0, r, ERR(HV_EFAULT));
}

static void do_get_state(void)
{
	uint64_t g, r;
	const char *why = "";
	bool in;
	uint8_t b;

	switch (below(8)) {
	case 0: /* a stable page: never hinted, written */
		g = stable_gfn();
		r = call(HV_HC_GET_PAGE_STATE, g, rnd(), rnd(), rnd());
		why = never_hinted_ok(r, true);
		break;
	case 1: /* the image, low memory, the table: never hinted */
		g = below(st_first);
		r = call(HV_HC_GET_PAGE_STATE, g, rnd(), rnd(), rnd());
		why = never_hinted_ok(r, g == tbl_gfn);
		break;
	default:
		g = gfn_arg(&in);
		b = in ? tbl_get(g) : 0;
		r = call(HV_HC_GET_PAGE_STATE, g, rnd(), rnd(), rnd());
		if (!in)
			EXPECT_RET(6, g, 0, 0, r, ERR(HV_ERANGE));
		else
			why = word_ok(r, b);
	}
	if (*why)
		bad(6, 6, g, 0, 0, r, why);
}

static void do_register_table(void)
{
	uint64_t gpa, n, r;

	switch (below(4)) {
	case 0:
		gpa = chaos_gpa(below(2) ? PAGE_SIZE : 0);
		n = below(2) ? frames + below(3) - 1 : rnd();
		break;
	case 1:
		gpa = outside_gpa();
		n = below(2) ? frames : rnd();
		break;
	default: { /* well-formed, anywhere in RAM but over the #VE area: one is registered */
		uint64_t g = below(frames), ve = (uint64_t)ve_area >> PAGE_SHIFT;

		if (g <= ve && ve < g + (st_first - tbl_gfn))
			g = ve + 1;
		gpa = g << PAGE_SHIFT;
		n = frames;
	}
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
		gpa = outside_gpa() & (below(2) ? ~63ULL : ~0ULL);
		break;
	case 1:
		gpa = chaos_gpa(below(2) ? 64 : 0);
		break;
	default: { /* anywhere in RAM but in the table */
		uint64_t g = below(frames);

		if (g >= tbl_gfn && g < st_first)
			g = st_first;
		gpa = (g << PAGE_SHIFT) + below(64) * 64;
	}
	}
	r = call(HV_HC_REGISTER_VE_AREA, gpa, rnd(), rnd(), rnd());
	if (gpa & 63)
		EXPECT_RET(8, gpa, 0, 0, r, ERR(HV_EINVAL));
	else if (gpa >= mem)
		EXPECT_RET(8, gpa, 0, 0, r, ERR(HV_EFAULT));
	else
		EXPECT_RET(8, gpa, 0, 0, r, ERR(HV_EBUSY));
}

/*
 * The table's pages and the page of the #VE area are pinned while
 * registered (ABI 5.7, 5.8): a hint by call changes their guest state, never
 * their residence. Taken back to STABLE at once (we write them).
 */
static void do_pinned(void)
{
	uint64_t g = below(2) ? tbl_gfn + below(st_first - tbl_gfn) : (uint64_t)ve_area >> PAGE_SHIFT;
	uint64_t s = below(4), r;
	const char *why;
	uint8_t b = tbl_get(g);

	r = call(HV_HC_SET_PAGE_STATE, g, s, rnd(), rnd());
	why = word_ok(r, b);
	if (!*why && HV_RES_HOST_STATE(r) != HV_HOST_RESIDENT)
		why = "a pinned page is not resident";
	if (*why)
		bad(3, 3, g, s, b, r, why);
	b = tbl_get(g);
	r = call(HV_HC_SET_PAGE_STATE, g, HV_PAGE_STABLE, rnd(), rnd());
	why = word_ok(r, b);
	if (!*why && (HV_RES_HOST_STATE(r) != HV_HOST_RESIDENT || (r & HV_RES_DISCARDED)))
		why = "a pinned page taken back is not resident, or discarded";
	if (*why)
		bad(3, 3, g, 0, b, r, why);
}

/* Statistics in our own buffer: do they add up? */
static void check_stats(const struct hv_vm_stats *st, uint64_t n)
{
	uint64_t pages = 0;

	if (n < STATS_SIZE)
		return;
	for (unsigned int gs = 0; gs < 4; gs++)
		for (unsigned int hs = 0; hs < 3; hs++)
			pages += st->pages[gs][hs];
	if (pages != frames)
		bad(9, 9, (uint64_t)st, n, 0, pages, "page counts do not add up to the RAM size");
	/* The host counts every VMCALL, this one included. */
	if (st->hypercalls != ncalls)
		bad(9, 9, (uint64_t)st, n, ncalls, st->hypercalls, "hypercall count is not ours");
	if (st->exits < last_exits + 1)
		bad(9, 9, (uint64_t)st, n, last_exits, st->exits, "exit count went back");
	last_exits = st->exits;
}

/* Is any page of [gpa, gpa + n) discarded (call 6)? */
static bool any_discarded(uint64_t gpa, uint64_t n)
{
	for (uint64_t g = gpa >> PAGE_SHIFT; g <= (gpa + n - 1) >> PAGE_SHIFT; g++) {
		uint64_t r = call(HV_HC_GET_PAGE_STATE, g, 0, 0, 0);

		if ((int64_t)r >= 0 && (r & HV_RES_DISCARDED))
			return true;
	}
	return false;
}

static void do_get_stats(void)
{
	uint64_t gpa, size, n, r;
	bool ours = false, chaos = false;

	size = below(4) ? 1 + below(2 * STATS_SIZE) : below(2) ? 0 : below(2) ? STATS_SIZE : rnd();
	n = MIN(size, STATS_SIZE);
	switch (below(6)) {
	case 0:
		gpa = (uint64_t)&stbuf + (below(4) ? 0 : 1 + below(7));
		ours = true;
		break;
	case 1:
		gpa = outside_gpa() & (below(4) ? ~7ULL : ~0ULL);
		break;
	case 2: /* the last bytes of RAM, just fitting */
		gpa = (mem - n) & ~7ULL;
		break;
	default: /* chaos, maybe across a page end (the last one is the end of RAM) */
		gpa = chaos_gpa(below(16) ? 8 : 0);
		chaos = true;
	}
	chaos |= gpa < mem && in_chaos(gpa >> PAGE_SHIFT);
	r = call(HV_HC_GET_STATS, gpa, size, rnd(), rnd());
	if (size == 0 || (gpa & 7))
		EXPECT_RET(9, gpa, size, 0, r, ERR(HV_EINVAL));
	else if (gpa >= mem || n > mem - gpa)
		EXPECT_RET(9, gpa, size, 0, r, ERR(HV_EFAULT));
	else if (chaos && r == ERR(HV_EFAULT)) {
		/* The host does not write into a dropped VOLATILE page (ABI 5.9). */
		if (!any_discarded(gpa, n))
			bad(9, 9, gpa, size, 0, r, "EFAULT, but no page of the buffer is discarded");
		stats_efault_disc++;
	} else {
		EXPECT_RET(9, gpa, size, 0, r, n);
		if (ours && r == n)
			check_stats(&stbuf, n);
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
		nr = HV_HC_MAX + 1 + below(1000);
		break;
	case 2: /* a known number with a bit above 31 */
		nr = (1 + below(HV_HC_MAX)) | 1ULL << (32 + below(32));
		break;
	default:
		nr = rnd();
		if (nr <= HV_HC_MAX)
			nr = 0;
	}
	r = call(nr, rnd(), rnd(), rnd(), rnd());
	EXPECT_RET(nr, 0, 0, 0, r, ERR(HV_ENOSYS));
}

static void do_user(void)
{
	uint64_t nr = below(4) ? 1 + below(HV_HC_MAX) : below(2) ? 0 : HV_HC_MAX + 1 + below(1000);
	uint64_t r = user_vmcall(nr, chaos_gfn(), below(4), 1);

	ncalls++;
	per_nr[SLOT_USER]++;
	if (r != (nr >= 1 && nr <= HV_HC_MAX ? ERR(HV_EPERM) : ERR(HV_ENOSYS)))
		bad(SLOT_USER, nr, 0, 0, 0, r, "from CPL 3: expected EPERM (known) or ENOSYS");
}

/* Random bytes into the table of chaos pages, no exit: by store or by CAS. */
static void do_table_write(void)
{
	static const uint8_t vals[] = { 0, 1, 2, 3, 0x80, 0x81, 0x82, 0x83 };
	uint64_t g = chaos_gfn(), n = below(8) ? 1 : 1 + below(64);

	for (uint64_t i = 0; i < n && g + i < cz_end; i++) {
		uint8_t v = (uint8_t)(below(4) ? vals[below(8)] : rnd());

		table_writes++;
		if (below(2))
			__atomic_store_n(&hv_table[g + i], v, __ATOMIC_RELAXED);
		else
			(void)tbl_cmpxchg(g + i, tbl_get(g + i), v);
	}
}

static void check_stable(uint64_t g)
{
	unsigned int diff = page_diff(g, st_gen[g - st_first]);
	uint8_t b = tbl_get(g);

	stable_checks++;
	if (diff) {
		nbad++;
		test_fail("stable gfn %#lx: %u words differ from generation %u", g, diff,
			  st_gen[g - st_first]);
		page_fill(g, ++st_gen[g - st_first]);
	}
	/* The host never moves a byte away from STABLE. */
	if (b != HV_PAGE_STABLE) {
		nbad++;
		test_fail("stable gfn %#lx: table byte %#x", g, b);
	}
}

/*
 * Touch n random chaos pages: discard faults on dropped VOLATILE pages,
 * zero-fills of dropped UNUSED ones, reuse of hinted ones. Half of them are
 * made STABLE in the table first, as a guest does before it writes a page
 * it hinted there; some are only read.
 */
static void chaos_touch(uint64_t n)
{
	while (n--) {
		uint64_t g = chaos_gfn();
		volatile uint64_t *w = gfn_ptr(g);

		if (below(2))
			__atomic_store_n(&hv_table[g], HV_PAGE_STABLE, __ATOMIC_RELAXED);
		if (below(4))
			w[below(WORDS_PER_PAGE)] = rnd();
		else
			(void)w[below(WORDS_PER_PAGE)];
	}
}

/* A discard fault: chaos only (the hog touched a dropped VOLATILE page). */
static void on_discard(volatile struct hv_ve_info *ve)
{
	uint64_t g = ve->gpa >> PAGE_SHIFT, r;

	ve_taken++;
	if (!in_chaos(g))
		test_fail("discard fault at gpa %#lx (gla %#lx), outside chaos%s", ve->gpa, ve->gla,
			  in_stable(g) ? ": on a stable page" : "");
	ncalls++;
	per_nr[SLOT_VE]++;
	r = hypercall(HV_HC_SET_PAGE_STATE, g, HV_PAGE_STABLE, 0, 0);
	/* The fault says discarded; the call must say so too (the byte is unchanged). */
	if ((r & ~0x1fULL) || !(r & HV_RES_DISCARDED) || HV_RES_HOST_STATE(r) != HV_HOST_ZERO)
		bad(SLOT_VE, 3, g, 0, 0, r, "making a faulting page STABLE: expected discarded, ZERO");
	ve->busy = 0;
}

/* "seed=N calls=N" on the command line: another seed, a longer or shorter run. */
static void parse_cmdline(void)
{
	const char *c = (const char *)start_info->cmdline_gpa, *p;

	if (c && (p = strstr(c, "seed=")))
		seed = strtoull(p + 5, NULL, 0);
	if (!seed)
		seed = SEED;
	if (c && (p = strstr(c, "calls=")))
		calls = strtoull(p + 6, NULL, 0);
}

/*
 * Before the real registrations: malformed attempts (misaligned, wrong
 * count, outside RAM) fail and register nothing.
 */
static void malformed_registrations(void)
{
	for (unsigned int i = 0; i < 200; i++) {
		uint64_t gpa = below(2) ? outside_gpa() : chaos_gpa(0) | 1, n, r;

		n = below(2) ? frames : frames + 1;
		r = call(HV_HC_REGISTER_TABLE, gpa, n, 0, 0);
		if ((gpa & 0xfff) || n != frames)
			EXPECT_RET(7, gpa, n, 0, r, ERR(HV_EINVAL));
		else
			EXPECT_RET(7, gpa, n, 0, r, ERR(HV_EFAULT));
		gpa = below(2) ? mem + (below(1024) << 6) : chaos_gpa(0) | 8;
		r = call(HV_HC_REGISTER_VE_AREA, gpa, 0, 0, 0);
		if (gpa & 63)
			EXPECT_RET(8, gpa, 0, 0, r, ERR(HV_EINVAL));
		else
			EXPECT_RET(8, gpa, 0, 0, r, ERR(HV_EFAULT));
	}
}

void test_main(void)
{
	struct hv_vm_stats st;
	uint64_t t0, t1, iter, paged_out = 0;
	uint32_t a, b, c, d;

	frames = ram_frames();
	mem = start_info->mem_bytes;
	parse_cmdline();
	gprintf("seed %#lx, %lu calls\n", seed, calls);
	cpuid(HV_CPUID_VERSION, &a, &b, &c, &d);
	features = b;
	if (frames > MAX_FRAMES)
		test_end(TEST_ERROR, "this test wants at most 32 MiB of RAM");
	user_mode_init();

	/* Chaos is needed for the malformed attempts: lay out RAM first. */
	tbl_gfn = frames - free_frames();
	st_first = tbl_gfn + ((frames + PAGE_SIZE - 1) >> PAGE_SHIFT);
	st_end = st_first + STABLE_FRAMES;
	cz_first = st_end + HOG_FRAMES;
	cz_end = frames;
	if (cz_first + 2048 > cz_end)
		test_end(TEST_ERROR, "this test wants at least 24 MiB of RAM");
	malformed_registrations();
	table_register();
	ve_register(on_discard);
	ncalls += 2;
	per_nr[7]++;
	per_nr[8]++;
	if ((uint64_t)hv_table != tbl_gfn << PAGE_SHIFT || alloc_frames(STABLE_FRAMES) != st_first)
		test_end(TEST_ERROR, "unexpected layout");
	hog_init(&hog, alloc_frames(HOG_FRAMES), HOG_FRAMES);
	if (alloc_frames(cz_end - cz_first) != cz_first)
		test_end(TEST_ERROR, "unexpected layout");
	for (uint64_t g = st_first; g < st_end; g++)
		page_fill(g, 0);
	gprintf("table at gfn %#lx; stable gfns %#lx-%#lx; hog %#lx-%#lx; chaos %#lx-%#lx "
		"(%lu MiB)\n", tbl_gfn, st_first, st_end - 1, hog.first, hog.first + hog.n - 1,
		cz_first, cz_end - 1, (cz_end - cz_first) >> 8);

	t0 = rdtsc();
	for (iter = 1; ncalls < calls; iter++) {
		uint64_t k = below(1000), r;

		if (iter % 1024 == 0) {
			hog_touch(&hog, 64);
			chaos_touch(16);
		}
		if (iter % 512 == 0)
			check_stable(stable_gfn());
		if (iter % 8192 == 0) {
			uint64_t g = stable_gfn();

			page_fill(g, ++st_gen[g - st_first]);
			stable_rewrites++;
		}
		if (iter % 262144 == 0)
			gprintf("%lu calls, %lu table bytes, %lu discard faults\n", ncalls,
				table_writes, ve_taken);

		if (k < 210)
			do_set_state();
		else if (k < 290)
			do_set_range();
		else if (k < 390)
			do_batch();
		else if (k < 430)
			do_batch_hostile();
		else if (k < 580)
			do_get_state();
		else if (k < 620)
			do_register_table();
		else if (k < 660)
			do_register_ve();
		else if (k < 666)
			do_get_stats(); /* rare: with a table it walks all of it */
		else if (k < 676)
			do_pinned();
		else if (k < 770)
			do_unknown();
		else if (k < 800)
			do_user();
		else if (k < 825) {
			r = call(HV_HC_GET_VERSION, rnd(), rnd(), rnd(), rnd());
			EXPECT_RET(1, 0, 0, 0, r, HV_ABI_VERSION);
		} else if (k < 850) {
			r = call(HV_HC_GET_FEATURES, rnd(), rnd(), rnd(), rnd());
			EXPECT_RET(2, 0, 0, 0, r, features);
		} else {
			do_table_write();
		}
	}
	t1 = rdtsc();

	/* Still alive: every stable page holds its content. */
	for (uint64_t g = st_first; g < st_end; g++) {
		uint64_t r = call(HV_HC_GET_PAGE_STATE, g, 0, 0, 0);
		const char *why = never_hinted_ok(r, true);

		if (*why)
			bad(6, 6, g, 0, 0, r, why);
		paged_out += HV_RES_HOST_STATE(r) == HV_HOST_PRESERVED;
		check_stable(g);
	}
	stats_get(&st);
	ncalls++;
	gprintf("%lu hypercalls in %lu M TSC ticks (%lu per M ticks), %lu iterations\n", ncalls,
		(t1 - t0) / 1000000, ncalls * 1000000 / (t1 - t0 + 1), iter);
	gprintf("per call number 0 (unknown), 1..9, CPL 3, #VE: %lu %lu %lu %lu %lu %lu %lu %lu %lu "
		"%lu %lu %lu\n", per_nr[0], per_nr[1], per_nr[2], per_nr[3], per_nr[4], per_nr[5],
		per_nr[6], per_nr[7], per_nr[8], per_nr[9], per_nr[10], per_nr[11]);
	gprintf("illegal results: %lu (per slot: %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu)\n",
		nbad, bad_nr[0], bad_nr[1], bad_nr[2], bad_nr[3], bad_nr[4], bad_nr[5], bad_nr[6],
		bad_nr[7], bad_nr[8], bad_nr[9], bad_nr[10], bad_nr[11]);
	gprintf("%lu table bytes written, %lu discard faults, %lu batches lost with their page, "
		"%lu GET_STATS EFAULT on a discarded page\n", table_writes, ve_taken, lost_batches,
		stats_efault_disc);
	gprintf("%lu stable pages (%lu of them paged out at the end): %lu checks, %lu rewrites\n",
		st_end - st_first, paged_out, stable_checks, stable_rewrites);
	stats_print("stats", &st);
	gprintf("host counted %lu hypercalls, %lu exits\n", st.hypercalls, st.exits);
	EXPECT_EQ(nbad, 0);
	EXPECT(ncalls >= calls);
	EXPECT_EQ(st.hypercalls, ncalls);
	for (unsigned int i = 0; i < NR_SLOTS - 1; i++)
		EXPECT(per_nr[i] > 0);
	/* Under memory pressure: the host paged out and dropped pages of ours. */
	EXPECT(st.page_outs > 0 && st.page_ins > 0);
	EXPECT(st.drops_unused + st.drops_volatile + st.drops_pot_volatile > 0);
}
