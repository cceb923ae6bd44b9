/* SPDX-License-Identifier: MIT */
/*
 * Reclaim from the global LRU (two-list clock over all VMs' resident frames):
 * pick victims from the inactive tail, unmap them, flush once per batch, then
 * read the D bit and drop or page out by guest state. Under the mm lock.
 */
#include "internal.h"

#define OBS_MAX 64 /* table hints seen per pass */

struct victim {
	uint32_t idx;     /* pool frame */
	uint8_t raw;      /* table byte (or cached state) read at isolation */
	uint8_t gs;       /* guest state it stands for */
};

/*
 * One reclaim pass: victims to unmap, table hints whose D bit was cleared.
 * room: page-outs the paging device can still take, less the stable victims
 * already chosen for them.
 */
struct pass {
	struct victim v[MM_RECLAIM_BATCH];
	uint32_t obs[OBS_MAX];
	unsigned int n, nobs;
	uint64_t room;
};

/* Page-outs that can still succeed: free slots (0 without a device). */
static uint64_t paging_room(const struct mm *mm)
{
	return mm->swap == NULL ? 0 : swap_room(mm->swap);
}

static struct mm_vm *frame_vm(struct mm *mm, uint32_t idx)
{
	return mm->vms[fr_vm(&mm->frames[idx])];
}

/*
 * Move the oldest active frame: referenced since last asked -> back to the
 * active head, else to the inactive head (it gets one more chance there).
 */
static void age_active(struct mm *mm)
{
	uint32_t idx = mm->lists[FR_ACTIVE].tail;
	struct mm_vm *vm = frame_vm(mm, idx);

	if (vm->ops->test_clear_young(vm->ctx, _gfn(fr_gfn(&mm->frames[idx])))) {
		lru_move(mm, FR_ACTIVE, idx, true);
		MM_COUNT(vm, lru_rotated, 1);
	} else {
		lru_move(mm, FR_INACTIVE, idx, true);
		MM_COUNT(vm, lru_deactivated, 1);
	}
}

/*
 * Fill p with up to max victims from the inactive tail, spending *budget
 * steps. A table hint seen for the first time only gets its D bit cleared
 * (the guest set the byte without an exit, so nobody did it at hint time):
 * the page can go on a later pass, after an INVEPT, if it stays clean. Until
 * that INVEPT a write could hit a TLB entry that still caches D = 1.
 * UNUSED pages go whatever their A bit says; others rotate to the active
 * list when referenced. A stable page is only taken while the paging device
 * has room for it; otherwise it goes to the inactive head untouched (its A
 * bit kept), so that a full device costs a look at the page, not an unmap,
 * a flush, a failed page-out and a map.
 */
static void isolate(struct mm *mm, struct pass *p, unsigned int max, uint64_t *budget)
{
	struct mm_list *act = &mm->lists[FR_ACTIVE], *inact = &mm->lists[FR_INACTIVE];
	struct mm_vm *vm;
	unsigned int gs;
	uint32_t idx;
	uint64_t g, e;
	uint8_t raw;

	p->n = p->nobs = 0;
	while (p->n < max && *budget > 0) {
		(*budget)--;
		if (act->len > 0 && (inact->len == 0 || inact->len * 2 < act->len)) {
			age_active(mm);
			continue;
		}
		idx = inact->tail;
		if (idx == MM_NIL)
			break;
		vm = frame_vm(mm, idx);
		g = fr_gfn(&mm->frames[idx]);
		MM_COUNT(vm, lru_scanned, 1);
		gs = ft_refresh_gs(vm, g, &raw);
		e = vm->ent[g];
		if (gs != HV_PAGE_STABLE && (!(e & ENT_DCLR) || (e & ENT_OBS))) {
			if (e & ENT_OBS) {
				/* Seen this pass already: the list is used up. */
				break;
			}
			if (p->nobs == OBS_MAX)
				break;
			(void)vm->ops->test_clear_dirty(vm->ctx, _gfn(g));
			ent_store(vm, g, e | ENT_DCLR | ENT_OBS);
			p->obs[p->nobs++] = idx;
			vm->need_flush = true;
			lru_move(mm, FR_INACTIVE, idx, true);
			MM_COUNT(vm, lru_rotated, 1);
			continue;
		}
		if (gs == HV_PAGE_STABLE && p->room == 0) {
			lru_move(mm, FR_INACTIVE, idx, true);
			MM_COUNT(vm, lru_rotated, 1);
			continue;
		}
		if (gs != HV_PAGE_UNUSED && vm->ops->test_clear_young(vm->ctx, _gfn(g))) {
			lru_move(mm, FR_ACTIVE, idx, true);
			MM_COUNT(vm, lru_rotated, 1);
			continue;
		}
		if (gs == HV_PAGE_STABLE)
			p->room--;
		lru_del(mm, idx);
		p->v[p->n++] = (struct victim){ idx, raw, (uint8_t)gs };
	}
}

static void flush_vms(struct mm *mm)
{
	unsigned int i;

	for (i = 0; i < MM_MAX_VMS; i++) {
		if (mm->vms[i] != NULL && mm->vms[i]->need_flush) {
			mm->vms[i]->need_flush = false;
			mm->vms[i]->ops->flush(mm->vms[i]->ctx);
		}
	}
	mm->cnt.reclaim_passes++;
}

/* Content gone: frame back to the pool; V and P remember the discard. */
static void drop(struct mm *mm, struct mm_vm *vm, uint64_t g, uint32_t idx)
{
	uint64_t e = vm->ent[g];
	unsigned int gs = ent_gs(e);

	e = ent_with_hs(e, MM_HS_ZERO, 0) & ~ENT_DCLR;
	if (gs != HV_PAGE_UNUSED)
		e |= ENT_DISC;
	ent_store(vm, g, e);
	mm_pool_put(mm, idx);
	if (vm->ops->release != NULL)
		vm->ops->release(vm->ctx, _gfn(g));
	/* drops[STABLE] is the "never drop a stable page" audit read by mm_check(). */
	MM_COUNT(vm, drops[gs], 1);
}

