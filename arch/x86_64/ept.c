/* SPDX-License-Identifier: MIT */
/*
 * EPT construction and queries for one VM (see ept.h). Runs in VMX root with
 * interrupts off; the guest may be running on no other CPU while we edit
 * (single host CPU), but A/D updates by the walker are atomic w.r.t. us
 * because we clear bits with a locked AND.
 */
#include <asm/ept.h>
#include <errno.h>

static const struct pt_format ept_format = {
	.present = EPT_RWX,
	.table_flags = EPT_RWX,
};

int ept_init(struct ept *ept, bool ad, pt_alloc_fn alloc, void (*free_fn)(void *), void *ctx)
{
	ept->ad = ad;
	ept->alloc = alloc;
	ept->free = free_fn;
	ept->ctx = ctx;
	ept->nr_tables = 0;
	ept->root = alloc(ctx);
	return ept->root ? 0 : -ENOMEM;
}

void ept_destroy(struct ept *ept)
{
	if (!ept->root)
		return;
	pt_free_tables(&ept_format, ept->root, ept->free);
	ept->free(ept->root);
	ept->root = NULL;
}

uint64_t ept_pointer(const struct ept *ept)
{
	return ((uint64_t)(uintptr_t)ept->root & PT_ADDR_MASK) | EPTP_MT_WB | EPTP_WALK_4 |
	       (ept->ad ? EPTP_AD : 0);
}

static void *counted_alloc(void *p)
{
	struct ept *ept = p;
	void *page = ept->alloc(ept->ctx);

	if (page)
		ept->nr_tables++;
	return page;
}

int ept_map_perm(struct ept *ept, gfn_t gfn, hfn_t hfn, uint64_t perm)
{
	uint64_t *e = pt_walk(&ept_format, ept->root, gpa_x(gfn_to_gpa(gfn)), PT_LEVEL_4K,
			      counted_alloc, ept);

	if (!e)
		return -ENOMEM;
	if (*e & EPT_RWX)
		return -EEXIST;
	/* A fresh mapping: no accessed/dirty history from the previous one. */
	*e = hpa_x(hfn_to_hpa(hfn)) | (perm & EPT_RWX) | EPT_MT_WB;
	return 0;
}

int ept_map(struct ept *ept, gfn_t gfn, hfn_t hfn)
{
	return ept_map_perm(ept, gfn, hfn, EPT_RWX);
}

/* The leaf entry slot of gfn, present or not, or NULL without a table. */
static uint64_t *slot(const struct ept *ept, gfn_t gfn)
{
	return pt_walk(&ept_format, ept->root, gpa_x(gfn_to_gpa(gfn)), PT_LEVEL_4K, NULL, NULL);
}

static uint64_t *leaf(const struct ept *ept, gfn_t gfn)
{
	uint64_t *e = slot(ept, gfn);

	return e && (*e & EPT_RWX) ? e : NULL;
}

/*
 * Unmapping clears only the permission bits: the accessed/dirty state of
 * the last mapping stays in the entry for a later ept_test_and_clear(), so
 * that a write just before the unmap is not lost (reclaim unmaps, flushes,
 * then asks whether the page is dirty). Without A/D flags, the emulated
 * dirty bit (W) is moved to EPT_SOFT_DIRTY for the same reason.
 */
uint64_t ept_unmap(struct ept *ept, gfn_t gfn)
{
	uint64_t *e = leaf(ept, gfn), old;

	if (!e)
		return 0;
	old = __atomic_fetch_and(e, ~EPT_RWX, __ATOMIC_SEQ_CST);
	if (!ept->ad && (old & EPT_W))
		__atomic_fetch_or(e, EPT_SOFT_DIRTY, __ATOMIC_SEQ_CST);
	return old;
}

hfn_t ept_lookup(const struct ept *ept, gfn_t gfn)
{
	uint64_t *e = leaf(ept, gfn);

	return e ? hpa_to_hfn(_hpa(*e & PT_ADDR_MASK)) : INVALID_HFN;
}

bool ept_test_and_clear(struct ept *ept, gfn_t gfn, uint64_t bit)
{
	uint64_t *e = slot(ept, gfn);

	if (!e || !*e)
		return false;
	if (ept->ad)
		return __atomic_fetch_and(e, ~bit, __ATOMIC_SEQ_CST) & bit;
	/*
	 * No A/D flags. Accessed: unknown, report "not young" so that ageing
	 * degrades to FIFO instead of rotating forever. Dirty: emulated with
	 * write protection: W present means written since the last clear; clear
	 * it so the next write faults into ept_write_fault().
	 */
	if (bit == EPT_A)
		return false;
	return __atomic_fetch_and(e, ~(EPT_W | EPT_SOFT_DIRTY), __ATOMIC_SEQ_CST) &
	       (EPT_W | EPT_SOFT_DIRTY);
}

bool ept_write_fault(struct ept *ept, gfn_t gfn)
{
	uint64_t *e = leaf(ept, gfn);

	if (ept->ad || !e || (*e & EPT_W))
		return false;
	__atomic_fetch_or(e, EPT_W, __ATOMIC_SEQ_CST);
	return true;
}
