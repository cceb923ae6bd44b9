/* SPDX-License-Identifier: MIT */
/*
 * hvsim: host-side simulator of Hintvisor's memory policy. N guests with
 * workload generators run on mm/ through the fake EPT; the same run is
 * repeated per hint mode (none, unused, full) and the paging I/O compared.
 * Deterministic for a given --seed. Host program, not part of the hypervisor.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fakes/fake_arch.h"

enum mode { MODE_NONE, MODE_UNUSED, MODE_FULL, NR_MODES };
enum workload { WL_ZIPF, WL_PAGECACHE, WL_CHURN, WL_MEMHOG, NR_WL, WL_MIX = NR_WL };
enum kind { K_FREE, K_ANON, K_CACHE };

static const char *const mode_names[] = { "none", "unused", "full" };
static const char *const wl_names[] = { "zipf", "pagecache", "churn", "memhog", "mix" };

struct opts {
	unsigned int vms;
	uint64_t guest_mb, host_mb;
	unsigned int steps, ops;
	uint64_t seed;
	int workload;  /* enum workload or WL_MIX */
	int mode;      /* enum mode, or -1 for all */
	bool table;
	const char *csv;
};

/* FIFO of gfns (ring). */
struct fifo {
	uint64_t *q;
	uint64_t cap, head, n;
};

struct guest {
	struct fake_vm *fv;
	unsigned int wl;
	uint64_t nr;
	uint8_t *kind;
	uint8_t *table;      /* shared state table (table mode) */
	struct fifo free;    /* guest free pages, oldest first */
	struct fifo cache;   /* page cache, oldest first */
	struct fifo live;    /* churn allocations */
	uint64_t *anon;      /* zipf working set */
	uint64_t nanon;
	uint64_t *file;      /* file page -> gfn + 1 (0: not cached) */
	uint64_t nfile, fpos;
	uint64_t batch[HV_BATCH_MAX];
	unsigned int nbatch;
	unsigned int phase, phase_steps;
	uint64_t hypercalls, rereads, nomem;
};

struct result {
	struct mm_counters c;
	uint64_t hypercalls, rereads, nomem;
	uint64_t pages[4][3];
};

static uint64_t rng;
static double *zipf_cdf;
static uint64_t zipf_n;
static enum mode cur_mode;
static bool use_table;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double rnd01(void)
{
	return (double)(rnd() >> 11) / (double)(1ULL << 53);
}

static void zipf_init(uint64_t n, double s)
{
	double sum = 0;
	uint64_t i;

	zipf_n = n;
	zipf_cdf = malloc(n * sizeof(*zipf_cdf));
	for (i = 0; i < n; i++) {
		sum += 1.0 / pow((double)(i + 1), s);
		zipf_cdf[i] = sum;
	}
	for (i = 0; i < n; i++)
		zipf_cdf[i] /= sum;
}