/* Write the page to the paging device, or keep it mapped if that fails. */
static bool page_out(struct mm *mm, struct mm_vm *vm, uint64_t g, uint32_t idx)
{
	uint32_t slot;

	if (mm->swap == NULL || swap_write(mm->swap, &slot, mm_pool_ptr(mm, idx)) != 0) {
		/* Not reclaimed, never dropped. If map fails the next fault maps it. */
		(void)vm->ops->map(vm->ctx, _gfn(g), fr_hfn(&mm->frames[idx]));
		lru_add(mm, FR_ACTIVE, idx, true);
		MM_COUNT(vm, pageout_errors, 1);
		return false;
	}
	ent_store(vm, g, ent_with_hs(vm->ent[g], MM_HS_PRESERVED, slot));
	mm_pool_put(mm, idx);
	if (vm->ops->release != NULL)
		vm->ops->release(vm->ctx, _gfn(g));
	MM_COUNT(vm, page_outs, 1);
	return true;
}

/*
 * Decide for one unmapped, flushed victim. The D bit is read only now: a
 * write that raced with the unmap is in it. Dirty since the hint = reuse.
 */
static bool reclaim_one(struct mm *mm, const struct victim *v)
{
	struct mm_vm *vm = frame_vm(mm, v->idx);
	uint64_t g = fr_gfn(&mm->frames[v->idx]);
	bool dirty = vm->ops->test_clear_dirty(vm->ctx, _gfn(g));
	bool dclr = (vm->ent[g] & ENT_DCLR) != 0;

	if (v->gs != HV_PAGE_STABLE && dclr) {
		if (dirty) {
			ft_make_stable(vm, g, v->raw);
		} else if (v->gs == HV_PAGE_UNUSED) {
			drop(mm, vm, g, v->idx);
			return true;
		} else if (!tbl_has(vm, g) ||
			   tbl_cas(vm, g, v->raw, (uint8_t)(v->raw | HV_TABLE_DISCARDED))) {
			drop(mm, vm, g, v->idx);
			return true;
		} else {
			/* The guest changed the byte (V -> S?): keep the content. */
			ent_store(vm, g, vm->ent[g] & ~ENT_DCLR);
			MM_COUNT(vm, table_races, 1);
		}
	}
	return page_out(mm, vm, g, v->idx);
}

/* The LRU part of mm_reclaim(): up to nr frames within one scan budget. */
static uint32_t reclaim_lru(struct mm *mm, uint32_t nr)
{
	struct pass p;
	uint64_t budget;
	uint32_t freed = 0;
	unsigned int i;
	struct mm_vm *vm;

	budget = 2 * (mm->lists[FR_ACTIVE].len + mm->lists[FR_INACTIVE].len) + MM_RECLAIM_BATCH;
	while (freed < nr && budget > 0) {
		p.room = paging_room(mm);
		isolate(mm, &p, MIN(nr - freed, (uint32_t)MM_RECLAIM_BATCH), &budget);
		for (i = 0; i < p.n; i++) {
			vm = frame_vm(mm, p.v[i].idx);
			vm->ops->unmap(vm->ctx, _gfn(fr_gfn(&mm->frames[p.v[i].idx])));
			vm->need_flush = true;
		}
		flush_vms(mm);
		for (i = 0; i < p.nobs; i++) {
			vm = frame_vm(mm, p.obs[i]);
			vm->ent[fr_gfn(&mm->frames[p.obs[i]])] &= ~ENT_OBS;
		}
		for (i = 0; i < p.n; i++)
			freed += reclaim_one(mm, &p.v[i]);
		if (p.n == 0 && p.nobs == 0)
			break;
	}
	return freed;
}

/*
 * Reclaim from the LRU. If that falls short because the paging device is
 * full, take back the slots of pages the guest has hinted in its table since
 * they were paged out (mm_reclaim_slots()) and try once more.
 *
 * With the device full from the start only pages that can be dropped are
 * wanted, and only one: the scan goes on from where it stopped at the next
 * call, instead of running through every frame for a watermark's worth of
 * drops that a full host does not have.
 */
uint32_t mm_reclaim(struct mm *mm, uint32_t nr)
{
	uint64_t errors = mm->cnt.pageout_errors;
	uint32_t freed;
	bool full;

	if (mm->in_reclaim)
		return 0;
	mm->in_reclaim = true;
	if (paging_room(mm) == 0)
		nr = MIN(nr, 1u);
	freed = reclaim_lru(mm, nr);
	full = mm->cnt.pageout_errors != errors || paging_room(mm) == 0;
	if (freed < nr && full && mm_reclaim_slots(mm) > 0)
		freed += reclaim_lru(mm, nr - freed);
	mm->futile = freed == 0 && (mm->cnt.pageout_errors != errors || paging_room(mm) == 0);
	if (mm->futile && mm->swap != NULL)
		mm->futile_frees = mm->swap->frees;
	mm->in_reclaim = false;
	return freed;
}

bool reclaim_futile(const struct mm *mm)
{
	return mm->futile && (mm->swap == NULL || mm->swap->frees == mm->futile_frees);
}

uint32_t mm_balance(struct mm *mm)
{
	uint32_t nfree = mm_pool_free(mm);

	if (nfree > mm->wmark_low || reclaim_futile(mm))
		return 0;
	return mm_reclaim(mm, mm->wmark_high > nfree ? mm->wmark_high - nfree : 1);
}
