/* SPDX-License-Identifier: MIT */
/*
 * Guest page hinting in the hypervisor (see hint.h): the back ends of the
 * hinting hypercalls, the shared state table and #VE area, and the
 * delivery of discard faults. Hypervisor context, any host CPU under
 * vm_lock.
 */
#include <asm/virt.h>
#include <errcode.h>
#include <base/console.h>
#include <hv/mem/gmem.h>
#include <hv/hint/hint.h>
#include <base/mem.h>
#include <hv/mem/pool.h>
#include <hv/vm/vm.h>

void hint_vm_destroy(struct vm *vm)
{
	if (!vm->mm_storage)
		return;
	hint_get_stats(vm, &vm->final_stats);
	pool_vm_destroy(vm);
	if (vm->table_pages) {
		pages_free(vm->table_pages, vm->table_ptr_pages);
		vm->table_pages = NULL;
	}
}

void hint_discard_fault(struct vcpu *v, gpa_t gpa, uint64_t gla, uint32_t access)
{
	struct vm *vm = v->vm;
	struct hv_ve_info *info;

	if (!v->ve_registered) {
		vm_crash(vm, "discard fault at gpa %#lx, but no #VE area is registered", gpa_x(gpa));
		return;
	}
	info = gmem_ptr(vm, _gpa(v->ve_area), sizeof(*info), true);
	if (!info || info->busy) {
		vm_crash(vm, "discard fault at gpa %#lx while the #VE area is busy", gpa_x(gpa));
		return;
	}
	/* Also during the delivery of another event: queued with it in the
	 * architectural order; false only if that was a triple fault. */
	if (!virt->inject_discard_fault(v))
		return;
	info->reason = HV_VE_REASON_DISCARD;
	info->exit_qual = access;
	info->gla = gla;
	info->gpa = gpa_x(gpa);
	info->eptp_index = 0;
	__atomic_store_n(&info->busy, 0xffffffffu, __ATOMIC_RELEASE);
}

/* ---- hypercalls ---- */

/* An mm error from making a guest page resident: the host could not keep
 * it (-ENOMEM), or the page cannot be used (-EFAULT: discarded, I/O error). */
static int64_t pin_error(int rc)
{
	if (rc == -ERESTART)
		return rc; /* host memory: the guest executes the call again */
	return rc == -ENOMEM || rc == -EBUSY ? -ENOMEM : -EFAULT;
}

/* Pin gfns [first, first + n); on failure none stays pinned. 0, -ENOMEM or -EFAULT. */
static int64_t pin_range(struct vm *vm, uint64_t first, uint64_t n, uint8_t **ptrs)
{
	for (uint64_t i = 0; i < n; i++) {
		hfn_t hfn;
		int rc = mm_gfn_pin(&vm->mm, _gfn(first + i), &hfn);

		if (rc) {
			while (i--)
				mm_gfn_unpin(&vm->mm, _gfn(first + i));
			return pin_error(rc);
		}
		if (ptrs)
			ptrs[i] = hpa_to_virt(hfn_to_hpa(hfn));
	}
	return 0;
}

int64_t hint_set_state(struct vm *vm, gfn_t gfn, unsigned int state)
{
	return mm_set_state(&vm->mm, gfn, state);
}

int64_t hint_set_range(struct vm *vm, gfn_t first, uint64_t count, unsigned int state)
{
	return mm_set_range(&vm->mm, first, count, state);
}

int64_t hint_set_batch(struct vm *vm, gpa_t entries, unsigned int count)
{
	gfn_t gfn = gpa_to_gfn(entries);
	hfn_t hfn;
	int64_t rc;

	/* Pinned: the batch may hint its own page, and states may reclaim. */
	rc = pool_gfn_get(vm, gfn, true, POOL_PIN | POOL_RESTART, &hfn);
	if (rc)
		return pin_error((int)rc);
	rc = mm_set_batch(&vm->mm, hpa_to_virt(hfn_to_hpa(hfn)), count);
	mm_gfn_unpin(&vm->mm, gfn);
	return rc;
}

int64_t hint_get_state(struct vm *vm, gfn_t gfn)
{
	return mm_get_state(&vm->mm, gfn);
}

