/* SPDX-License-Identifier: MIT */
/*
 * Guest page hinting glue (see hint.h): mm/ on top of the nested page
 * tables (EPT or NPT, struct gpt). Hypervisor context, one
 * host CPU, so the "mm lock" of mm/ is implicit: nothing here is re-entered.
 */
#include <asm/virt.h>
#include <errno.h>
#include <hv/console.h>
#include <hv/hint.h>
#include <hv/mem.h>
#include <hv/stats.h>
#include <hv/vm.h>
#include <string.h>

#define RESERVE_FRAMES 4096 /* 16 MiB kept for nested tables, VMCSs/VMCBs, tables */

struct mm hv_mm;
static struct swap_mem hv_swap;
static char stats_buf[4096];

/* ---- arch hooks for mm/ (ctx = struct vm) ---- */

static bool op_young(void *ctx, gfn_t gfn)
{
	return gpt_test_and_clear(&((struct vm *)ctx)->gpt, gfn, GPT_ACCESSED);
}

static bool op_dirty(void *ctx, gfn_t gfn)
{
	return gpt_test_and_clear(&((struct vm *)ctx)->gpt, gfn, GPT_DIRTY);
}

/*
 * mm/ maps a resident page again when a fault finds it resident (another
 * vCPU's fault or a failed page-out got there first): a leaf already
 * pointing at that frame stays as it is, with its A/D bits.
 */
static int op_map(void *ctx, gfn_t gfn, hfn_t hfn)
{
	struct gpt *g = &((struct vm *)ctx)->gpt;

	if (hfn_x(gpt_lookup(g, gfn)) == hfn_x(hfn))
		return 0;
	return gpt_map(g, gfn, hfn);
}

static void op_unmap(void *ctx, gfn_t gfn)
{
	gpt_unmap(&((struct vm *)ctx)->gpt, gfn);
}

static void op_flush(void *ctx)
{
	virt->flush_gpt(ctx);
}

static const struct mm_arch_ops gpt_ops = {
	.test_clear_young = op_young,
	.test_clear_dirty = op_dirty,
	.map = op_map,
	.unmap = op_unmap,
	.flush = op_flush,
};

static void *frame_ptr(void *ctx, hfn_t hfn)
{
	return hpa_to_virt(hfn_to_hpa(hfn));
}

static const struct mm_host_ops host_ops = { .frame_ptr = frame_ptr };

static void *alloc_bytes(size_t bytes, const char *what)
{
	void *p = pages_alloc(ALIGN_UP(bytes, PAGE_SIZE) >> PAGE_SHIFT);

	if (!p) {
		printk("hintvisor: no host memory for %s (%lu KiB)\n", what, bytes >> 10);
		hv_shutdown(1);
	}
	return p;
}

void hint_init(const struct hv_config *cfg)
{
	uint64_t guest_frames = 0, pool, slots, avail;

	for (unsigned int i = 0; i < cfg->nr_vms; i++)
		guest_frames += cfg->vms[i].mem_bytes >> PAGE_SHIFT;
	avail = host_frames.nr_free > RESERVE_FRAMES ? host_frames.nr_free - RESERVE_FRAMES : 0;
	pool = cfg->pool_bytes ? cfg->pool_bytes >> PAGE_SHIFT : MIN(guest_frames, avail / 2);
	slots = cfg->swap_bytes ? cfg->swap_bytes >> PAGE_SHIFT : guest_frames;
	if (pool < 64 || pool > UINT32_MAX || slots > UINT32_MAX ||
	    pool + slots + (mm_pool_bytes_needed((uint32_t)pool) >> PAGE_SHIFT) > avail) {
		printk("hintvisor: pool of %lu and paging device of %lu frames do not fit in %lu "
		       "free frames\n", pool, slots, avail);
		hv_shutdown(1);
	}

	size_t bytes = mm_pool_bytes_needed((uint32_t)pool);
	if (mm_init(&hv_mm, alloc_bytes(bytes, "the frame pool"), bytes, (uint32_t)pool, &host_ops,
		    NULL))
		panic("mm_init failed");
	for (uint64_t i = 0; i < pool; i++) {
		hfn_t f = frames_alloc(&host_frames);

		if (hfn_x(f) == hfn_x(INVALID_HFN) || mm_pool_add_frame(&hv_mm, f))
			panic("cannot fill the frame pool");
	}
	/* Reclaim in batches of 1/32 of the pool, at least 16 frames. */
	uint32_t low = (uint32_t)MAX(pool / 64, 8), high = (uint32_t)MAX(pool / 32, 16);
	mm_pool_set_watermarks(&hv_mm, low, high);

	bytes = swap_mem_bytes_needed((uint32_t)slots, true);
	if (swap_mem_init(&hv_swap, alloc_bytes(bytes, "the paging device"), bytes, (uint32_t)slots,
			  true))
		panic("swap_mem_init failed");
	mm_swap_attach(&hv_mm, &hv_swap.dev);
	printk("hintvisor: frame pool %lu MiB for %lu MiB of guest RAM (watermarks %u/%u frames), "
	       "paging device %lu MiB\n", pool >> 8, guest_frames >> 8, low, high, slots >> 8);
}

