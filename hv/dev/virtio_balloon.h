/* SPDX-License-Identifier: MIT */
/*
 * A virtio memory balloon (virtio 1.0 §5.5, with the free page reporting
 * queue of virtio 1.2 §5.5.6.7), legacy PCI transport like virtio-blk: one
 * I/O BAR, INTA# on the shared PCI line. Features: STATS_VQ (the guest's
 * memory statistics, shown in the stats block and the STATS lines) and
 * REPORTING (free page reporting: the ranges the guest reports are dropped
 * at once). Inflated pages are dropped too; deflated ones need nothing (the
 * next access gets a zero page). The target (num_pages) comes from the
 * config. Hypervisor context, BSP.
 */
#ifndef HV_DEV_VIRTIO_BALLOON_H
#define HV_DEV_VIRTIO_BALLOON_H

#include <hv/dev/pci.h>
#include <hv/dev/virtq.h>

#define BALLOON_QUEUES 4 /* inflate, deflate, then stats and reporting if negotiated */
#define BALLOON_CHAIN_MAX 32 /* descriptors per chain (Linux reports 32 ranges at most) */
#define BALLOON_NR_STATS 10 /* VIRTIO_BALLOON_S_* tags 0..9 */

/* A chain being worked through over several entries (inflate, deflate, reporting). */
struct balloon_job {
	bool busy;
	uint16_t head;
	uint8_t nd, i;           /* descriptors, the one in progress */
	uint32_t off;            /* bytes of d[i] done */
	struct virtq_desc d[BALLOON_CHAIN_MAX];
};

struct virtio_balloon {
	struct pci_dev pci;
	uint32_t guest_features;
	struct virtq q[BALLOON_QUEUES];  /* by queue index (roles: see the .c file) */
	struct balloon_job job[BALLOON_QUEUES];
	uint16_t queue_sel;
	uint8_t status, isr;
	uint32_t kicked;         /* queues notified, with chains perhaps left to serve */
	uint32_t target;         /* num_pages: 4 KiB pages the host asks the guest to give up */
	uint32_t actual;         /* pages the driver says the balloon holds */
	/* The stats buffer the device holds until it wants fresh numbers. */
	bool stats_held;
	uint16_t stats_head;
	uint64_t stats_period, stats_due; /* guest TSC ticks */
	uint64_t guest_stats[BALLOON_NR_STATS]; /* last values by tag (bytes or counts) */
	uint32_t guest_stats_seen;              /* tags the guest has sent */
	/* Counters, in 4 KiB pages unless named otherwise. */
	uint64_t inflated, deflated;  /* PFNs taken in */
	uint64_t reported;            /* pages in accepted free page reports */
	uint64_t dropped;             /* of inflated and reported pages: held a frame or slot */
	uint64_t reports;             /* reporting chains served */
	uint64_t stats_updates;       /* stats buffers read */
	uint64_t errors;              /* ranges or PFNs refused (outside RAM, state table, rings) */
};

struct vm;

/*
 * Attach a balloon to the VM's PCI bus with target_pages as num_pages;
 * stats_period: guest TSC ticks between requests for fresh statistics.
 * 0 or -ENOSPC.
 */
int virtio_balloon_init(struct vm *vm, struct virtio_balloon *b, uint32_t target_pages,
			uint64_t stats_period);
/* Does [gpa, gpa + len) overlap one of the queues the guest set up? */
static inline bool virtio_balloon_ring_overlaps(const struct virtio_balloon *b, uint64_t gpa,
						uint64_t len)
{
	for (unsigned int idx = 0; idx < BALLOON_QUEUES; idx++)
		if (virtq_overlaps(&b->q[idx], gpa, len))
			return true;
	return false;
}
/* Release what the device holds in the frame pool (before the VM's mm goes). */
void virtio_balloon_release(struct vm *vm, struct virtio_balloon *b);
/*
 * Serve the queues before the vCPU's next entry: at most a fixed budget of
 * pages and chains per call, the rest on later calls; at guest time now,
 * give the stats buffer back when fresh numbers are due. Raises the
 * interrupt when a chain completed. May stop the VM.
 */
void virtio_balloon_poll(struct vm *vm, struct virtio_balloon *b, uint64_t now);
/* Is work left from notifies (chains not yet served)? */
bool virtio_balloon_busy(const struct virtio_balloon *b);

#endif /* HV_DEV_VIRTIO_BALLOON_H */
