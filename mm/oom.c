/* SPDX-License-Identifier: MIT */
/*
 * Host out of memory. When the pool is exhausted and the paging device is
 * full, two steps: first take back the paging-device slots of pages whose
 * shared-table byte now says the content is not needed (a hint the guest set
 * without an exit on a page that was already paged out, which reclaim never
 * sees again), a bounded part per call; then, once the parts have been
 * through every table without freeing a slot and still short, the caller
 * stops one VM, chosen here:
 * the one holding the most of what ran out. Under the mm lock.
 */
#include "internal.h"

/*
 * Slot reclaim of one paged-out gfn whose table byte is not STABLE. UNUSED:
 * the slot is freed, the page reads as zeros. VOLATILE and POT_VOLATILE:
 * CAS to byte | HV_TABLE_DISCARDED first (ABI section 6); if the guest
 * changed the byte meanwhile the page keeps its slot; else the slot is
 * freed and the next access is a discard fault, as a hypercall hint on a
 * preserved page would have done it.
 */
static bool reclaim_slot(struct mm_vm *vm, uint64_t g)
{
	unsigned int gs;
	uint64_t e;
	uint8_t raw;

	gs = ft_refresh_gs(vm, g, &raw);
	if (gs == HV_PAGE_STABLE)
		return false;
	if (gs != HV_PAGE_UNUSED && !tbl_cas(vm, g, raw, (uint8_t)(raw | HV_TABLE_DISCARDED)))
		return false;
	e = vm->ent[g];
	swap_free(vm->mm->swap, ent_ref(e));
	e = ent_with_hs(e, MM_HS_ZERO, 0) & ~(ENT_DCLR | ENT_DISC);
	if (gs != HV_PAGE_UNUSED) {
		e |= ENT_DISC;
		MM_COUNT(vm, drops[gs], 1);
	}
	ent_store(vm, g, e);
	MM_COUNT(vm, slot_reclaims, 1);
	return true;
}

/* Table gfns of all VMs: what one round of slot reclaim walks. */
static uint64_t table_gfns(const struct mm *mm)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < MM_MAX_VMS; i++)
		if (mm->vms[i] != NULL)
			n += mm->vms[i]->table_nr;
	return n;
}

uint64_t mm_reclaim_slots(struct mm *mm)
{
	uint64_t g, end, walked = 0, freed = 0, budget;
	struct mm_vm *vm;

	if (mm->swap == NULL)
		return 0;
	if (mm->swap->frees != mm->slot_frees)
		mm->slot_clean = 0; /* a slot was freed since the last part: a new round */
	/* Not more than one round per part, and at least one gfn. */
	budget = MIN(MAX(mm->slot_chunk, (uint64_t)1), table_gfns(mm));
	while (walked < budget) {
		vm = mm->vms[mm->slot_vm];
		if (vm == NULL || mm->slot_gfn >= vm->table_nr) {
			mm->slot_vm = (mm->slot_vm + 1) % MM_MAX_VMS;
			mm->slot_gfn = 0;
			continue;
		}
		end = MIN(vm->table_nr, mm->slot_gfn + (budget - walked));
		for (g = mm->slot_gfn; g < end; g++)
			if (ent_hs(vm->ent[g]) == MM_HS_PRESERVED)
				freed += reclaim_slot(vm, g);
		walked += end - mm->slot_gfn;
		mm->slot_gfn = end;
	}
	mm->walked += walked;
	mm->slot_clean = freed ? 0 : mm->slot_clean + walked;
	mm->slot_frees = mm->swap->frees;
	mm->cnt.slot_scans++;
	return freed;
}

bool mm_slot_scan_pending(const struct mm *mm)
{
	uint64_t n = table_gfns(mm);

	if (mm->swap == NULL || n == 0 || swap_room(mm->swap) != 0)
		return false;
	return mm->swap->frees != mm->slot_frees || mm->slot_clean < n;
}

uint64_t mm_vm_footprint(const struct mm_vm *vm)
{
	uint64_t n = 0;
	unsigned int s;

	for (s = 0; s < 4; s++)
		n += vm->pages[s][MM_HS_RESIDENT] + vm->pages[s][MM_HS_PRESERVED];
	return n + vm->table_frames;
}

struct mm_vm *mm_oom_victim(struct mm *mm, enum mm_oom_cause cause)
{
	struct mm_vm *best = NULL;
	uint64_t most = 0, n;
	unsigned int i;

	for (i = 0; i < MM_MAX_VMS; i++) {
		if (mm->vms[i] == NULL)
			continue;
		n = cause == MM_OOM_POOL ? mm_vm_footprint(mm->vms[i]) : mm->vms[i]->table_frames;
		/* Ties go to the VM registered last (the highest id). */
		if (n > 0 && n >= most) {
			best = mm->vms[i];
			most = n;
		}
	}
	return best;
}