int hint_vm_init(struct vm *vm)
{
	size_t bytes = mm_vm_bytes_needed(vm->nr_frames);

	vm->mm_storage_pages = ALIGN_UP(bytes, PAGE_SIZE) >> PAGE_SHIFT;
	vm->mm_storage = pages_alloc(vm->mm_storage_pages);
	if (!vm->mm_storage)
		return -ENOMEM;
	if (mm_vm_init(&hv_mm, &vm->mm, vm->mm_storage, bytes, vm->nr_frames, &gpt_ops, vm)) {
		pages_free(vm->mm_storage, vm->mm_storage_pages);
		vm->mm_storage = NULL;
		return -ENOMEM;
	}
	return 0;
}

void hint_vm_destroy(struct vm *vm)
{
	if (!vm->mm_storage)
		return;
	hint_get_stats(vm, &vm->final_stats);
	if (vm->state == VM_STOPPED)
		stats_print_line(vm); /* its last line, with the numbers as it stopped */
	mm_vm_destroy(&vm->mm);
	pages_free(vm->mm_storage, vm->mm_storage_pages);
	vm->mm_storage = NULL;
	if (vm->table_pages) {
		pages_free(vm->table_pages, vm->table_ptr_pages);
		vm->table_pages = NULL;
	}
}

/*
 * Host out of memory (docs/mm.md): a frame for vm at gpa could not be had,
 * even after reclaim took back the slots of hinted pages. Stop the VM with
 * the largest host footprint, resident + paged-out frames (mm_oom_victim()).
 * Another VM is destroyed at once, its frames and slots freed, and the
 * caller retries (true). If vm itself is the victim it is only stopped: the
 * scheduler destroys it when this exit is over, and the caller fails.
 */
static bool host_oom(struct vm *vm, uint64_t gpa, const char *who)
{
	struct mm_vm *mv = mm_oom_victim(&hv_mm);
	uint64_t res = 0, out = 0;
	struct vm *victim;

	if (!mv)
		return false;
	victim = mv->ctx;
	for (unsigned int s = 0; s < 4; s++) {
		res += mv->pages[s][MM_HS_RESIDENT];
		out += mv->pages[s][MM_HS_PRESERVED];
	}
	printk("hintvisor: host out of memory: %s of VM %s at gpa %#lx; pool of %u frames and "
	       "paging device of %u slots full\n", who, vm->name, gpa, hv_mm.nr, hv_swap.nslots);
	vm_crash(victim, "out of host memory: largest footprint (%lu resident + %lu paged-out frames)",
		 res, out);
	if (victim == vm)
		return false;
	vm_console_flush(victim);
	vm_destroy(victim);
	return true;
}

/* mm_gfn_get() or mm_gfn_pin() for the hypervisor's own access; OOM as above. */
static int gfn_get(struct vm *vm, gfn_t gfn, bool write, bool pin, hfn_t *hfn)
{
	int rc;

	if (vm->state == VM_STOPPED)
		return -MM_EINVAL; /* stopped for host memory, say: allocate nothing more */
	do
		rc = pin ? mm_gfn_pin(&vm->mm, gfn, hfn) : mm_gfn_get(&vm->mm, gfn, write, hfn);
	while (rc == -MM_ENOMEM && host_oom(vm, gpa_x(gfn_to_gpa(gfn)), "a hypervisor access"));
	return rc;
}

