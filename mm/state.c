/* SPDX-License-Identifier: MIT */
/*
 * Guest-requested page state changes (hypercalls: one page, a range, a batch
 * in the HV_BATCH format), the state query, drops of ranges the guest gave
 * up (a device's request) and the reset of every state (HV_HC_RESET). Keeps
 * the shared table, when registered, in step. Called from the hypercall
 * handler and devices, mm lock held.
 */
#include "internal.h"

#define TABLE_CAS_TRIES 8

/*
 * Set g to ns. Returns the result word (the state before the call). A hint
 * clears the D bit of a resident page (*flush: INVEPT needed before the guest
 * runs again) so that a later write shows up as reuse; UNUSED and VOLATILE
 * pages move to the reclaim end of the LRU. A hint on a preserved page frees
 * its slot at once: UNUSED leaves it ZERO; VOLATILE and POT_VOLATILE drop it
 * as reclaim would (ZERO, discarded, counted in drops[ns]), since the guest
 * can re-create the content and cannot have written it since the hint (it is
 * not mapped).
 */
static int set_one(struct mm_vm *vm, uint64_t g, unsigned int ns, bool *flush)
{
	struct mm *mm = vm->mm;
	unsigned int old, hs, tries = 0;
	bool disc, vol = ns == HV_PAGE_VOLATILE || ns == HV_PAGE_POT_VOLATILE, drop;
	uint64_t e, ne;
	uint8_t raw, nb;
	int res;

	for (;;) {
		old = ft_refresh_gs(vm, g, &raw);
		e = vm->ent[g];
		disc = (e & ENT_DISC) != 0;
		drop = vol && ent_hs(e) == MM_HS_PRESERVED;
		nb = (uint8_t)ns;
		if (vol && (disc || drop))
			nb |= HV_TABLE_DISCARDED;
		if (!tbl_has(vm, g) || tbl_cas(vm, g, raw, nb))
			break;
		if (++tries == TABLE_CAS_TRIES) {
			/* The guest keeps changing the byte under its own hypercall: ours wins. */
			__atomic_store_n(tbl_ptr(vm, g), nb, __ATOMIC_RELEASE);
			break;
		}
	}
	hs = ent_hs(e);
	res = (int)(old | hs_to_abi(hs) << 2 | (disc ? HV_RES_DISCARDED : 0));
	ne = ent_with_gs(e, ns);
	if (ns == HV_PAGE_STABLE) {
		ne &= ~(ENT_DISC | ENT_DCLR);
	} else {
		if (ns == HV_PAGE_UNUSED)
			ne &= ~ENT_DISC;
		if (hs == MM_HS_PRESERVED) {
			/* Not STABLE: the content on the paging device is not needed. */
			swap_free(mm->swap, ent_ref(e));
			ne = ent_with_hs(ne, MM_HS_ZERO, 0);
			MM_COUNT(vm, hint_frees, 1);
			if (drop) {
				ne |= ENT_DISC;
				MM_COUNT(vm, drops[ns], 1);
			}
		}
		if (hs == MM_HS_RESIDENT) {
			(void)vm->ops->test_clear_dirty(vm->ctx, _gfn(g));
			*flush = true;
			if (ns != HV_PAGE_POT_VOLATILE && ent_pins(e) == 0)
				lru_move(mm, FR_INACTIVE, ent_ref(e), false);
		}
		ne |= ENT_DCLR;
	}
	ent_store(vm, g, ne);
	MM_COUNT(vm, hints, 1);
	return res;
}

int mm_set_state(struct mm_vm *vm, gfn_t gfn, unsigned int state)
{
	bool flush = false;
	int res;

	if (gfn_x(gfn) >= vm->nr)
		return -ERANGE;
	if (state > HV_PAGE_POT_VOLATILE)
		return -EINVAL;
	res = set_one(vm, gfn_x(gfn), state, &flush);
	if (flush)
		vm->ops->flush(vm->ctx);
	return res;
}

int64_t mm_set_range(struct mm_vm *vm, gfn_t first, uint64_t count, unsigned int state)
{
	uint64_t g, f = gfn_x(first);
	bool flush = false;
	int64_t changed = 0;

	if (f >= vm->nr || count > vm->nr - f)
		return -ERANGE;
	if (state > HV_PAGE_POT_VOLATILE)
		return -EINVAL;
	for (g = f; g < f + count; g++)
		changed += HV_RES_OLD_STATE((unsigned int)set_one(vm, g, state, &flush)) != state;
	vm->mm->walked += count;
	if (flush)
		vm->ops->flush(vm->ctx);
	return changed;
}

int mm_set_batch(struct mm_vm *vm, uint64_t *entries, unsigned int n)
{
	unsigned int i, state;
	bool flush = false;
	uint64_t ent, g;

	if (n > HV_BATCH_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		/* The guest may be rewriting its page: read each entry once. */
		ent = __atomic_load_n(&entries[i], __ATOMIC_RELAXED);
		g = HV_BATCH_GFN(ent);
		state = (unsigned int)(ent & ~PAGE_MASK);
		g <<= PAGE_SHIFT;
		if (state > HV_PAGE_POT_VOLATILE)
			ent = g | HV_BATCH_ERR | HV_EINVAL;
		else if (HV_BATCH_GFN(g) >= vm->nr)
			ent = g | HV_BATCH_ERR | HV_ERANGE;
		else
			ent = g | (uint64_t)set_one(vm, HV_BATCH_GFN(g), state, &flush);
		__atomic_store_n(&entries[i], ent, __ATOMIC_RELAXED);
	}
	if (flush)
		vm->ops->flush(vm->ctx);
	return (int)n;
}

