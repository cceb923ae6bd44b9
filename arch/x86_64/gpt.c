/* SPDX-License-Identifier: MIT */
/*
 * Guest-physical page tables for one VM (see gpt.h), on the shared walker.
 * Runs in the hypervisor with interrupts off; the guest may be running on
 * no other CPU while we edit (single host CPU), but A/D updates by the
 * nested walker are atomic w.r.t. us because we clear bits with a locked AND.
 */
#include <asm/gpt.h>
#include <errcode.h>

const struct gpt_format gpt_ept_format = {
	.name = "EPT",
	.present = EPT_RWX,
	.table = EPT_RWX,
	.leaf = EPT_RWX | EPT_MT_WB,
	.write = EPT_W,
	.accessed = EPT_A,
	.dirty = EPT_D,
};

/* Memory type: PAT index 0 (write-back under the power-on PAT) combined
 * with the guest's own type (AMD APM Vol. 2 §15.25.8). */
const struct gpt_format gpt_npt_format = {
	.name = "NPT",
	.present = NPT_P,
	.table = NPT_P | NPT_W | NPT_U,
	.leaf = NPT_P | NPT_W | NPT_U,
	.write = NPT_W,
	.accessed = NPT_A,
	.dirty = NPT_D,
};

static struct pt_format walk_format(const struct gpt *g)
{
	return (struct pt_format){ .present = g->fmt->present, .table_flags = g->fmt->table };
}

int gpt_init(struct gpt *g, const struct gpt_format *fmt, bool ad, pt_alloc_fn alloc,
	     void (*free_fn)(void *), void *ctx)
{
	g->fmt = fmt;
	g->ad = ad;
	g->alloc = alloc;
	g->free = free_fn;
	g->ctx = ctx;
	g->nr_tables = 0;
	g->dead = NULL;
	g->root = alloc(ctx);
	return g->root ? 0 : -ENOMEM;
}

void gpt_destroy(struct gpt *g)
{
	struct pt_format f;

	if (!g->root)
		return;
	f = walk_format(g);
	gpt_reap(g);
	pt_free_tables(&f, g->root, g->free);
	g->free(g->root);
	g->root = NULL;
}

uint64_t gpt_root(const struct gpt *g)
{
	return (uint64_t)(uintptr_t)g->root & PT_ADDR_MASK;
}

uint64_t gpt_eptp(const struct gpt *g)
{
	return gpt_root(g) | EPTP_MT_WB | EPTP_WALK_4 | (g->ad ? EPTP_AD : 0);
}

static void *counted_alloc(void *p)
{
	struct gpt *g = p;
	void *page = g->alloc(g->ctx);

	if (page)
		g->nr_tables++;
	return page;
}

int gpt_map(struct gpt *g, gfn_t gfn, hfn_t hfn)
{
	struct pt_format f = walk_format(g);
	uint64_t *e = pt_walk(&f, g->root, gpa_x(gfn_to_gpa(gfn)), PT_LEVEL_4K, counted_alloc, g);

	if (!e)
		return -ENOMEM;
	if (*e & g->fmt->present)
		return -EEXIST;
	/* A fresh mapping: no accessed/dirty history from the previous one. */
	*e = hpa_x(hfn_to_hpa(hfn)) | g->fmt->leaf;
	return 0;
}

/* The leaf entry slot of gfn, present or not, or NULL without a table. */
static uint64_t *slot(const struct gpt *g, gfn_t gfn)
{
	struct pt_format f = walk_format(g);

	return pt_walk(&f, g->root, gpa_x(gfn_to_gpa(gfn)), PT_LEVEL_4K, NULL, NULL);
}

static uint64_t *leaf(const struct gpt *g, gfn_t gfn)
{
	uint64_t *e = slot(g, gfn);

	return e && (*e & g->fmt->present) ? e : NULL;
}

/*
 * Unmapping clears only the present bits (EPT: R/W/X, NPT: P): the
 * accessed/dirty state of the last mapping stays in the entry for a later
 * gpt_test_and_clear(), so that a write just before the unmap is not lost
 * (reclaim unmaps, flushes, then asks whether the page is dirty). Without
 * A/D flags, the emulated dirty bit (W) moves to GPT_SOFT_DIRTY for the
 * same reason. NPT's W is not a present bit; it is cleared with P.
 */