void *hint_gpa_ptr(struct vm *vm, gpa_t gpa, size_t len, bool write)
{
	uint64_t a = gpa_x(gpa);
	hfn_t hfn;

	if (!vm_is_ram(vm, a, len) || len > PAGE_SIZE - (a & ~PAGE_MASK))
		return NULL;
	if (gfn_get(vm, gpa_to_gfn(gpa), write, false, &hfn))
		return NULL;
	return (uint8_t *)hpa_to_virt(hfn_to_hpa(hfn)) + (a & ~PAGE_MASK);
}

static int copy_guest(struct vm *vm, uint64_t gpa, uint8_t *buf, const uint8_t *src, size_t n,
		      bool to_guest)
{
	while (n) {
		size_t chunk = MIN(n, PAGE_SIZE - (gpa & (PAGE_SIZE - 1)));
		uint8_t *g = hint_gpa_ptr(vm, _gpa(gpa), chunk, to_guest);

		if (!g)
			return -EFAULT;
		if (!to_guest)
			memcpy(buf, g, chunk);
		else if (src)
			memcpy(g, src, chunk);
		else
			memset(g, 0, chunk);
		gpa += chunk;
		n -= chunk;
		if (buf)
			buf += chunk;
		if (src)
			src += chunk;
	}
	return 0;
}

int hint_copy_to_guest(struct vm *vm, uint64_t gpa, const void *src, size_t n)
{
	return copy_guest(vm, gpa, NULL, src, n, true);
}

int hint_copy_from_guest(struct vm *vm, void *dst, uint64_t gpa, size_t n)
{
	return copy_guest(vm, gpa, dst, NULL, n, false);
}

/* Deliver a discard fault: #VE with the vCPU's information area filled in. */
static void discard_fault(struct vcpu *v, gpa_t gpa, uint64_t gla, uint32_t access)
{
	struct vm *vm = v->vm;
	struct hv_ve_info *info;

	if (!v->ve_registered) {
		vm_crash(vm, "discard fault at gpa %#lx, but no #VE area is registered", gpa_x(gpa));
		return;
	}
	info = hint_gpa_ptr(vm, _gpa(v->ve_area), sizeof(*info), true);
	if (!info || info->busy) {
		vm_crash(vm, "discard fault at gpa %#lx while the #VE area is busy", gpa_x(gpa));
		return;
	}
	if (!virt->inject_discard_fault(v)) {
		vm_crash(vm, "discard fault at gpa %#lx during event delivery", gpa_x(gpa));
		return;
	}
	info->reason = HV_VE_REASON_DISCARD;
	info->exit_qual = access;
	info->gla = gla;
	info->gpa = gpa_x(gpa);
	info->eptp_index = 0;
	__atomic_store_n(&info->busy, 0xffffffffu, __ATOMIC_RELEASE);
}

void hint_fault(struct vcpu *v, gpa_t gpa, uint64_t gla, bool gla_valid, uint32_t access)
{
	struct vm *vm = v->vm;
	gfn_t gfn = gpa_to_gfn(gpa);

	/* Tables without A/D flags: a write to a write-protected page marks it dirty. */
	if ((access & 2) && gpt_write_fault(&vm->gpt, gfn)) {
		virt->flush_gpt(vm);
		return;
	}
	switch (mm_fault(&vm->mm, gfn, access & 2)) {
	case MM_FAULT_MAPPED:
		return;
	case MM_FAULT_DISCARD:
		discard_fault(v, gpa, gla_valid ? gla : 0, access);
		return;
	case MM_FAULT_NOMEM:
		/* Another VM was stopped: the guest retries its access when it resumes. */
		if (!host_oom(vm, gpa_x(gpa), "a guest access"))
			vm_crash(vm, "no host memory for gpa %#lx: frame pool and paging device full",
				 gpa_x(gpa));
		return;
	case MM_FAULT_IOERR:
		vm_crash(vm, "paging device read error for gpa %#lx", gpa_x(gpa));
		return;
	case MM_FAULT_RANGE:
	default:
		vm_crash(vm, "fault outside the frame table at gpa %#lx", gpa_x(gpa));
		return;
	}
}

