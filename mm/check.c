/* SPDX-License-Identifier: MIT */
/*
 * Invariant checker for mm/: list structure, pool accounting, a one-to-one
 * map between resident gfns and used frames, paging slots, state counters,
 * hint bookkeeping (no hinted page left on the paging device) and the drop
 * audit (no STABLE page dropped). O(frames + gfns); debug use.
 */
#include <stdio.h>

#include "internal.h"

#define FAIL(...)                                                                                  \
	do {                                                                                        \
		if (why != NULL && len > 0)                                                         \
			snprintf(why, len, __VA_ARGS__);                                            \
		return -1;                                                                          \
	} while (0)

static int check_lists(struct mm *mm, char *why, size_t len)
{
	uint32_t idx, prev;
	unsigned int l;
	uint64_t n;

	for (l = 0; l < ARRAY_SIZE(mm->lists); l++) {
		n = 0;
		prev = MM_NIL;
		for (idx = mm->lists[l].head; idx != MM_NIL; idx = mm->frames[idx].next) {
			if (idx >= mm->nr || n > mm->nr)
				FAIL("list %u: bad link or cycle at %u", l, idx);
			if (fr_list(&mm->frames[idx]) != l)
				FAIL("list %u: frame %u tagged %u", l, idx, fr_list(&mm->frames[idx]));
			if (mm->frames[idx].prev != prev)
				FAIL("list %u: frame %u prev %u, want %u", l, idx, mm->frames[idx].prev, prev);
			prev = idx;
			n++;
		}
		if (prev != mm->lists[l].tail)
			FAIL("list %u: tail %u, want %u", l, mm->lists[l].tail, prev);
		if (n != mm->lists[l].len)
			FAIL("list %u: %llu frames, counter %llu", l, (unsigned long long)n,
			     (unsigned long long)mm->lists[l].len);
	}
	return 0;
}

static int check_vm(struct mm *mm, struct mm_vm *vm, uint64_t *resident, uint64_t *preserved,
		    uint64_t *pinned, char *why, size_t len)
{
	uint64_t g, e, pages[4][3] = { { 0 } }, pins = 0;
	const struct mm_frame *f;
	unsigned int s, h;

	for (g = 0; g < vm->nr; g++) {
		e = vm->ent[g];
		pages[ent_gs(e)][ent_hs(e)]++;
		if (ent_hs(e) == 3)
			FAIL("vm %u gfn %llx: bad host state", vm->id, (unsigned long long)g);
		if ((e & ENT_DISC) && (ent_hs(e) != MM_HS_ZERO || ent_gs(e) == HV_PAGE_STABLE ||
				       ent_gs(e) == HV_PAGE_UNUSED))
			FAIL("vm %u gfn %llx: discard mark on %llx", vm->id, (unsigned long long)g,
			     (unsigned long long)e);
		if (e & ENT_OBS)
			FAIL("vm %u gfn %llx: observation mark outside reclaim", vm->id, (unsigned long long)g);
		/* DCLR = a hint the host has taken in; a STABLE page has none. */
		if ((e & ENT_DCLR) && ent_gs(e) == HV_PAGE_STABLE)
			FAIL("vm %u gfn %llx: STABLE with the D bit cleared for a hint", vm->id,
			     (unsigned long long)g);
		/* A hint taken in on a paged-out page frees its slot (U) or drops it (V, P). */
		if ((e & ENT_DCLR) && ent_hs(e) == MM_HS_PRESERVED)
			FAIL("vm %u gfn %llx: D bit cleared for a hint, yet paged out", vm->id,
			     (unsigned long long)g);
		if (ent_pins(e) && ent_hs(e) != MM_HS_RESIDENT)
			FAIL("vm %u gfn %llx: pinned but not resident", vm->id, (unsigned long long)g);
		switch (ent_hs(e)) {
		case MM_HS_RESIDENT:
			if (ent_ref(e) >= mm->nr)
				FAIL("vm %u gfn %llx: frame %u out of pool", vm->id, (unsigned long long)g,
				     ent_ref(e));
			f = &mm->frames[ent_ref(e)];
			if (fr_vm(f) != vm->id || fr_gfn(f) != g)
				FAIL("vm %u gfn %llx: frame %u owned by vm %u gfn %llx", vm->id,
				     (unsigned long long)g, ent_ref(e), fr_vm(f), (unsigned long long)fr_gfn(f));
			if (fr_list(f) == FR_FREE)
				FAIL("vm %u gfn %llx: frame %u is free", vm->id, (unsigned long long)g, ent_ref(e));
			if ((fr_list(f) == FR_NONE) != (ent_pins(e) != 0))
				FAIL("vm %u gfn %llx: pin count %u, list %u", vm->id, (unsigned long long)g,
				     ent_pins(e), fr_list(f));
			pins += ent_pins(e) != 0;
			(*resident)++;
			break;
		case MM_HS_PRESERVED:
			(*preserved)++;
			break;
		default:
			if (ent_ref(e) != 0)
				FAIL("vm %u gfn %llx: ZERO with ref %u", vm->id, (unsigned long long)g, ent_ref(e));
		}
	}
	for (s = 0; s < 4; s++)
		for (h = 0; h < 3; h++)
			if (pages[s][h] != vm->pages[s][h])
				FAIL("vm %u: pages[%u][%u] %llu, counted %llu", vm->id, s, h,
				     (unsigned long long)vm->pages[s][h], (unsigned long long)pages[s][h]);
	if (pins != vm->pinned)
		FAIL("vm %u: %llu pinned, counter %llu", vm->id, (unsigned long long)pins,
		     (unsigned long long)vm->pinned);
	if (vm->cnt.drops[HV_PAGE_STABLE] != 0)
		FAIL("vm %u: %llu STABLE pages dropped", vm->id, (unsigned long long)vm->cnt.drops[0]);
	*pinned += pins;
	return 0;
}