/* Undo a registration that failed part-way: nothing of it stays. */
static void table_abandon(struct vm *vm)
{
	gfn_t first = gpa_to_gfn(_gpa(vm->table_gpa));

	for (uint64_t i = 0; i < vm->table_pinned; i++)
		mm_gfn_unpin(&vm->mm, _gfn(gfn_x(first) + i));
	pages_free(vm->table_pages, vm->table_ptr_pages);
	vm->table_pages = NULL;
	vm->table_pinned = 0;
}

int64_t hint_register_table(struct vm *vm, gpa_t gpa, uint64_t nr, uint64_t budget)
{
	uint64_t pages = ALIGN_UP(nr, PAGE_SIZE) >> PAGE_SHIFT, n;
	/* One pointer per table page: 4 KiB per 8 GiB of guest RAM. */
	uint64_t ptr_pages = ALIGN_UP(pages * sizeof(uint8_t *), PAGE_SIZE) >> PAGE_SHIFT;
	gfn_t first = gpa_to_gfn(gpa);
	int64_t rc;

	if (vm->table_pages && (vm->table_ready || vm->table_gpa != gpa_x(gpa)))
		return -EBUSY;
	if (!vm->table_pages) {
		vm->table_pages = pages_alloc(ptr_pages);
		if (!vm->table_pages)
			return -ENOMEM;
		vm->table_ptr_pages = ptr_pages;
		vm->table_gpa = gpa_x(gpa);
		vm->table_nr = nr;
		vm->table_pinned = 0;
	}
	if (vm->table_pinned < pages) {
		n = MIN(pages - vm->table_pinned, MAX(budget >> 10, (uint64_t)1));
		rc = pin_range(vm, gfn_x(first) + vm->table_pinned, n, vm->table_pages + vm->table_pinned);
		if (rc) {
			table_abandon(vm);
			return rc;
		}
		vm->table_pinned += n;
		if (vm->table_pinned < pages)
			return -ERESTART;
		if (mm_vm_table_start(&vm->mm, vm->table_pages, nr)) {
			table_abandon(vm);
			return -EINVAL;
		}
	}
	if (mm_vm_table_take_over(&vm->mm, budget))
		return -ERESTART;
	vm->table_ready = true;
	return 0;
}

int64_t hint_reset(struct vm *vm, uint64_t *next, uint64_t budget, uint64_t *changed)
{
	/* The states first, while the table still says what the guest last set. */
	*next = mm_vm_reset_states(&vm->mm, *next, budget, changed);
	if (*next < vm->nr_frames)
		return -ERESTART;
	/* The pins and pointer array of a registration, complete or in parts. */
	if (vm->table_pages)
		table_abandon(vm);
	vm->table_gpa = vm->table_nr = 0;
	vm->table_ready = false;
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (v->ve_registered) {
			mm_gfn_unpin(&vm->mm, gpa_to_gfn(_gpa(v->ve_area)));
			v->ve_registered = false;
			v->ve_area = 0;
		}
	}
	return (int64_t)*changed;
}

int64_t hint_register_ve_area(struct vcpu *v, gpa_t gpa)
{
	hfn_t hfn;

	int rc;

	if (v->ve_registered)
		return -EBUSY;
	rc = pool_gfn_get(v->vm, gpa_to_gfn(gpa), true, POOL_PIN | POOL_RESTART, &hfn);
	if (rc)
		return pin_error(rc);
	v->ve_area = gpa_x(gpa);
	v->ve_registered = true;
	return 0;
}

int64_t hint_count_pages(struct vm *vm, uint64_t *next, uint64_t budget, uint64_t pages[4][3])
{
	*next = mm_vm_count_pages(&vm->mm, *next, budget, pages);
	return *next < vm->nr_frames ? -ERESTART : 0;
}

void hint_stats_of(struct vm *vm, const uint64_t pages[4][3], struct hv_vm_stats *st)
{
	mm_vm_stats_of(&vm->mm, pages, st);
	for (unsigned int i = 0; i < ARRAY_SIZE(vm->hypercalls); i++)
		st->hypercalls += vm->hypercalls[i];
	for (unsigned int i = 0; i < ARRAY_SIZE(vm->exits); i++)
		st->exits += vm->exits[i];
}

void hint_get_stats(struct vm *vm, struct hv_vm_stats *st)
{
	uint64_t pages[4][3] = { { 0 } }, next = 0;

	if (!vm->mm_storage) {
		*st = vm->final_stats;
		return;
	}
	(void)hint_count_pages(vm, &next, vm->nr_frames, pages);
	hint_stats_of(vm, pages, st);
}