void hint_balance(void)
{
	mm_balance(&hv_mm);
}

void hint_print_pages(const uint64_t pages[4][3])
{
	uint64_t m[4][3]; /* mm/ orders host states ZERO, RESIDENT, PRESERVED */

	for (unsigned int s = 0; s < 4; s++) {
		m[s][MM_HS_RESIDENT] = pages[s][HV_HOST_RESIDENT];
		m[s][MM_HS_PRESERVED] = pages[s][HV_HOST_PRESERVED];
		m[s][MM_HS_ZERO] = pages[s][HV_HOST_ZERO];
	}
	mm_format_pages(m, stats_buf, sizeof(stats_buf));
	printk("%s", stats_buf);
}

/* ---- hypercalls ---- */

/* An mm error from making a guest page resident, as the ABI names it. */
static int64_t pin_error(int rc)
{
	return rc == -MM_ENOMEM || rc == -MM_EBUSY ? -HV_ENOMEM : -HV_EFAULT;
}

/* Pin gfns [first, first + n); on failure none stays pinned. 0 or -HV_E*. */
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

static void unpin_range(struct vm *vm, uint64_t first, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		mm_gfn_unpin(&vm->mm, _gfn(first + i));
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
	rc = gfn_get(vm, gfn, true, true, &hfn);
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

int64_t hint_register_table(struct vm *vm, gpa_t gpa, uint64_t nr)
{
	uint64_t pages = ALIGN_UP(nr, PAGE_SIZE) >> PAGE_SHIFT;
	/* One pointer per table page: 4 KiB per 8 GiB of guest RAM. */
	uint64_t ptr_pages = ALIGN_UP(pages * sizeof(uint8_t *), PAGE_SIZE) >> PAGE_SHIFT;
	gfn_t first = gpa_to_gfn(gpa);
	uint8_t **ptrs;
	int64_t rc;

	if (vm->table_pages)
		return -HV_EBUSY;
	ptrs = pages_alloc(ptr_pages);
	if (!ptrs)
		return -HV_ENOMEM;
	rc = pin_range(vm, gfn_x(first), pages, ptrs);
	if (rc) {
		pages_free(ptrs, ptr_pages);
		return rc;
	}
	mm_vm_set_table_pages(&vm->mm, ptrs, nr);
	vm->table_pages = ptrs;
	vm->table_ptr_pages = ptr_pages;
	vm->table_gpa = gpa_x(gpa);
	vm->table_nr = nr;
	return 0;
}

int64_t hint_register_ve_area(struct vcpu *v, gpa_t gpa)
{
	hfn_t hfn;

	int rc;

	if (v->ve_registered)
		return -HV_EBUSY;
	rc = gfn_get(v->vm, gpa_to_gfn(gpa), true, true, &hfn);
	if (rc)
		return pin_error(rc);
	v->ve_area = gpa_x(gpa);
	v->ve_registered = true;
	return 0;
}

int64_t hint_write_guest_all(struct vm *vm, uint64_t gpa, const void *src, size_t n)
{
	uint64_t first = gpa >> PAGE_SHIFT, pages = ((gpa + n + PAGE_SIZE - 1) >> PAGE_SHIFT) - first;
	int64_t rc = pin_range(vm, first, pages, NULL);

	if (rc)
		return rc;
	rc = hint_copy_to_guest(vm, gpa, src, n) ? -HV_EFAULT : 0; /* pinned: cannot fail */
	unpin_range(vm, first, pages);
	return rc;
}

void hint_get_stats(struct vm *vm, struct hv_vm_stats *st)
{
	if (!vm->mm_storage) {
		*st = vm->final_stats;
		return;
	}
	mm_vm_stats(&vm->mm, st);
	for (unsigned int i = 0; i < ARRAY_SIZE(vm->hypercalls); i++)
		st->hypercalls += vm->hypercalls[i];
	for (unsigned int i = 0; i < ARRAY_SIZE(vm->exits); i++)
		st->exits += vm->exits[i];
}