int mm_check(struct mm *mm, char *why, size_t len)
{
	uint64_t resident = 0, preserved = 0, pinned = 0, none = 0;
	uint32_t idx;
	unsigned int i;

	if (check_lists(mm, why, len) != 0)
		return -1;
	for (idx = 0; idx < mm->nr; idx++) {
		if (fr_list(&mm->frames[idx]) == FR_NONE)
			none++;
		else if (fr_list(&mm->frames[idx]) > FR_NONE)
			FAIL("frame %u: bad list %u", idx, fr_list(&mm->frames[idx]));
	}
	for (i = 0; i < MM_MAX_VMS; i++) {
		if (mm->vms[i] == NULL)
			continue;
		if (mm->vms[i]->id != i || mm->vms[i]->mm != mm)
			FAIL("vm slot %u: bad registration", i);
		if (check_vm(mm, mm->vms[i], &resident, &preserved, &pinned, why, len) != 0)
			return -1;
	}
	/* Each resident gfn points at a used frame that points back: with equal
	 * counts that is a bijection, so no frame is owned twice or leaked. */
	if (mm->lists[FR_FREE].len + resident != mm->nr)
		FAIL("pool: %llu free + %llu resident != %u frames", (unsigned long long)mm->lists[FR_FREE].len,
		     (unsigned long long)resident, mm->nr);
	if (none != pinned)
		FAIL("pool: %llu frames off the LRU, %llu pinned gfns", (unsigned long long)none,
		     (unsigned long long)pinned);
	if (mm->swap != NULL && mm->swap->ops->used != NULL && mm->swap->ops->used(mm->swap->ctx) != preserved)
		FAIL("swap: %llu slots used, %llu preserved gfns",
		     (unsigned long long)mm->swap->ops->used(mm->swap->ctx), (unsigned long long)preserved);
	if (mm->swap == NULL && preserved != 0)
		FAIL("%llu preserved gfns without a paging device", (unsigned long long)preserved);
	if (mm->cnt.drops[HV_PAGE_STABLE] != 0)
		FAIL("%llu STABLE pages dropped", (unsigned long long)mm->cnt.drops[HV_PAGE_STABLE]);
	return 0;
}
