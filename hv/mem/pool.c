/* SPDX-License-Identifier: MIT */
/*
 * The memory module (see pool.h): mm/ on top of the nested page tables (EPT
 * or NPT, struct gpt). Hypervisor context, any host CPU under vm_lock, which
 * is the "mm lock" of mm/: nothing here is re-entered, and a CPU that runs
 * a vCPU of a VM whose frames are unmapped here is waited for
 * (vm_flush_gpt(), docs/smp.md).
 */
#include <asm/virt.h>
#include <errcode.h>
#include <base/console.h>
#include <base/mem.h>
#include <hv/mem/pool.h>
#include <hv/vm/vm.h>
#include <string.h>

#define RESERVE_FRAMES 4096 /* 16 MiB kept for nested tables, VMCSs/VMCBs, tables */

struct mm hv_mm;
static uint64_t slot_retries; /* accesses tried again while slot reclaim went on */
static struct swap_mem hv_swap;
static char stats_buf[4096];

/* ---- arch hooks for mm/ (ctx = struct vm) ---- */

static void charge_tables(struct vm *vm)
{
	vm->mm.table_frames = vm->arch.gpt.nr_tables + 1; /* + the root */
	vm->gpt_peak = MAX(vm->gpt_peak, vm->mm.table_frames);
}

static bool op_young(void *ctx, gfn_t gfn)
{
	return gpt_test_and_clear(&((struct vm *)ctx)->arch.gpt, gfn, GPT_ACCESSED);
}

static bool op_dirty(void *ctx, gfn_t gfn)
{
	return gpt_test_and_clear(&((struct vm *)ctx)->arch.gpt, gfn, GPT_DIRTY);
}

/*
 * mm/ maps a resident page again when a fault finds it resident (another
 * vCPU's fault or a failed page-out got there first): a leaf already
 * pointing at that frame stays as it is, with its A/D bits.
 */
static int op_map(void *ctx, gfn_t gfn, hfn_t hfn)
{
	struct gpt *g = &((struct vm *)ctx)->arch.gpt;

	int rc;

	if (hfn_x(gpt_lookup(g, gfn)) == hfn_x(hfn))
		return 0;
	rc = gpt_map(g, gfn, hfn);
	charge_tables(ctx);
	return rc;
}

static void op_unmap(void *ctx, gfn_t gfn)
{
	gpt_unmap(&((struct vm *)ctx)->arch.gpt, gfn);
}

static void op_flush(void *ctx)
{
	vm_flush_gpt(ctx);
}

/*
 * The page is gone from the pool for good: forget its leaf and free the
 * tables that held nothing else, after the flush that takes them out of the
 * CPU's paging-structure caches (one flush per emptied table, which needs
 * 512 released pages in a dense region).
 */
static void op_release(void *ctx, gfn_t gfn)
{
	struct vm *vm = ctx;

	if (gpt_release(&vm->arch.gpt, gfn)) {
		vm_flush_gpt(vm);
		gpt_reap(&vm->arch.gpt);
		charge_tables(vm);
	}
}

static const struct mm_arch_ops gpt_ops = {
	.test_clear_young = op_young,
	.test_clear_dirty = op_dirty,
	.map = op_map,
	.unmap = op_unmap,
	.flush = op_flush,
	.release = op_release,
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
		con_shutdown(1);
	}
	return p;
}

void pool_init(const struct hv_config *cfg)
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
		con_shutdown(1);
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
	uint32_t low = (uint32_t)MAX(pool / 64, 8ULL), high = (uint32_t)MAX(pool / 32, 16ULL);
	mm_pool_set_watermarks(&hv_mm, low, high);

	bytes = swap_mem_bytes_needed((uint32_t)slots, true);
	if (swap_mem_init(&hv_swap, alloc_bytes(bytes, "the paging device"), bytes, (uint32_t)slots,
			  true))
		panic("swap_mem_init failed");
	mm_swap_attach(&hv_mm, &hv_swap.dev);
	printk("hintvisor: frame pool %lu MiB for %lu MiB of guest RAM (watermarks %u/%u frames), "
	       "paging device %lu MiB\n", pool >> 8, guest_frames >> 8, low, high, slots >> 8);
}

