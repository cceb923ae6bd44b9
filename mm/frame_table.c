/* SPDX-License-Identifier: MIT */
/*
 * Per-VM frame table (one 8-byte entry per gfn, layout in internal.h), VM
 * registration, and the guest-state bookkeeping shared by reclaim, fault and
 * state changes, including the shared-table reads. Under the mm lock.
 */
#include <string.h>

#include "internal.h"

size_t mm_vm_bytes_needed(uint64_t nr_gfns)
{
	return (size_t)nr_gfns * sizeof(uint64_t);
}

int mm_vm_init(struct mm *mm, struct mm_vm *vm, void *buf, size_t len, uint64_t nr_gfns,
	       const struct mm_arch_ops *ops, void *ctx)
{
	unsigned int id;

	if (nr_gfns == 0 || nr_gfns > MM_MAX_GFNS || len < mm_vm_bytes_needed(nr_gfns) ||
	    ((uintptr_t)buf & 7) || ops == NULL)
		return -EINVAL;
	for (id = 0; id < MM_MAX_VMS && mm->vms[id] != NULL; id++)
		;
	if (id == MM_MAX_VMS)
		return -EBUSY;
	memset(vm, 0, sizeof(*vm));
	memset(buf, 0, mm_vm_bytes_needed(nr_gfns));
	vm->mm = mm;
	vm->ent = buf;
	vm->nr = nr_gfns;
	vm->ops = ops;
	vm->ctx = ctx;
	vm->id = (uint16_t)id;
	vm->pages[HV_PAGE_STABLE][MM_HS_ZERO] = nr_gfns;
	mm->vms[id] = vm;
	return 0;
}

void mm_vm_destroy(struct mm_vm *vm)
{
	struct mm *mm = vm->mm;
	uint64_t g, e;

	for (g = 0; g < vm->nr; g++) {
		e = vm->ent[g];
		if (ent_hs(e) == MM_HS_RESIDENT) {
			if (fr_list(&mm->frames[ent_ref(e)]) != FR_NONE)
				lru_del(mm, ent_ref(e));
			mm_pool_put(mm, ent_ref(e));
		} else if (ent_hs(e) == MM_HS_PRESERVED) {
			swap_free(mm->swap, ent_ref(e));
		}
	}
	mm->walked += vm->nr;
	mm->vms[vm->id] = NULL;
	vm->mm = NULL;
}

/*
 * A newly registered table takes over the states we hold: whatever the guest
 * left in it, every byte gets the page's current guest state, with the
 * discard mark of a dropped volatile page (ABI §6). A zeroed table would
 * otherwise make a discarded page STABLE and let it read zeros without a
 * discard fault. DCLR stays valid: the state itself does not change. The
 * byte is written before the gfn enters table mode (table_nr), so that no
 * path reads it before it holds the state.
 */
uint64_t mm_vm_table_take_over(struct mm_vm *vm, uint64_t budget)
{
	uint64_t end = vm->table_len - vm->table_nr > budget ? vm->table_nr + budget : vm->table_len;

	for (uint64_t g = vm->table_nr; g < end; g++) {
		uint64_t e = vm->ent[g];
		unsigned int gs = ent_gs(e);
		uint8_t b = (uint8_t)gs;

		if ((e & ENT_DISC) && (gs == HV_PAGE_VOLATILE || gs == HV_PAGE_POT_VOLATILE))
			b |= HV_TABLE_DISCARDED;
		__atomic_store_n(tbl_ptr(vm, g), b, __ATOMIC_RELEASE);
	}
	vm->mm->walked += end - vm->table_nr;
	vm->table_nr = end;
	return vm->table_len - end;
}

static int table_start(struct mm_vm *vm, uint8_t *bytes, uint8_t *const *pages, uint64_t nr)
{
	if ((bytes != NULL || pages != NULL) && (nr == 0 || nr > vm->nr))
		return -EINVAL;
	vm->table = bytes;
	vm->table_pages = pages;
	vm->table_nr = 0;
	vm->table_len = bytes != NULL || pages != NULL ? nr : 0;
	return 0;
}

int mm_vm_table_start(struct mm_vm *vm, uint8_t *const *pages, uint64_t nr)
{
	return pages != NULL ? table_start(vm, NULL, pages, nr) : -EINVAL;
}

int mm_vm_set_table(struct mm_vm *vm, uint8_t *bytes, uint64_t nr)
{
	int rc = table_start(vm, bytes, NULL, nr);

	if (rc == 0)
		(void)mm_vm_table_take_over(vm, vm->table_len);
	return rc;
}

int mm_vm_set_table_pages(struct mm_vm *vm, uint8_t *const *pages, uint64_t nr)
{
	int rc = table_start(vm, NULL, pages, nr);

	if (rc == 0)
		(void)mm_vm_table_take_over(vm, vm->table_len);
	return rc;
}

/* Record that pool frame idx now holds gfn g of vm. */
void ft_set_owner(struct mm *mm, uint32_t idx, const struct mm_vm *vm, uint64_t g)
{
	mm->frames[idx].owner = g | ((uint64_t)vm->id << FR_OWNER_VM_SHIFT);
}

/*
 * Current guest state of g. In table mode the byte is read exactly once
 * (returned in *raw for a later CAS) and cached in the entry; a change to or
 * from STABLE invalidates DCLR, because the D bit was cleared for an older
 * hint. A discard mark the guest has removed is forgotten. Without a table
 * *raw is the cached state.
 */
unsigned int ft_refresh_gs(struct mm_vm *vm, uint64_t g, uint8_t *raw)
{
	uint64_t e = vm->ent[g], ne;
	unsigned int old, gs;
	uint8_t b;

	old = ent_gs(e);
	if (!tbl_has(vm, g)) {
		*raw = (uint8_t)old;
		return old;
	}
	b = tbl_load(vm, g);
	*raw = b;
	gs = tbl_state(b);
	ne = ent_with_gs(e, gs);
	if (gs != old && (gs == HV_PAGE_STABLE || old == HV_PAGE_STABLE))
		ne &= ~ENT_DCLR;
	if ((ne & ENT_DISC) && !tbl_discarded(b))
		ne &= ~ENT_DISC;
	if (ne != e)
		ent_store(vm, g, ne);
	return gs;
}

/*
 * Reuse detected on g (raw: the table byte read for the decision): the page
 * is STABLE in our records until the guest hints it again; in the table the
 * byte goes to STABLE by CAS, only from a non-stable value.
 */
void ft_make_stable(struct mm_vm *vm, uint64_t g, uint8_t raw)
{
	ent_store(vm, g, ent_with_gs(vm->ent[g], HV_PAGE_STABLE) & ~ENT_DCLR);
	if (tbl_has(vm, g) && tbl_state(raw) != HV_PAGE_STABLE)
		(void)tbl_cas(vm, g, raw, HV_PAGE_STABLE);
	MM_COUNT(vm, reuse_detected, 1);
}