static uint64_t zipf(void)
{
	double u = rnd01();
	uint64_t lo = 0, hi = zipf_n - 1, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (zipf_cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void fifo_init(struct fifo *f, uint64_t cap)
{
	f->q = malloc(cap * sizeof(*f->q));
	f->cap = cap;
	f->head = f->n = 0;
}

static void fifo_push(struct fifo *f, uint64_t v)
{
	f->q[(f->head + f->n++) % f->cap] = v;
}

static bool fifo_pop(struct fifo *f, uint64_t *v)
{
	if (f->n == 0)
		return false;
	*v = f->q[f->head];
	f->head = (f->head + 1) % f->cap;
	f->n--;
	return true;
}

/* ---- the guest's side of hinting ---- */

static void hint_flush(struct guest *gu)
{
	if (gu->nbatch == 0)
		return;
	mm_set_batch(&gu->fv->vm, gu->batch, gu->nbatch);
	gu->hypercalls++;
	gu->nbatch = 0;
}

static void hint(struct guest *gu, uint64_t g, unsigned int st)
{
	if (cur_mode == MODE_NONE || (st == HV_PAGE_VOLATILE && cur_mode != MODE_FULL))
		return;
	if (use_table) {
		__atomic_store_n(&gu->table[g], (uint8_t)st, __ATOMIC_RELEASE);
		return;
	}
	gu->batch[gu->nbatch++] = HV_BATCH_ENTRY(g, st);
	if (gu->nbatch == HV_BATCH_MAX)
		hint_flush(gu);
}

/* Make a page stable before use: needed in table mode and for volatile pages. */
static bool make_stable(struct guest *gu, uint64_t g)
{
	int r;

	if (use_table) {
		uint8_t b = __atomic_load_n(&gu->table[g], __ATOMIC_ACQUIRE);

		__atomic_store_n(&gu->table[g], HV_PAGE_STABLE, __ATOMIC_RELEASE);
		return !(b & HV_TABLE_DISCARDED) && b == (b & HV_PAGE_STATE_MASK);
	}
	r = mm_set_state(&gu->fv->vm, _gfn(g), HV_PAGE_STABLE);
	gu->hypercalls++;
	return !(r & HV_RES_DISCARDED);
}

/* An access; a discarded cache page is re-read from the guest's disk. */
static void access(struct guest *gu, uint64_t g, bool write)
{
	uint64_t v = 0;
	enum fake_result r = fake_access(gu->fv, g, write, &v);

	if (r == FAKE_DISCARD) {
		/* #VE handler: the page cache page is gone; re-read it into the same page. */
		make_stable(gu, g);
		gu->rereads++;
		r = fake_access(gu->fv, g, true, &v);
		if (gu->kind[g] == K_CACHE)
			hint(gu, g, HV_PAGE_VOLATILE);
	}
	if (r != FAKE_OK)
		gu->nomem++;
}

static void guest_free(struct guest *gu, uint64_t g)
{
	gu->kind[g] = K_FREE;
	fifo_push(&gu->free, g);
	hint(gu, g, HV_PAGE_UNUSED);
}

static bool evict_cache(struct guest *gu)
{
	uint64_t g;

	if (!fifo_pop(&gu->cache, &g))
		return false;
	for (uint64_t i = 0; i < gu->nfile; i++)
		if (gu->file[i] == g + 1) {
			gu->file[i] = 0;
			break;
		}
	guest_free(gu, g);
	return true;
}

/* Allocate and initialize a page (written). UNUSED pages need no call: reuse is detected. */
static bool guest_alloc(struct guest *gu, enum kind k, uint64_t *out)
{
	uint64_t g;

	if (!fifo_pop(&gu->free, &g)) {
		if (!evict_cache(gu) || !fifo_pop(&gu->free, &g))
			return false;
	}
	if (use_table && cur_mode != MODE_NONE)
		make_stable(gu, g);
	gu->kind[g] = (uint8_t)k;
	access(gu, g, true);
	*out = g;
	return true;
}

/* ---- workloads: one step = opts->ops operations ---- */

static void wl_zipf(struct guest *gu, unsigned int ops)
{
	for (unsigned int i = 0; i < ops; i++) {
		uint64_t r = zipf() % gu->nanon;

		access(gu, gu->anon[r], rnd() % 10 < 3);
	}
}

static void wl_pagecache(struct guest *gu, unsigned int ops)
{
	uint64_t g;

	for (unsigned int i = 0; i < ops; i++) {
		if (i % 4 == 0) {
			access(gu, gu->anon[zipf() % gu->nanon], rnd() % 2);
			continue;
		}
		uint64_t f = gu->fpos++ % gu->nfile;

		if (gu->file[f] != 0) {
			access(gu, gu->file[f] - 1, false);
		} else if (guest_alloc(gu, K_CACHE, &g)) {
			/* Read from disk into the page; clean now: volatile. */
			gu->file[f] = g + 1;
			fifo_push(&gu->cache, g);
			hint(gu, g, HV_PAGE_VOLATILE);
		}
	}
}

static void wl_churn(struct guest *gu, unsigned int ops)
{
	uint64_t g;

	for (unsigned int i = 0; i < ops; i++) {
		if (gu->live.n < gu->nr / 4 && guest_alloc(gu, K_ANON, &g))
			fifo_push(&gu->live, g);
		if (gu->live.n >= gu->nr / 4 && fifo_pop(&gu->live, &g))
			guest_free(gu, g);
		if (gu->live.n > 0)
			access(gu, gu->live.q[(gu->live.head + rnd() % gu->live.n) % gu->live.cap], true);
	}
}

static void wl_memhog(struct guest *gu, unsigned int ops)
{
	uint64_t g;

	for (unsigned int i = 0; i < ops; i++) {
		switch (gu->phase) {
		case 0: /* grow to 80% */
			if (gu->live.n < gu->nr * 8 / 10 && guest_alloc(gu, K_ANON, &g))
				fifo_push(&gu->live, g);
			else
				gu->phase = 1;
			break;
		case 1: /* use it */
			if (gu->live.n > 0)
				access(gu, gu->live.q[(gu->live.head + rnd() % gu->live.n) % gu->live.cap], true);
			if (++gu->phase_steps > ops * 4) {
				gu->phase = 2;
				gu->phase_steps = 0;
			}
			break;
		case 2: /* free everything */
			if (fifo_pop(&gu->live, &g))
				guest_free(gu, g);
			else
				gu->phase = 3;
			break;
		default: /* idle, then again */
			if (++gu->phase_steps > ops * 8) {
				gu->phase = 0;
				gu->phase_steps = 0;
			}
		}
	}
}

static void guest_setup(struct guest *gu, struct fake_vm *fv, unsigned int wl)
{
	uint64_t g;

	memset(gu, 0, sizeof(*gu));
	gu->fv = fv;
	gu->wl = wl;
	gu->nr = fv->nr;
	gu->kind = calloc(gu->nr, 1);
	fifo_init(&gu->free, gu->nr);
	fifo_init(&gu->cache, gu->nr);
	fifo_init(&gu->live, gu->nr);
	for (g = 0; g < gu->nr; g++)
		fifo_push(&gu->free, g);
	if (use_table) {
		gu->table = calloc(gu->nr, 1);
		mm_vm_set_table(&fv->vm, gu->table, gu->nr);
	}
	/* Working set: 60% of RAM for zipf, 25% next to the page cache. */
	gu->nanon = wl == WL_ZIPF ? gu->nr * 6 / 10 : wl == WL_PAGECACHE ? gu->nr / 4 : 0;
	gu->anon = malloc((gu->nanon + 1) * sizeof(*gu->anon));
	for (g = 0; g < gu->nanon; g++)
		guest_alloc(gu, K_ANON, &gu->anon[g]);
	gu->nfile = gu->nr / 2;
	gu->file = calloc(gu->nfile, sizeof(*gu->file));
}

static void guest_free_all(struct guest *gu)
{
	free(gu->kind);
	free(gu->free.q);
	free(gu->cache.q);
	free(gu->live.q);
	free(gu->anon);
	free(gu->file);
	free(gu->table);
}

static int run_mode(const struct opts *o, enum mode m, struct result *res)
{
	uint64_t gfns = o->guest_mb << (20 - PAGE_SHIFT);
	uint32_t frames = (uint32_t)(o->host_mb << (20 - PAGE_SHIFT));
	struct fake_world_cfg cfg = {
		.host_frames = frames, .swap_slots = (uint32_t)(gfns * o->vms), .store = false,
		.nvms = o->vms, .gfns = gfns, .wmark_low = frames / 100 + 1, .wmark_high = frames / 50 + 2,
	};
	struct fake_world w;
	struct guest *gu;
	unsigned int i, s;
	char why[256];

	if (fake_world_init(&w, &cfg) != 0) {
		fprintf(stderr, "hvsim: out of memory\n");
		return -1;
	}
	cur_mode = m;
	use_table = o->table;
	rng = o->seed * 0x9e3779b97f4a7c15ULL + 1;
	gu = calloc(o->vms, sizeof(*gu));
	for (i = 0; i < o->vms; i++)
		guest_setup(&gu[i], &w.vms[i], o->workload == WL_MIX ? i % NR_WL : (unsigned int)o->workload);
	for (s = 0; s < o->steps; s++) {
		for (i = 0; i < o->vms; i++) {
			switch (gu[i].wl) {
			case WL_ZIPF:
				wl_zipf(&gu[i], o->ops);
				break;
			case WL_PAGECACHE:
				wl_pagecache(&gu[i], o->ops);
				break;
			case WL_CHURN:
				wl_churn(&gu[i], o->ops);
				break;
			default:
				wl_memhog(&gu[i], o->ops);
			}
			hint_flush(&gu[i]);
			mm_balance(&w.mm); /* the host's background reclaim */
		}
	}
	if (mm_check(&w.mm, why, sizeof(why)) != 0) {
		fprintf(stderr, "hvsim: mm_check failed: %s\n", why);
		return -1;
	}
	memset(res, 0, sizeof(*res));
	res->c = w.mm.cnt;
	for (i = 0; i < o->vms; i++) {
		res->hypercalls += gu[i].hypercalls;
		res->rereads += gu[i].rereads;
		res->nomem += gu[i].nomem;
	}
	{
		uint64_t one[4][3];

		for (i = 0; i < o->vms; i++) {
			mm_vm_pages(&w.vms[i].vm, one);
			for (unsigned int a = 0; a < 4; a++)
				for (unsigned int b = 0; b < 3; b++)
					res->pages[a][b] += one[a][b];
		}
	}
	for (i = 0; i < o->vms; i++)
		guest_free_all(&gu[i]);
	free(gu);
	fake_world_fini(&w);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: hvsim [--vms N] [--guest-mb M] [--host-mb H] [--steps S] [--ops K]\n"
			"             [--workload zipf|pagecache|churn|memhog|mix] [--mode none|unused|full|all]\n"
			"             [--table] [--seed X] [--csv FILE]\n");
	exit(2);
}

static int lookup(const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	usage();
	return -1;
}

int main(int argc, char **argv)
{
	struct opts o = { .vms = 4, .guest_mb = 256, .host_mb = 512, .steps = 200, .ops = 2000,
			  .seed = 1, .workload = WL_MIX, .mode = -1 };
	struct result res[NR_MODES];
	FILE *csv = NULL;
	char buf[1024];
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--table") == 0) {
			o.table = true;
			continue;
		}
		if (v == NULL)
			usage();
		i++;
		if (strcmp(a, "--vms") == 0)
			o.vms = (unsigned int)strtoul(v, NULL, 0);
		else if (strcmp(a, "--guest-mb") == 0)
			o.guest_mb = strtoull(v, NULL, 0);
		else if (strcmp(a, "--host-mb") == 0)
			o.host_mb = strtoull(v, NULL, 0);
		else if (strcmp(a, "--steps") == 0)
			o.steps = (unsigned int)strtoul(v, NULL, 0);
		else if (strcmp(a, "--ops") == 0)
			o.ops = (unsigned int)strtoul(v, NULL, 0);
		else if (strcmp(a, "--seed") == 0)
			o.seed = strtoull(v, NULL, 0);
		else if (strcmp(a, "--workload") == 0)
			o.workload = lookup(v, wl_names, NR_WL + 1);
		else if (strcmp(a, "--mode") == 0)
			o.mode = strcmp(v, "all") == 0 ? -1 : lookup(v, mode_names, NR_MODES);
		else if (strcmp(a, "--csv") == 0)
			o.csv = v;
		else
			usage();
	}
	if (o.vms == 0 || o.vms > MM_MAX_VMS || o.guest_mb == 0 || o.host_mb == 0 || o.steps == 0)
		usage();
	zipf_init(o.guest_mb << (20 - PAGE_SHIFT), 1.0);
	printf("hvsim: %u VMs x %llu MiB guest, %llu MiB host, workload %s, %s hints, %u steps x %u ops, seed %llu\n",
	       o.vms, (unsigned long long)o.guest_mb, (unsigned long long)o.host_mb, wl_names[o.workload],
	       o.table ? "shared-table" : "hypercall", o.steps, o.ops, (unsigned long long)o.seed);
	if (o.csv != NULL) {
		csv = fopen(o.csv, "w");
		if (csv == NULL) {
			perror(o.csv);
			return 1;
		}
		fprintf(csv, "mode,vms,guest_mb,host_mb,workload,table,seed,page_outs,page_ins,drops_unused,"
			     "drops_volatile,drops_pot_volatile,discard_faults,refaults,zero_fills,reuse_detected,"
			     "hypercalls,pageout_errors,nomem\n");
	}
	printf("%-7s|%10s|%10s|%10s|%10s|%10s|%10s|%10s|%10s|\n", "mode", "page-outs", "page-ins", "drops-U",
	       "drops-V/P", "discard-f", "refaults", "zero-fill", "hypercall");
	for (int m = 0; m < NR_MODES; m++) {
		struct mm_counters *c = &res[m].c;

		if (o.mode >= 0 && o.mode != m)
			continue;
		if (run_mode(&o, (enum mode)m, &res[m]) != 0)
			return 1;
		printf("%-7s|%10llu|%10llu|%10llu|%10llu|%10llu|%10llu|%10llu|%10llu|\n", mode_names[m],
		       (unsigned long long)c->page_outs, (unsigned long long)c->page_ins,
		       (unsigned long long)c->drops[HV_PAGE_UNUSED],
		       (unsigned long long)(c->drops[HV_PAGE_VOLATILE] + c->drops[HV_PAGE_POT_VOLATILE]),
		       (unsigned long long)c->discard_faults,
		       (unsigned long long)(c->page_ins + c->discard_faults), (unsigned long long)c->zero_fills,
		       (unsigned long long)res[m].hypercalls);
		if (csv != NULL)
			fprintf(csv, "%s,%u,%llu,%llu,%s,%d,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu\n",
				mode_names[m], o.vms, (unsigned long long)o.guest_mb, (unsigned long long)o.host_mb,
				wl_names[o.workload], o.table, (unsigned long long)o.seed,
				(unsigned long long)c->page_outs, (unsigned long long)c->page_ins,
				(unsigned long long)c->drops[HV_PAGE_UNUSED],
				(unsigned long long)c->drops[HV_PAGE_VOLATILE],
				(unsigned long long)c->drops[HV_PAGE_POT_VOLATILE],
				(unsigned long long)c->discard_faults,
				(unsigned long long)(c->page_ins + c->discard_faults),
				(unsigned long long)c->zero_fills, (unsigned long long)c->reuse_detected,
				(unsigned long long)res[m].hypercalls, (unsigned long long)c->pageout_errors,
				(unsigned long long)res[m].nomem);
		if (res[m].nomem != 0)
			printf("        (%llu accesses failed: out of memory)\n", (unsigned long long)res[m].nomem);
	}
	if (o.mode < 0 || o.mode == MODE_FULL) {
		int m = o.mode < 0 ? MODE_FULL : o.mode;

		mm_format_pages(res[m].pages, buf, sizeof(buf));
		printf("\nend state, mode %s, all VMs:\n%s", mode_names[m], buf);
	}
	if (csv != NULL)
		fclose(csv);
	free(zipf_cdf);
	return 0;
}
