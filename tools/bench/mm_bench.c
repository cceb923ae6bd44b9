/* SPDX-License-Identifier: MIT */
/*
 * mm-bench: host-native microbenchmark of mm/'s hot paths (fault, reclaim
 * decision, state change) on the fake EPT, plus a 1 TiB-of-guest-memory run
 * (2^28 guest frames across VMs) reporting time and peak RSS. Reports only;
 * no timed assertions. Host program, not part of the hypervisor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "tests/fakes/fake_arch.h"

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double peak_mib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_maxrss / 1024.0; /* KiB on Linux */
}

static void row(const char *what, double secs, uint64_t n)
{
	printf("%-44s|%12llu|%10.1f|\n", what, (unsigned long long)n, secs * 1e9 / (double)(n ? n : 1));
}

static void die(const char *what)
{
	fprintf(stderr, "mm-bench: %s failed\n", what);
	exit(1);
}

/* Build a world (no page contents kept). */
static void world(struct fake_world *w, uint32_t frames, uint32_t slots, unsigned int nvms, uint64_t gfns)
{
	struct fake_world_cfg cfg = { .host_frames = frames, .swap_slots = slots, .store = false,
				      .nvms = nvms, .gfns = gfns, .wmark_low = frames / 100 + 1,
				      .wmark_high = frames / 50 + 2 };

	if (fake_world_init(w, &cfg) != 0)
		die("world setup");
}

static void micro(void)
{
	const uint64_t n = 1 << 20;
	struct fake_world w;
	struct fake_vm *fv;
	uint64_t g, i, scanned, freed, e[HV_BATCH_MAX];
	double t;

	printf("%-44s|%12s|%10s|\n", "operation", "count", "ns/op");

	/* Fault path, no pressure: zero-fill + map + LRU insert. */
	world(&w, (uint32_t)n, (uint32_t)n, 1, n);
	fv = &w.vms[0];
	t = now();
	for (g = 0; g < n; g++)
		if (mm_fault(&fv->vm, _gfn(g), true) != MM_FAULT_MAPPED)
			die("fault");
	row("mm_fault: zero-fill (4 KiB memset incl.)", now() - t, n);

	/* State changes on resident pages (D-bit clear, LRU move). */
	t = now();
	for (g = 0; g < n; g++)
		mm_set_state(&fv->vm, _gfn(g), HV_PAGE_UNUSED);
	row("mm_set_state: S->U, resident", now() - t, n);
	t = now();
	for (g = 0; g < n; g += HV_BATCH_MAX) {
		for (i = 0; i < HV_BATCH_MAX; i++)
			e[i] = HV_BATCH_ENTRY(g + i, HV_PAGE_STABLE);
		mm_set_batch(&fv->vm, e, HV_BATCH_MAX);
	}
	row("mm_set_batch: U->S, per entry", now() - t, n);
	t = now();
	mm_set_range(&fv->vm, _gfn(0), n, HV_PAGE_VOLATILE);
	row("mm_set_range: S->V, per page", now() - t, n);
	t = now();
	for (g = 0; g < n; g++)
		mm_get_state(&fv->vm, _gfn(g));
	row("mm_get_state", now() - t, n);

	/* Reclaim decisions: half volatile (drop), half stable (page out). */
	for (g = 0; g < n; g += 2)
		mm_set_state(&fv->vm, _gfn(g), HV_PAGE_STABLE);
	scanned = w.mm.cnt.lru_scanned + w.mm.cnt.lru_deactivated;
	t = now();
	freed = mm_reclaim(&w.mm, (uint32_t)n);
	t = now() - t;
	row("mm_reclaim: per frame freed (V drop / S out)", t, freed);
	row("mm_reclaim: per LRU step (scan+age)", t, w.mm.cnt.lru_scanned + w.mm.cnt.lru_deactivated - scanned);

	/* Fault path: page-in and discard. */
	t = now();
	for (g = 0; g < n; g++)
		mm_fault(&fv->vm, _gfn(g), false);
	row("mm_fault: page-in (S) / discard (V), mixed", now() - t, n);
	fake_world_fini(&w);

	/* Fault under pressure: every fault pays its share of reclaim. */
	world(&w, (uint32_t)(n / 4), (uint32_t)n, 1, n);
	fv = &w.vms[0];
	t = now();
	for (i = 0; i < n; i++) {
		g = rnd() % n;
		if (!fake_mapped(fv, g) && mm_fault(&fv->vm, _gfn(g), true) != MM_FAULT_MAPPED)
			die("fault under pressure");
	}
	row("mm_fault + reclaim, pool = 1/4 of guest", now() - t, w.mm.cnt.faults);
	fake_world_fini(&w);

	printf("\nbytes per frame: %zu per guest frame (frame table), %zu per host frame (pool, LRU links)\n",
	       sizeof(uint64_t), sizeof(struct mm_frame));
}