uint64_t gpt_unmap(struct gpt *g, gfn_t gfn)
{
	uint64_t *e = leaf(g, gfn), old;

	if (!e)
		return 0;
	old = __atomic_fetch_and(e, ~(g->fmt->present | g->fmt->write), __ATOMIC_SEQ_CST);
	if (!g->ad && (old & g->fmt->write))
		__atomic_fetch_or(e, GPT_SOFT_DIRTY, __ATOMIC_SEQ_CST);
	return old;
}

hfn_t gpt_lookup(const struct gpt *g, gfn_t gfn)
{
	uint64_t *e = leaf(g, gfn);

	return e ? hpa_to_hfn(_hpa(*e & PT_ADDR_MASK)) : INVALID_HFN;
}

bool gpt_test_and_clear(struct gpt *g, gfn_t gfn, enum gpt_bit bit)
{
	uint64_t *e = slot(g, gfn), mask;

	if (!e || !*e)
		return false;
	if (g->ad) {
		mask = bit == GPT_ACCESSED ? g->fmt->accessed : g->fmt->dirty;
		return __atomic_fetch_and(e, ~mask, __ATOMIC_SEQ_CST) & mask;
	}
	/*
	 * No A/D flags. Accessed: unknown, report "not young" so that ageing
	 * degrades to FIFO instead of rotating forever. Dirty: emulated with
	 * write protection: W present means written since the last clear; clear
	 * it so the next write faults into gpt_write_fault().
	 */
	if (bit == GPT_ACCESSED)
		return false;
	mask = g->fmt->write | GPT_SOFT_DIRTY;
	return __atomic_fetch_and(e, ~mask, __ATOMIC_SEQ_CST) & mask;
}

static bool table_empty(const uint64_t *t)
{
	for (unsigned int i = 0; i < PT_ENTRIES; i++)
		if (t[i])
			return false;
	return true;
}

/*
 * Forget gfn's unmapped leaf entry, then unlink each table on its path that
 * this left empty, bottom up (never the root). An unlinked table may still
 * be in the CPU's paging-structure caches, so it goes on g->dead, linked
 * through its first word (a page-aligned pointer: not present in either
 * format), until gpt_reap() after the caller's flush.
 */
unsigned int gpt_release(struct gpt *g, gfn_t gfn)
{
	uint64_t addr = gpa_x(gfn_to_gpa(gfn)), *path[PT_LEVELS + 1], *e;
	unsigned int n = 0;
	int l;

	path[PT_LEVELS] = g->root;
	for (l = PT_LEVELS; l > PT_LEVEL_4K; l--) {
		uint64_t v = path[l][pt_index(addr, l)];

		if (!(v & g->fmt->present) || (v & PT_LARGE))
			return 0;
		path[l - 1] = (uint64_t *)(uintptr_t)(v & PT_ADDR_MASK);
	}
	e = &path[PT_LEVEL_4K][pt_index(addr, PT_LEVEL_4K)];
	if (*e & g->fmt->present)
		return 0; /* mapped again: not ours to forget */
	*e = 0;
	for (l = PT_LEVEL_4K; l < PT_LEVELS && table_empty(path[l]); l++) {
		path[l + 1][pt_index(addr, l + 1)] = 0;
		path[l][0] = (uint64_t)(uintptr_t)g->dead;
		g->dead = path[l];
		g->nr_tables--;
		n++;
	}
	return n;
}

void gpt_reap(struct gpt *g)
{
	while (g->dead) {
		uint64_t *t = g->dead;

		g->dead = (uint64_t *)(uintptr_t)t[0];
		t[0] = 0;
		g->free(t);
	}
}

bool gpt_write_fault(struct gpt *g, gfn_t gfn)
{
	uint64_t *e = leaf(g, gfn);

	if (g->ad || !e || (*e & g->fmt->write))
		return false;
	__atomic_fetch_or(e, g->fmt->write, __ATOMIC_SEQ_CST);
	return true;
}
