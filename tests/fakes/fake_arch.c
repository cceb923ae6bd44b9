/* SPDX-License-Identifier: MIT */
/*
 * Fake EPT, TLB and host memory behind struct mm_arch_ops / mm_host_ops, and
 * a world builder, shared by the unit tests, tools/hvsim and tools/bench.
 * Host code (malloc); never linked into the hypervisor.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fake_arch.h"

/* Stamp check word at the end of a page: catches torn or misplaced copies. */
#define FAKE_TAIL_XOR 0x5a5a5a5a5a5a5a5aULL

/*
 * Large tables come from mmap with transparent huge pages: first touch of
 * 4 KiB pages dominates the 1 TiB benchmark otherwise. Zeroed memory.
 */
static void *big_alloc(size_t n)
{
	void *p;

	if (n < (2u << 20))
		return calloc(1, n);
	p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	(void)madvise(p, n, MADV_HUGEPAGE);
	return p;
}

static void big_free(void *p, size_t n)
{
	if (p == NULL)
		return;
	if (n < (2u << 20))
		free(p);
	else
		munmap(p, n);
}

static void log_op(struct fake_vm *fv, enum fake_op op, uint64_t gfn)
{
	fv->ops[op]++;
	fv->log[fv->log_n++ % FAKE_LOG_SIZE] = ((uint64_t)op << 56) | gfn;
}

static bool f_young(void *ctx, gfn_t gfn)
{
	struct fake_vm *fv = ctx;
	uint32_t *p = &fv->pte[gfn_x(gfn)];
	bool r = (*p & FAKE_PTE_A) != 0;

	log_op(fv, FAKE_OP_YOUNG, gfn_x(gfn));
	*p &= ~FAKE_PTE_A;
	return r;
}

static bool f_dirty(void *ctx, gfn_t gfn)
{
	struct fake_vm *fv = ctx;
	uint32_t *p = &fv->pte[gfn_x(gfn)];
	bool r = (*p & FAKE_PTE_D) != 0;

	log_op(fv, FAKE_OP_DIRTY, gfn_x(gfn));
	*p &= ~FAKE_PTE_D;
	return r;
}

static int f_map(void *ctx, gfn_t gfn, hfn_t hfn)
{
	struct fake_vm *fv = ctx;
	uint32_t *p = &fv->pte[gfn_x(gfn)];

	log_op(fv, FAKE_OP_MAP, gfn_x(gfn));
	if (fv->map_fail > 0) {
		fv->map_fail--;
		return -ENOMEM;
	}
	if (hfn_x(hfn) > FAKE_PTE_HFN_MASK)
		return -EINVAL;
	/* Same frame again keeps A/D, as a real EPT entry rewrite should. */
	if ((*p & FAKE_PTE_P) && (*p & FAKE_PTE_HFN_MASK) == hfn_x(hfn))
		return 0;
	*p = (uint32_t)hfn_x(hfn) | FAKE_PTE_P;
	return 0;
}

static void f_unmap(void *ctx, gfn_t gfn)
{
	struct fake_vm *fv = ctx;

	log_op(fv, FAKE_OP_UNMAP, gfn_x(gfn));
	fv->pte[gfn_x(gfn)] &= ~FAKE_PTE_P; /* hfn, A and D stay for test_clear_*() */
	if (fv->on_unmap != NULL)
		fv->on_unmap(fv, gfn_x(gfn), fv->hook_arg);
}

/* The content is gone for good: the entry is forgotten. Releasing a mapped
 * gfn would be an mm/ bug that loses a live mapping's D bit: abort. */
static void f_release(void *ctx, gfn_t gfn)
{
	struct fake_vm *fv = ctx;

	if (fv->pte[gfn_x(gfn)] & FAKE_PTE_P)
		abort();
	fv->pte[gfn_x(gfn)] = 0;
}

static void f_flush(void *ctx)
{
	struct fake_vm *fv = ctx;

	log_op(fv, FAKE_OP_FLUSH, 0);
	memset(fv->tlb, 0, sizeof(fv->tlb));
}

const struct mm_arch_ops fake_arch_ops = {
	.test_clear_young = f_young,
	.test_clear_dirty = f_dirty,
	.map = f_map,
	.unmap = f_unmap,
	.flush = f_flush,
	.release = f_release,
};

static void *f_frame_ptr(void *ctx, hfn_t hfn)
{
	struct fake_world *w = ctx;

	if (w->mem == NULL)
		return w->scratch;
	return w->mem + (hfn_x(hfn) - w->hfn_base) * PAGE_SIZE;
}

const struct mm_host_ops fake_host_ops = { .frame_ptr = f_frame_ptr };

bool fake_mapped(const struct fake_vm *fv, uint64_t gfn)
{
	return (fv->pte[gfn] & FAKE_PTE_P) != 0;
}

int fake_log_find(const struct fake_vm *fv, enum fake_op op, uint64_t gfn)
{
	unsigned int i, n = fv->log_n < FAKE_LOG_SIZE ? fv->log_n : FAKE_LOG_SIZE;
	uint64_t want = ((uint64_t)op << 56) | (op == FAKE_OP_FLUSH ? 0 : gfn);

	for (i = n; i-- > 0;)
		if (fv->log[(fv->log_n - n + i) % FAKE_LOG_SIZE] == want)
			return (int)i;
	return -1;
}