/* ---- nested page tables: host frames outside the pool, charged to their VM ---- */

static void *table_alloc(void *ctx)
{
	struct vm *vm = ctx;
	void *p;

	if (vm->arch.gpt.nr_tables + 1 >= vm->gpt_limit && vm->arch.gpt.root) {
		vm->gpt_short = GPT_OVER_LIMIT;
		return NULL;
	}
	p = page_alloc();
	if (!p)
		vm->gpt_short = GPT_NO_HOST_FRAME;
	return p;
}

static void table_free(void *p)
{
	pages_free(p, 1);
}

/* Tables that 4-level nested paging with 4 KiB leaves needs at most for
 * gfns [0, nr): each level over the one below, and the root. */
static uint64_t tables_needed(uint64_t nr)
{
	uint64_t n = 1;

	for (int l = PT_LEVEL_4K; l < PT_LEVELS; l++) {
		nr = (nr + PT_ENTRIES - 1) / PT_ENTRIES;
		n += nr;
	}
	return n;
}

int pool_gpt_init(struct vm *vm)
{
	vm->gpt_limit = tables_needed(vm->nr_frames);
	vm->gpt_short = GPT_OK;
	return virt->gpt_init(&vm->arch.gpt, table_alloc, table_free, vm);
}

void pool_print_tables(struct vm *const *list, unsigned int n)
{
	printk("nested page tables (frames in use/peak/limit):");
	for (unsigned int i = 0; i < n; i++)
		printk(" %s %lu/%lu/%lu", list[i]->name, list[i]->mm.table_frames, list[i]->gpt_peak,
		       list[i]->gpt_limit);
	printk("; host frames free: %lu\n", host_frames.nr_free);
}

int pool_vm_init(struct vm *vm)
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
	charge_tables(vm);
	return 0;
}

void pool_vm_destroy(struct vm *vm)
{
	if (!vm->mm_storage)
		return;
	mm_vm_destroy(&vm->mm);
	pages_free(vm->mm_storage, vm->mm_storage_pages);
	vm->mm_storage = NULL;
}

static bool (*release_victim)(struct vm *vm);

void pool_on_oom_victim(bool (*release)(struct vm *vm))
{
	release_victim = release;
}

/*
 * Host out of memory (docs/mm.md): a frame for vm at gpa could not be had,
 * even after reclaim took back the slots of hinted pages. What ran out is
 * either the pool (with the paging device full) or, for a nested page table,
 * the host frames outside the pool; the VM holding the most of it is stopped
 * (mm_oom_victim()): the largest footprint (resident + paged-out + table
 * frames), or the most table frames. A VM whose tables hit its own limit
 * (more than its RAM can need) is stopped itself. Another VM is destroyed at
 * once, its frames, slots and tables freed, and the caller retries (true).
 * If vm itself is the victim it is only stopped: the scheduler destroys it
 * when this exit is over, and the caller fails.
 */
enum oom_outcome { OOM_FAILED, OOM_FREED, OOM_LATER };

static enum oom_outcome host_oom(struct vm *vm, uint64_t gpa, const char *who)
{
	enum mm_oom_cause cause = vm->gpt_short == GPT_NO_HOST_FRAME ? MM_OOM_HOST_FRAMES : MM_OOM_POOL;
	bool over = vm->gpt_short == GPT_OVER_LIMIT;
	struct mm_vm *mv;
	uint64_t res = 0, out = 0;
	struct vm *victim;

