/* SPDX-License-Identifier: MIT */
/*
 * Fault path: make a non-resident gfn resident (zero-fill or page-in) and
 * map it, or report a discarded volatile page. Also the hypervisor's own
 * access to guest memory (get, pin). Called on EPT violations, mm lock held.
 */
#include <string.h>

#include "internal.h"

/* enum mm_hs -> HV_HOST_* of the guest ABI. */
uint64_t hs_to_abi(unsigned int hs)
{
	switch (hs) {
	case MM_HS_RESIDENT:
		return HV_HOST_RESIDENT;
	case MM_HS_PRESERVED:
		return HV_HOST_PRESERVED;
	default:
		return HV_HOST_ZERO;
	}
}

/*
 * Make g resident and mapped; *out = its pool frame. A discarded volatile
 * page is refused with -EDISCARDED. A zero-filled UNUSED page was taken
 * back into use by the guest: it becomes STABLE.
 */
static int make_resident(struct mm_vm *vm, uint64_t g, bool remap, uint32_t *out)
{
	struct mm *mm = vm->mm;
	uint64_t e = vm->ent[g];
	unsigned int gs, hs = ent_hs(e);
	uint32_t idx;
	uint8_t raw;
	void *p;

	if (hs == MM_HS_RESIDENT) {
		idx = ent_ref(e);
		*out = idx;
		if (!remap)
			return 0;
		/*
		 * A guest fault on a resident page: another vCPU got here first, or
		 * a failed page-out could not map it back. Map again; should the arch
		 * lose the D bit doing so, a hinted page must not look clean: stable.
		 */
		if (vm->ops->map(vm->ctx, _gfn(g), fr_hfn(&mm->frames[idx])) != 0)
			return -ENOMEM;
		if (ft_refresh_gs(vm, g, &raw) != HV_PAGE_STABLE)
			ft_make_stable(vm, g, raw);
		return 0;
	}
	MM_COUNT(vm, faults, 1);
	gs = ft_refresh_gs(vm, g, &raw);
	if (vm->ent[g] & ENT_DISC)
		return -EDISCARDED;
	idx = mm_pool_get(mm);
	if (idx == MM_NIL)
		return -ENOMEM;
	/* The reclaim in mm_pool_get() may have taken back g's own slot (mm/oom.c). */
	e = vm->ent[g];
	hs = ent_hs(e);
	gs = ent_gs(e);
	if (e & ENT_DISC) {
		mm_pool_put(mm, idx);
		return -EDISCARDED;
	}
	p = mm_pool_ptr(mm, idx);
	if (hs == MM_HS_PRESERVED) {
		if (swap_read(mm->swap, ent_ref(e), p) != 0) {
			mm_pool_put(mm, idx);
			return -EIO;
		}
	} else {
		memset(p, 0, PAGE_SIZE);
	}
	if (vm->ops->map(vm->ctx, _gfn(g), fr_hfn(&mm->frames[idx])) != 0) {
		mm_pool_put(mm, idx);
		return -ENOMEM;
	}
	if (hs == MM_HS_PRESERVED) {
		swap_free(mm->swap, ent_ref(e));
		MM_COUNT(vm, page_ins, 1);
	} else {
		MM_COUNT(vm, zero_fills, 1);
		if (gs == HV_PAGE_UNUSED) {
			ft_make_stable(vm, g, raw);
			gs = HV_PAGE_STABLE;
			e = vm->ent[g];
		}
	}
	/* A fresh mapping has D = 0: from now on D means "written since mapped". */
	e = ent_with_hs(e, MM_HS_RESIDENT, idx);
	e = gs != HV_PAGE_STABLE ? e | ENT_DCLR : e & ~ENT_DCLR;
	ent_store(vm, g, e);
	ft_set_owner(mm, idx, vm, g);
	lru_add(mm, FR_INACTIVE, idx, true);
	*out = idx;
	return 0;
}

enum mm_fault_result mm_fault(struct mm_vm *vm, gfn_t gfn, bool write)
{
	uint64_t g = gfn_x(gfn);
	uint32_t idx;

	if (g >= vm->nr)
		return MM_FAULT_RANGE;
	switch (make_resident(vm, g, true, &idx)) {
	case 0:
		return MM_FAULT_MAPPED;
	case -EDISCARDED:
		MM_COUNT(vm, discard_faults, 1);
		return MM_FAULT_DISCARD;
	case -EIO:
		return MM_FAULT_IOERR;
	default:
		return MM_FAULT_NOMEM;
	}
}

int mm_gfn_get(struct mm_vm *vm, gfn_t gfn, bool write, hfn_t *out)
{
	uint64_t g = gfn_x(gfn);
	uint32_t idx;
	uint8_t raw;
	int r;

	if (g >= vm->nr)
		return -ERANGE;
	r = make_resident(vm, g, false, &idx);
	if (r != 0)
		return r;
	/* The host's write sets no EPT D bit: treat it as the guest's reuse. */
	if (write && ft_refresh_gs(vm, g, &raw) != HV_PAGE_STABLE)
		ft_make_stable(vm, g, raw);
	*out = fr_hfn(&vm->mm->frames[idx]);
	return 0;
}

int mm_gfn_pin(struct mm_vm *vm, gfn_t gfn, hfn_t *out)
{
	uint64_t g = gfn_x(gfn);
	uint32_t idx;
	int r;

	r = mm_gfn_get(vm, gfn, true, out);
	if (r != 0)
		return r;
	if (ent_pins(vm->ent[g]) == MM_PIN_MAX)
		return -EBUSY;
	idx = ent_ref(vm->ent[g]);
	if (ent_pins(vm->ent[g]) == 0) {
		lru_del(vm->mm, idx);
		vm->pinned++;
	}
	vm->ent[g] += 1ULL << ENT_PIN_SHIFT;
	return 0;
}

void mm_gfn_unpin(struct mm_vm *vm, gfn_t gfn)
{
	uint64_t g = gfn_x(gfn);

	if (g >= vm->nr || ent_pins(vm->ent[g]) == 0)
		return;
	vm->ent[g] -= 1ULL << ENT_PIN_SHIFT;
	if (ent_pins(vm->ent[g]) == 0) {
		lru_add(vm->mm, FR_ACTIVE, ent_ref(vm->ent[g]), true);
		vm->pinned--;
	}
}
