/* SPDX-License-Identifier: MIT */
/*
 * Host frame pool shared by all VMs: frames handed over one at a time by the
 * hypervisor, a free list with low/high watermarks, allocation that runs
 * reclaim under pressure. Never allocates memory itself. Under the mm lock.
 */
#include <string.h>

#include "internal.h"

size_t mm_pool_bytes_needed(uint32_t max_frames)
{
	return (size_t)max_frames * sizeof(struct mm_frame);
}

int mm_init(struct mm *mm, void *buf, size_t len, uint32_t max_frames,
	    const struct mm_host_ops *hops, void *hctx)
{
	unsigned int l;

	if (max_frames == MM_NIL || len < mm_pool_bytes_needed(max_frames) || hops == NULL ||
	    hops->frame_ptr == NULL || ((uintptr_t)buf & 7))
		return -EINVAL;
	memset(mm, 0, sizeof(*mm));
	mm->frames = buf;
	mm->cap = max_frames;
	for (l = 0; l < ARRAY_SIZE(mm->lists); l++)
		mm->lists[l] = (struct mm_list){ MM_NIL, MM_NIL, 0 };
	mm->hops = hops;
	mm->hctx = hctx;
	mm->slot_chunk = MM_SLOT_CHUNK;
	return 0;
}

int mm_pool_add_frame(struct mm *mm, hfn_t hfn)
{
	struct mm_frame *f;

	if (mm->nr == mm->cap)
		return -ENOSPC;
	if (hfn_x(hfn) > FR_HFN_MASK)
		return -EINVAL;
	f = &mm->frames[mm->nr];
	f->word = hfn_x(hfn) | ((uint64_t)FR_UNSET << FR_LIST_SHIFT);
	f->owner = 0;
	f->prev = f->next = MM_NIL;
	lru_add(mm, FR_FREE, mm->nr, true);
	mm->nr++;
	return 0;
}

void mm_pool_set_watermarks(struct mm *mm, uint32_t low, uint32_t high)
{
	mm->wmark_low = low;
	mm->wmark_high = high < low ? low : high;
}

uint32_t mm_pool_free(const struct mm *mm)
{
	return (uint32_t)mm->lists[FR_FREE].len;
}

void mm_swap_attach(struct mm *mm, struct swap_dev *dev)
{
	mm->swap = dev;
}

/*
 * Take a free frame; reclaims first when at or below the low watermark, and
 * once more when that left none (its scan cleared the A bits that saved
 * pages the first time). After a futile reclaim (paging device full, nothing
 * freed) the frames below the watermark are handed out without a scan each,
 * until a slot is freed or none is left. Returns the pool index (frame on
 * no list), or MM_NIL: the caller is out of host memory.
 */
uint32_t mm_pool_get(struct mm *mm)
{
	uint32_t idx, nfree = mm_pool_free(mm);

	if (nfree <= mm->wmark_low && !mm->in_reclaim && (nfree == 0 || !reclaim_futile(mm))) {
		mm_reclaim(mm, mm->wmark_high > nfree ? mm->wmark_high - nfree : 1);
		if (mm_pool_free(mm) == 0)
			mm_reclaim(mm, 1);
	}
	idx = mm->lists[FR_FREE].head;
	if (idx == MM_NIL)
		return MM_NIL;
	lru_del(mm, idx);
	fr_set_list(&mm->frames[idx], FR_NONE);
	return idx;
}

/* Return frame idx (on no list) to the free list. */
void mm_pool_put(struct mm *mm, uint32_t idx)
{
	mm->frames[idx].owner = 0;
	lru_add(mm, FR_FREE, idx, true);
}

/* Host pointer to the 4 KiB of frame idx. */
void *mm_pool_ptr(struct mm *mm, uint32_t idx)
{
	return mm->hops->frame_ptr(mm->hctx, fr_hfn(&mm->frames[idx]));
}