	vm->gpt_short = GPT_OK;
	if (over) {
		vm_crash(vm, "nested page tables over the VM's limit of %lu frames at gpa %#lx",
			 vm->gpt_limit, gpa);
		return OOM_FAILED;
	}
	mv = mm_oom_victim(&hv_mm, cause);
	if (!mv)
		return OOM_FAILED;
	victim = mv->ctx;
	for (unsigned int s = 0; s < 4; s++) {
		res += mv->pages[s][MM_HS_RESIDENT];
		out += mv->pages[s][MM_HS_PRESERVED];
	}
	if (cause == MM_OOM_HOST_FRAMES) {
		printk("hintvisor: host out of memory: %s of VM %s at gpa %#lx needs a nested page "
		       "table and no host frame is free\n", who, vm->name, gpa);
		vm_crash(victim, "out of host memory: most nested page table frames (%lu)",
			 mv->table_frames);
	} else {
		printk("hintvisor: host out of memory: %s of VM %s at gpa %#lx; pool of %u frames and "
		       "paging device of %u slots full\n", who, vm->name, gpa, hv_mm.nr, hv_swap.nslots);
		vm_crash(victim, "out of host memory: largest footprint (%lu resident + %lu paged-out + "
			 "%lu table frames)", res, out, mv->table_frames);
	}
	if (victim == vm || !release_victim)
		return OOM_FAILED;
	return release_victim(victim) ? OOM_FREED : OOM_LATER;
}

/*
 * Out of host memory, but slot reclaim may yet free a slot (mm/oom.c): the
 * access is to be tried again, and the allocation of that try walks the next
 * part. A guest access or a hypercall does that in its next exit, so that no
 * exit walks more than a part; the hypervisor's other accesses (devices,
 * MMIO emulation, loaders) cannot be repeated later and go on at once.
 */
static bool slots_pending(void)
{
	if (!mm_slot_scan_pending(&hv_mm))
		return false;
	slot_retries++;
	return true;
}

int pool_gfn_get(struct vm *vm, gfn_t gfn, bool write, unsigned int flags, hfn_t *hfn)
{
	int rc;

	if (vm->state == VM_STOPPED)
		return -EINVAL; /* stopped for host memory, say: allocate nothing more */
	for (;;) {
		vm->gpt_short = GPT_OK; /* set again if this try runs out of table frames */
		rc = flags & POOL_PIN ? mm_gfn_pin(&vm->mm, gfn, hfn)
				      : mm_gfn_get(&vm->mm, gfn, write, hfn);
		if (rc != -ENOMEM)
			return rc;
		if (slots_pending()) {
			if (flags & POOL_RESTART)
				return -ERESTART;
			continue;
		}
		switch (host_oom(vm, gpa_x(gfn_to_gpa(gfn)), "a hypervisor access")) {
		case OOM_FREED:
			continue;
		case OOM_LATER:
			if (flags & POOL_RESTART)
				return -ERESTART;
			return rc;
		case OOM_FAILED:
			return rc;
		}
	}
}

int pool_fault(struct vcpu *v, gpa_t gpa, uint32_t access)
{
	struct vm *vm = v->vm;
	gfn_t gfn = gpa_to_gfn(gpa);

	/* Tables without A/D flags: a write to a write-protected page marks it dirty. */
	if ((access & 2) && gpt_write_fault(&vm->arch.gpt, gfn)) {
		vm_flush_gpt(vm);
		return 0;
	}
	vm->gpt_short = GPT_OK; /* set again if this try runs out of table frames */
	switch (mm_fault(&vm->mm, gfn, access & 2)) {
	case MM_FAULT_MAPPED:
		return 0;
	case MM_FAULT_DISCARD:
		return -EDISCARDED;
	case MM_FAULT_NOMEM:
		/* Slot reclaim goes on in the next exit, or another VM was stopped:
		 * the guest retries its access when it resumes. */
		if (slots_pending())
			return 0;
		if (host_oom(vm, gpa_x(gpa), "a guest access") == OOM_FAILED)
			vm_crash(vm, "no host memory for gpa %#lx", gpa_x(gpa));
		return 0;
	case MM_FAULT_IOERR:
		vm_crash(vm, "paging device read error for gpa %#lx", gpa_x(gpa));
		return 0;
	case MM_FAULT_RANGE:
	default:
		vm_crash(vm, "fault outside the frame table at gpa %#lx", gpa_x(gpa));
		return 0;
	}
}

void pool_balance(void)
{
	mm_balance(&hv_mm);
}

void pool_slot_reclaim_stats(uint64_t *parts, uint64_t *retries)
{
	*parts = hv_mm.cnt.slot_scans;
	*retries = slot_retries;
}

void pool_print_pages(const uint64_t pages[4][3])
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
