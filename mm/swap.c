/* SPDX-License-Identifier: MIT */
/*
 * Paging device: counted write/read/free of one 4 KiB slot through
 * struct swap_ops, and the default backend in host memory (slots carved out
 * of one caller buffer, a free-slot stack and an in-use bitmap). Any context.
 */
#include <string.h>

#include "mm.h"

int swap_write(struct swap_dev *dev, uint32_t *slot, const void *page)
{
	int r = dev->ops->write(dev->ctx, slot, page);

	if (r == 0)
		dev->writes++;
	else
		dev->write_errors++;
	return r;
}

int swap_read(struct swap_dev *dev, uint32_t slot, void *page)
{
	int r = dev->ops->read(dev->ctx, slot, page);

	if (r == 0)
		dev->reads++;
	else
		dev->read_errors++;
	return r;
}

void swap_free(struct swap_dev *dev, uint32_t slot)
{
	dev->ops->free(dev->ctx, slot);
	dev->frees++;
}

uint64_t swap_room(const struct swap_dev *dev)
{
	uint64_t used;

	if (dev->nslots == 0)
		return UINT64_MAX;
	used = dev->ops->used(dev->ctx);
	return used < dev->nslots ? dev->nslots - used : 0;
}

/* ---- host-memory backend ---- */

static bool sm_busy(const struct swap_mem *sm, uint32_t s)
{
	return (sm->inuse[s / 8] >> (s % 8)) & 1;
}

static void sm_mark(struct swap_mem *sm, uint32_t s, bool busy)
{
	if (busy)
		sm->inuse[s / 8] |= (uint8_t)(1u << (s % 8));
	else
		sm->inuse[s / 8] &= (uint8_t)~(1u << (s % 8));
}

static int sm_write(void *ctx, uint32_t *slot, const void *page)
{
	struct swap_mem *sm = ctx;
	uint32_t s;

	if (sm->nfree == 0)
		return -ENOSPC;
	s = sm->stack[--sm->nfree];
	sm_mark(sm, s, true);
	if (sm->data != NULL)
		memcpy(sm->data + (size_t)s * PAGE_SIZE, page, PAGE_SIZE);
	*slot = s;
	return 0;
}

static int sm_read(void *ctx, uint32_t slot, void *page)
{
	struct swap_mem *sm = ctx;

	if (slot >= sm->nslots || !sm_busy(sm, slot))
		return -EIO;
	if (sm->data != NULL)
		memcpy(page, sm->data + (size_t)slot * PAGE_SIZE, PAGE_SIZE);
	return 0;
}

static void sm_free(void *ctx, uint32_t slot)
{
	struct swap_mem *sm = ctx;

	if (slot >= sm->nslots || !sm_busy(sm, slot))
		return; /* double free: ignored, mm_check() sees the count mismatch */
	sm_mark(sm, slot, false);
	sm->stack[sm->nfree++] = slot;
}

static uint64_t sm_used(void *ctx)
{
	struct swap_mem *sm = ctx;

	return sm->nslots - sm->nfree;
}

static const struct swap_ops swap_mem_ops = {
	.write = sm_write,
	.read = sm_read,
	.free = sm_free,
	.used = sm_used,
};

size_t swap_mem_bytes_needed(uint32_t nslots, bool store)
{
	size_t n = (size_t)nslots * sizeof(uint32_t) + ALIGN_UP((size_t)nslots, 64) / 8;

	return ALIGN_UP(n, PAGE_SIZE) + (store ? (size_t)nslots * PAGE_SIZE : 0);
}

int swap_mem_init(struct swap_mem *sm, void *buf, size_t len, uint32_t nslots, bool store)
{
	size_t meta = ALIGN_UP((size_t)nslots * sizeof(uint32_t) + ALIGN_UP((size_t)nslots, 64) / 8,
			       PAGE_SIZE);
	uint8_t *b = buf;
	uint32_t i;

	if (len < swap_mem_bytes_needed(nslots, store) || ((uintptr_t)buf & 7))
		return -EINVAL;
	memset(sm, 0, sizeof(*sm));
	sm->stack = buf;
	sm->inuse = b + (size_t)nslots * sizeof(uint32_t);
	sm->data = store ? b + meta : NULL;
	sm->nslots = nslots;
	memset(sm->inuse, 0, ALIGN_UP((size_t)nslots, 64) / 8);
	/* Hand out low slots first: the stack top is slot 0. */
	for (i = 0; i < nslots; i++)
		sm->stack[i] = nslots - 1 - i;
	sm->nfree = nslots;
	sm->dev.ops = &swap_mem_ops;
	sm->dev.ctx = sm;
	sm->dev.nslots = nslots;
	return 0;
}
