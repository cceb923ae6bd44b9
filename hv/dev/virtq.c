/* SPDX-License-Identifier: MIT */
/*
 * Legacy split virtqueues, the device side (see virtq.h). Ring layout for
 * VIRTQ_SIZE entries with the legacy 4 KiB alignment of the used ring.
 */
#include <errcode.h>
#include <hv/dev/virtq.h>
#include <hv/mem/gmem.h>
#include <hv/vm/vm.h>

#define VIRTQ_ALIGN 4096
#define DESC_OFF 0
#define AVAIL_OFF (VIRTQ_SIZE * 16)
#define USED_OFF ALIGN_UP(AVAIL_OFF + 4 + 2 * VIRTQ_SIZE + 2, VIRTQ_ALIGN)
#define RING_BYTES (USED_OFF + 4 + 8 * VIRTQ_SIZE + 2)
#define RING_PAGES (ALIGN_UP(RING_BYTES, PAGE_SIZE) / PAGE_SIZE)
_Static_assert(RING_PAGES == VIRTQ_RING_PAGES, "VIRTQ_RING_PAGES is the ring's size");
_Static_assert(sizeof(struct virtq_desc) == 16, "a descriptor is 16 bytes");

static uint64_t ring_gpa(const struct virtq *q)
{
	return (uint64_t)q->pfn << PAGE_SHIFT;
}

/* Host pointer into the (pinned) ring; off + len stays inside one page. */
static void *ring(struct vm *vm, const struct virtq *q, uint64_t off, size_t len)
{
	if (!q->pinned)
		return NULL;
	return gmem_ptr(vm, _gpa(ring_gpa(q) + off), len, true);
}

int virtq_set(struct vm *vm, struct virtq *q, uint32_t pfn)
{
	if (q->pinned)
		gmem_unpin(vm, ring_gpa(q), RING_PAGES * PAGE_SIZE);
	q->pinned = false;
	q->pfn = 0;
	q->last_avail = 0;
	if (!pfn)
		return 0;
	if (vm_on_table(vm, (uint64_t)pfn << PAGE_SHIFT, RING_PAGES * PAGE_SIZE))
		return -EACCES; /* used ring writes would be plain stores into the table */
	if (gmem_pin(vm, (uint64_t)pfn << PAGE_SHIFT, RING_PAGES * PAGE_SIZE))
		return -EINVAL;
	q->pfn = pfn;
	q->pinned = true;
	return 0;
}

bool virtq_pending(struct vm *vm, struct virtq *q)
{
	volatile uint16_t *avail_idx = ring(vm, q, AVAIL_OFF + 2, 2);

	return avail_idx && *avail_idx != q->last_avail;
}

int virtq_pop(struct vm *vm, struct virtq *q, uint16_t *head)
{
	volatile uint16_t *avail_idx = ring(vm, q, AVAIL_OFF + 2, 2), *slot;

	if (!avail_idx)
		return -1;
	if (*avail_idx == q->last_avail)
		return 0;
	__atomic_thread_fence(__ATOMIC_ACQUIRE); /* the slot after the index */
	slot = ring(vm, q, AVAIL_OFF + 4 + 2 * (q->last_avail % VIRTQ_SIZE), 2);
	if (!slot)
		return -1;
	*head = *slot;
	q->last_avail++;
	return 1;
}

int virtq_chain(struct vm *vm, struct virtq *q, uint16_t head, struct virtq_desc *d,
		unsigned int max)
{
	unsigned int n = 0;
	uint16_t idx = head;

	for (;;) {
		const struct virtq_desc *p;

		/* A chain longer than the ring has a loop. */
		if (idx >= VIRTQ_SIZE || n == max || n == VIRTQ_SIZE)
			return -1;
		p = ring(vm, q, DESC_OFF + idx * sizeof(*p), sizeof(*p));
		if (!p)
			return -1;
		d[n] = *p; /* read once */
		if (!(d[n++].flags & VIRTQ_DESC_F_NEXT))
			return (int)n;
		idx = d[n - 1].next;
	}
}

int virtq_push(struct vm *vm, struct virtq *q, uint16_t head, uint32_t len)
{
	volatile uint16_t *used_idx = ring(vm, q, USED_OFF + 2, 2);
	uint32_t *used;

	if (!used_idx)
		return -1;
	used = ring(vm, q, USED_OFF + 4 + 8 * (*used_idx % VIRTQ_SIZE), 8);
	if (!used)
		return -1;
	used[0] = head;
	used[1] = len;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	*used_idx = (uint16_t)(*used_idx + 1);
	return 0;
}