/* 2^28 guest frames = 1 TiB across 16 VMs of 64 GiB; 4 GiB of host frames. */
static void tib(void)
{
	const unsigned int nvms = 16;
	const uint64_t gfns = 1ULL << 24, faults = 1ULL << 24;
	const uint32_t frames = 1u << 20;
	struct fake_world w;
	double t0, t, total;
	uint64_t i, g;
	unsigned int v;
	static char buf[1024];
	char why[256];

	printf("\n1 TiB run: %u VMs x %llu GiB = 2^28 guest frames, %u MiB of host frames, %llu faults\n", nvms,
	       (unsigned long long)(gfns >> 18), frames >> 8, (unsigned long long)faults);
	printf("%-44s|%10s|\n", "phase", "seconds");
	t0 = t = now();
	world(&w, frames, (uint32_t)faults, nvms, gfns);
	printf("%-44s|%10.2f|\n", "init: pool + 16 frame tables", now() - t);
	t = now();
	for (v = 0; v < nvms / 2; v++)
		if (mm_set_range(&w.vms[v].vm, _gfn(0), gfns, HV_PAGE_UNUSED) < 0)
			die("range");
	printf("%-44s|%10.2f|\n", "mm_set_range UNUSED over 512 GiB", now() - t);
	t = now();
	for (i = 0; i < faults; i++) {
		v = (unsigned int)(rnd() % nvms);
		g = rnd() % gfns;
		if (!fake_mapped(&w.vms[v], g) && mm_fault(&w.vms[v].vm, _gfn(g), true) != MM_FAULT_MAPPED)
			die("fault");
		if (i % 4 == 0 && v < nvms / 2)
			mm_set_state(&w.vms[v].vm, _gfn(g), HV_PAGE_UNUSED);
	}
	printf("%-44s|%10.2f|\n", "2^24 random faults (+ reclaim), 1/8 re-hinted", now() - t);
	t = now();
	mm_format_table(&w.mm, NULL, buf, sizeof(buf));
	printf("%-44s|%10.2f|\n", "stats table over 2^28 frames", now() - t);
	t = now();
	if (mm_check(&w.mm, why, sizeof(why)) != 0)
		printf("mm_check: %s\n", why);
	printf("%-44s|%10.2f|\n", "mm_check over 2^28 frames + pool", now() - t);
	total = now() - t0;
	printf("%-44s|%10.2f|\n", "total", total);
	printf("peak RSS %.0f MiB (mm: %llu MiB frame tables + %llu MiB pool; fake EPT %llu MiB)\n", peak_mib(),
	       (unsigned long long)((nvms * gfns * 8) >> 20), (unsigned long long)(((uint64_t)frames * 24) >> 20),
	       (unsigned long long)((nvms * gfns * 4) >> 20));
	printf("page-outs %llu, drops %llu, page-ins %llu, reclaim passes %llu\n%s",
	       (unsigned long long)w.mm.cnt.page_outs, (unsigned long long)w.mm.cnt.drops[HV_PAGE_UNUSED],
	       (unsigned long long)w.mm.cnt.page_ins, (unsigned long long)w.mm.cnt.reclaim_passes, buf);
	fake_world_fini(&w);
}

int main(int argc, char **argv)
{
	micro();
	if (argc < 2 || strcmp(argv[1], "--no-tib") != 0)
		tib();
	return 0;
}