int mm_get_state(struct mm_vm *vm, gfn_t gfn)
{
	uint64_t g = gfn_x(gfn), e;
	unsigned int gs;
	uint8_t raw;

	if (g >= vm->nr)
		return -ERANGE;
	gs = ft_refresh_gs(vm, g, &raw);
	e = vm->ent[g];
	return (int)(gs | hs_to_abi(ent_hs(e)) << 2 | ((e & ENT_DISC) ? HV_RES_DISCARDED : 0));
}

/* Drop g, which is unmapped and flushed if resident. false: the guest made
 * it not volatile since raw was read; it keeps its content. */
static bool drop_given_up(struct mm_vm *vm, uint64_t g)
{
	struct mm *mm = vm->mm;
	uint64_t e;
	unsigned int gs;
	bool vol;
	uint8_t raw;

	gs = ft_refresh_gs(vm, g, &raw);
	e = vm->ent[g];
	vol = gs == HV_PAGE_VOLATILE || gs == HV_PAGE_POT_VOLATILE;
	if (vol && tbl_has(vm, g) && !tbl_cas(vm, g, raw, (uint8_t)(raw | HV_TABLE_DISCARDED)))
		return false;
	if (ent_hs(e) == MM_HS_RESIDENT) {
		lru_del(mm, ent_ref(e));
		mm_pool_put(mm, ent_ref(e));
	} else {
		swap_free(mm->swap, ent_ref(e));
	}
	e = ent_with_hs(e, MM_HS_ZERO, 0) & ~ENT_DCLR;
	ent_store(vm, g, vol ? e | ENT_DISC : e);
	if (vm->ops->release != NULL)
		vm->ops->release(vm->ctx, _gfn(g)); /* its leaf, and tables left empty */
	MM_COUNT(vm, drops[gs == HV_PAGE_STABLE ? HV_PAGE_UNUSED : gs], 1);
	MM_COUNT(vm, guest_drops, 1);
	return true;
}

int64_t mm_drop_range(struct mm_vm *vm, gfn_t first, uint64_t count)
{
	uint64_t g, f = gfn_x(first);
	bool unmapped = false;
	int64_t dropped = 0;

	if (f >= vm->nr || count > vm->nr - f)
		return -ERANGE;
	for (g = f; g < f + count; g++)
		if (ent_pins(vm->ent[g]))
			return -EBUSY;
	/* Frames go back to the pool only after the flush: until then the
	 * guest may still write through a stale TLB entry. */
	for (g = f; g < f + count; g++) {
		if (ent_hs(vm->ent[g]) == MM_HS_RESIDENT) {
			vm->ops->unmap(vm->ctx, _gfn(g));
			unmapped = true;
		}
	}
	if (unmapped)
		vm->ops->flush(vm->ctx);
	for (g = f; g < f + count; g++)
		if (ent_hs(vm->ent[g]) != MM_HS_ZERO && drop_given_up(vm, g))
			dropped++;
	vm->mm->walked += count;
	return dropped;
}

/*
 * HV_HC_RESET's walk, in parts of budget gfns from the last one down; done:
 * how many the earlier parts did; returns that count after this part. Each
 * gfn leaves table mode as the walk passes it (table_nr and table_len drop
 * to it): its byte is read one last time, and a byte the guest changes behind
 * the walk (an interrupt handler between two parts, another vCPU) is plain
 * memory that reclaim can no longer take for a hint. Without that a page
 * freed during the call could come out of it UNUSED in our records, and the
 * next kernel's first writes to it go unseen (isolate() clears the D bit of a
 * hint it sees for the first time). The table itself is not written: its
 * discard marks stay true for the kernel that made the call.
 */
uint64_t mm_vm_reset_states(struct mm_vm *vm, uint64_t done, uint64_t budget, uint64_t *changed)
{
	uint64_t i, g, end = vm->nr - done > budget ? done + budget : vm->nr;
	bool flush = false;
	unsigned int gs;
	uint8_t raw;

	for (i = done; i < end; i++) {
		g = vm->nr - 1 - i;
		gs = ft_refresh_gs(vm, g, &raw);
		if (vm->table_nr > g)
			vm->table_nr = vm->table_len = g;
		if (gs == HV_PAGE_STABLE && !(vm->ent[g] & ENT_DISC))
			continue;
		(void)set_one(vm, g, HV_PAGE_STABLE, &flush);
		(*changed)++;
	}
	vm->mm->walked += end > done ? end - done : 0;
	if (flush)
		vm->ops->flush(vm->ctx);
	if (end == vm->nr) {
		/* Nothing reads or writes the guest's table memory after this. */
		vm->table = NULL;
		vm->table_pages = NULL;
		vm->table_nr = 0;
		vm->table_len = 0;
	}
	return end;
}