static void touch(struct fake_world *w, uint32_t hfn, bool write, uint64_t *val)
{
	uint64_t *p = f_frame_ptr(w, _hfn(hfn));

	if (w->mem == NULL)
		return;
	if (write) {
		p[0] = *val;
		p[PAGE_SIZE / 8 - 1] = *val ^ FAKE_TAIL_XOR;
	} else {
		/* A torn page reads as a value no test ever writes. */
		*val = p[PAGE_SIZE / 8 - 1] == (p[0] ^ FAKE_TAIL_XOR) || (p[0] == 0 && p[PAGE_SIZE / 8 - 1] == 0)
			       ? p[0]
			       : ~0ULL;
	}
}

enum fake_result fake_access(struct fake_vm *fv, uint64_t gfn, bool write, uint64_t *val)
{
	struct fake_world *w = fv->vm.mm->hctx;
	struct fake_tlb *t = &fv->tlb[gfn % FAKE_TLB_SIZE];
	uint32_t *p;
	int tries;

	if (gfn >= fv->nr)
		return FAKE_RANGE;
	for (tries = 0; tries < 4; tries++) {
		if (t->valid && t->gfn == gfn) {
			/* TLB hit: no walk; a first write still sets D in memory. */
			if (write && !t->dirty) {
				fv->pte[gfn] |= FAKE_PTE_D;
				t->dirty = true;
			}
			touch(w, t->hfn, write, val);
			return FAKE_OK;
		}
		p = &fv->pte[gfn];
		if (*p & FAKE_PTE_P) {
			*p |= FAKE_PTE_A | (write ? FAKE_PTE_D : 0);
			*t = (struct fake_tlb){ gfn, *p & FAKE_PTE_HFN_MASK, true, write };
			touch(w, t->hfn, write, val);
			return FAKE_OK;
		}
		switch (mm_fault(&fv->vm, _gfn(gfn), write)) {
		case MM_FAULT_MAPPED:
			break;
		case MM_FAULT_DISCARD:
			return FAKE_DISCARD;
		case MM_FAULT_RANGE:
			return FAKE_RANGE;
		case MM_FAULT_IOERR:
			return FAKE_IOERR;
		default:
			return FAKE_NOMEM;
		}
	}
	return FAKE_NOMEM;
}

int fake_world_init(struct fake_world *w, const struct fake_world_cfg *cfg)
{
	size_t sz;
	uint32_t i;

	memset(w, 0, sizeof(*w));
	w->hfn_base = 0x100; /* hfns need not start at 0 */
	w->host_frames = cfg->host_frames;
	w->nvms = cfg->nvms;
	w->pool_buf = big_alloc(mm_pool_bytes_needed(cfg->host_frames));
	w->scratch = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
	w->vms = calloc(cfg->nvms, sizeof(*w->vms));
	if (cfg->store)
		w->mem = big_alloc((size_t)cfg->host_frames * PAGE_SIZE);
	if (w->pool_buf == NULL || w->scratch == NULL || w->vms == NULL || (cfg->store && w->mem == NULL))
		return -1;
	if (mm_init(&w->mm, w->pool_buf, mm_pool_bytes_needed(cfg->host_frames), cfg->host_frames,
		    &fake_host_ops, w) != 0)
		return -1;
	for (i = 0; i < cfg->host_frames; i++)
		if (mm_pool_add_frame(&w->mm, _hfn(w->hfn_base + i)) != 0)
			return -1;
	mm_pool_set_watermarks(&w->mm, cfg->wmark_low, cfg->wmark_high);
	if (cfg->swap_slots > 0) {
		sz = swap_mem_bytes_needed(cfg->swap_slots, cfg->store);
		w->swap_buf = big_alloc(sz);
		w->swap_bytes = sz;
		if (w->swap_buf == NULL || swap_mem_init(&w->swap, w->swap_buf, sz, cfg->swap_slots, cfg->store))
			return -1;
		mm_swap_attach(&w->mm, &w->swap.dev);
	}
	for (i = 0; i < cfg->nvms; i++) {
		struct fake_vm *fv = &w->vms[i];

		fv->nr = cfg->gfns;
		fv->pte = big_alloc(cfg->gfns * sizeof(*fv->pte));
		fv->ft_buf = big_alloc(mm_vm_bytes_needed(cfg->gfns));
		if (fv->pte == NULL || fv->ft_buf == NULL)
			return -1;
		if (mm_vm_init(&w->mm, &fv->vm, fv->ft_buf, mm_vm_bytes_needed(cfg->gfns), cfg->gfns,
			       &fake_arch_ops, fv) != 0)
			return -1;
	}
	return 0;
}

void fake_world_fini(struct fake_world *w)
{
	unsigned int i;

	for (i = 0; w->vms != NULL && i < w->nvms; i++) {
		if (w->vms[i].vm.mm != NULL)
			mm_vm_destroy(&w->vms[i].vm);
		big_free(w->vms[i].pte, w->vms[i].nr * sizeof(*w->vms[i].pte));
		big_free(w->vms[i].ft_buf, mm_vm_bytes_needed(w->vms[i].nr));
	}
	free(w->vms);
	big_free(w->pool_buf, mm_pool_bytes_needed(w->host_frames));
	big_free(w->swap_buf, w->swap_bytes);
	big_free(w->mem, (size_t)w->host_frames * PAGE_SIZE);
	free(w->scratch);
	memset(w, 0, sizeof(*w));
}
