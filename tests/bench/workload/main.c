/* SPDX-License-Identifier: MIT */
/*
 * workload: the benchmark and demo guest. Each round it scans a "page cache"
 * (pages re-creatable from a generator, as file pages are from disk),
 * rewrites an anonymous working set, and runs allocate/free churn on a heap.
 * The command line picks what it tells the host:
 *   hint=none|unused|full   nothing / free heap pages / plus clean cache pages
 *   api=single|batch|table  how (hypercall per page, 512-entry batch, shared table)
 *   rounds=N
 * Every page read is verified, so the run is also a correctness test; the
 * last lines are a "BENCH ..." summary and "Test result:".
 */
#include "hvtest.h"
#include <stdlib.h>
#include <string.h>

const char test_title[] = "workload: page cache scan + anonymous set + heap churn";

enum hint_mode { HINT_NONE, HINT_UNUSED, HINT_FULL };
enum api { API_SINGLE, API_BATCH, API_TABLE };

static enum hint_mode mode = HINT_FULL;
static enum api api = API_BATCH;
static unsigned int rounds = 3;

static uint64_t cache_first, cache_n, anon_first, anon_n, heap_first, heap_n;
static uint8_t *cache_loaded;     /* per cache page: content present */
static uint64_t rereads, hinted, hint_calls, bad_words;
static uint64_t pending[HV_BATCH_MAX];
static unsigned int npending;

static bool arg(const char *cmd, const char *key, const char *val)
{
	const char *p = strstr(cmd, key);
	size_t n = strlen(key);

	return p && p[n] == '=' && strncmp(p + n + 1, val, strlen(val)) == 0;
}

static void parse_cmdline(void)
{
	const char *cmd = start_info->cmdline_gpa ? (const char *)start_info->cmdline_gpa : "";
	const char *r = strstr(cmd, "rounds=");

	if (arg(cmd, "hint", "none"))
		mode = HINT_NONE;
	else if (arg(cmd, "hint", "unused"))
		mode = HINT_UNUSED;
	if (arg(cmd, "api", "single"))
		api = API_SINGLE;
	else if (arg(cmd, "api", "table"))
		api = API_TABLE;
	if (r)
		rounds = (unsigned int)strtoul(r + 7, NULL, 10);
}

static void flush_hints(void)
{
	if (npending) {
		hv_batch(pending, npending);
		hint_calls++;
		npending = 0;
	}
}

/* Tell the host that gfn is now in state s, with the configured API. */
static void hint(uint64_t gfn, unsigned int s)
{
	hinted++;
	switch (api) {
	case API_SINGLE:
		hv_set_state(gfn, s);
		hint_calls++;
		break;
	case API_BATCH:
		pending[npending++] = HV_BATCH_ENTRY(gfn, s);
		if (npending == HV_BATCH_MAX)
			flush_hints();
		break;
	case API_TABLE:
		__atomic_store_n(&hv_table[gfn], (uint8_t)s, __ATOMIC_SEQ_CST);
		break;
	}
}

/* Take a page back before writing it. Hypercall hints need nothing (the
 * host sees the write); table hints must go back to STABLE first (ABI §4).
 * Returns false if a volatile page's content is gone. */
static bool unhint(uint64_t gfn)
{
	if (api != API_TABLE)
		return true;
	for (;;) {
		uint8_t b = tbl_get(gfn);

		if (b == HV_PAGE_STABLE)
			return true;
		if (tbl_cas(gfn, b, HV_PAGE_STABLE))
			return !(b & HV_TABLE_DISCARDED);
	}
}

/* "Read the file page from disk": generate its content. */
static void cache_read(uint64_t gfn)
{
	page_fill(gfn, 1);
	cache_loaded[gfn - cache_first] = 1;
}

/* Discard fault: the page cache lost this page. Take it back as a stable
 * page and read it again, then let the access restart. */
static void on_discard(volatile struct hv_ve_info *info)
{
	uint64_t gfn = info->gpa >> PAGE_SHIFT;

	if (api == API_TABLE)
		unhint(gfn);
	else
		hv_set_state(gfn, HV_PAGE_STABLE);
	cache_read(gfn);
	rereads++;
	info->busy = 0;
}

