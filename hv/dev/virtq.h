/* SPDX-License-Identifier: MIT */
/*
 * The device side of a legacy virtio split virtqueue (virtio 1.0 §2.4 with
 * the legacy layout of §2.4.2: descriptors, avail ring, used ring at the
 * next 4 KiB boundary, placed by a page frame number), as virtio-blk and
 * virtio-balloon use it. The ring pages are pinned while the queue is set up
 * and never on the state table, so the device reads and writes them with
 * plain loads and stores. Everything the guest writes there is read once
 * and checked; a malformed ring is the caller's to punish. Hypervisor
 * context, BSP.
 */
#ifndef HV_DEV_VIRTQ_H
#define HV_DEV_VIRTQ_H

#include <types.h>

#define VIRTQ_SIZE 128
#define VIRTQ_RING_PAGES 2 /* descriptors and avail ring; used ring (4 KiB aligned) */
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

struct virtq {
	uint32_t pfn;        /* of the ring; 0: not set up */
	uint16_t last_avail; /* next avail ring index to take */
	bool pinned;         /* ring pages pinned in the frame pool */
};

struct vm;

/*
 * Place the queue at page frame pfn (0: take it down); the old ring is
 * unpinned and the avail index starts again at 0. 0, -EACCES (the ring
 * would lie on the state table) or -EINVAL (not guest RAM, or cannot be
 * pinned); on error the queue is down.
 */
int virtq_set(struct vm *vm, struct virtq *q, uint32_t pfn);
/* Take the queue down (unpin its ring): before the VM's memory goes. */
static inline void virtq_release(struct vm *vm, struct virtq *q)
{
	(void)virtq_set(vm, q, 0);
}
/* Does [gpa, gpa + len) overlap the queue's ring? */
static inline bool virtq_overlaps(const struct virtq *q, uint64_t gpa, uint64_t len)
{
	uint64_t ring = (uint64_t)q->pfn << PAGE_SHIFT;

	return q->pinned && len && gpa < ring + VIRTQ_RING_PAGES * PAGE_SIZE && ring < gpa + len;
}
/*
 * Take the next available chain: 1 with its head index in *head (not yet
 * checked), 0 if the driver has published none, -1 if the ring cannot be
 * read (the queue is not set up).
 */
int virtq_pop(struct vm *vm, struct virtq *q, uint16_t *head);
/* Put the chain virtq_pop() just took back: the next pop takes it again
 * (a request served again from its start once host memory is back). */
static inline void virtq_unpop(struct virtq *q)
{
	q->last_avail--;
}
/* Has the driver published chains not taken yet? */
bool virtq_pending(struct vm *vm, struct virtq *q);
/*
 * Read the chain at head into d (each descriptor read once): the number of
 * descriptors, or -1 if it is malformed (an index beyond the ring, a loop,
 * more than max descriptors).
 */
int virtq_chain(struct vm *vm, struct virtq *q, uint16_t head, struct virtq_desc *d,
		unsigned int max);
/* Give the chain at head back in the used ring with len bytes written.
 * 0, or -1 if the ring cannot be written. */
int virtq_push(struct vm *vm, struct virtq *q, uint16_t head, uint32_t len);

#endif /* HV_DEV_VIRTQ_H */