static void scan_cache(void)
{
	for (uint64_t g = cache_first; g < cache_first + cache_n; g++) {
		if (!cache_loaded[g - cache_first]) {
			cache_read(g);
			rereads++;
		} else if (page_diff(g, 1)) { /* a discard fault may refill it on the way */
			bad_words++;
		}
		if (mode == HINT_FULL)
			hint(g, HV_PAGE_VOLATILE); /* clean: the host may drop it */
	}
	flush_hints();
}

static void write_anon(unsigned int round)
{
	for (uint64_t g = anon_first; g < anon_first + anon_n; g++) {
		if (round && page_diff(g, round))
			bad_words++;
		page_fill(g, round + 1);
	}
}

/* Allocate and use every heap page, then free half of them (hinted UNUSED),
 * alternating halves between rounds. */
static void churn_heap(unsigned int round)
{
	for (uint64_t g = heap_first; g < heap_first + heap_n; g++) {
		unhint(g);
		page_fill(g, 100 + round);
	}
	for (uint64_t g = heap_first + (round & 1); g < heap_first + heap_n; g += 2)
		if (mode != HINT_NONE)
			hint(g, HV_PAGE_UNUSED);
	flush_hints();
}

static void null_call_cost(void)
{
	uint64_t t0 = rdtsc();

	for (int i = 0; i < 1000; i++)
		hypercall(HV_HC_GET_VERSION, 0, 0, 0, 0);
	gprintf("BENCH null_hypercall_tsc=%lu\n", (rdtsc() - t0) / 1000);
}

void test_main(void)
{
	struct hv_vm_stats st0, st;
	uint64_t frames, t0;

	parse_cmdline();
	if (api == API_TABLE)
		table_register();
	if (mode == HINT_FULL)
		ve_register(on_discard);
	null_call_cost();

	frames = free_frames() - 8;
	cache_n = frames * 45 / 100;
	anon_n = frames * 15 / 100;
	heap_n = frames - cache_n - anon_n;
	cache_first = alloc_frames(cache_n);
	anon_first = alloc_frames(anon_n);
	heap_first = alloc_frames(heap_n);
	cache_loaded = (uint8_t *)gfn_ptr(alloc_frames((cache_n + PAGE_SIZE - 1) / PAGE_SIZE));
	memset(cache_loaded, 0, cache_n);
	gprintf("cache %lu, anonymous %lu, heap %lu pages; %u rounds\n", cache_n, anon_n, heap_n,
		rounds);

	stats_get(&st0);
	t0 = rdtsc();
	for (unsigned int r = 0; r < rounds; r++) {
		scan_cache();
		write_anon(r);
		churn_heap(r);
		stats_get(&st);
		gprintf("round %u: page-outs %lu page-ins %lu drops %lu discards %lu\n", r,
			st.page_outs - st0.page_outs, st.page_ins - st0.page_ins,
			st.drops_unused + st.drops_volatile + st.drops_pot_volatile -
				st0.drops_unused - st0.drops_volatile - st0.drops_pot_volatile,
			st.discard_faults - st0.discard_faults);
	}
	stats_get(&st);
	gprintf("BENCH hint=%s api=%s tsc=%lu page_outs=%lu page_ins=%lu drops_u=%lu drops_v=%lu "
		"discards=%lu rereads=%lu exits=%lu hypercalls=%lu hinted=%lu hint_calls=%lu\n",
		mode == HINT_NONE ? "none" : mode == HINT_UNUSED ? "unused" : "full",
		api == API_SINGLE ? "single" : api == API_BATCH ? "batch" : "table", rdtsc() - t0,
		st.page_outs - st0.page_outs, st.page_ins - st0.page_ins,
		st.drops_unused - st0.drops_unused, st.drops_volatile - st0.drops_volatile,
		st.discard_faults - st0.discard_faults, rereads, st.exits - st0.exits,
		st.hypercalls - st0.hypercalls, hinted, hint_calls);
	EXPECT_EQ(bad_words, 0);
}
