/* SPDX-License-Identifier: MIT */
/*
 * A virtio block device, legacy PCI transport (virtio 0.9.5 / virtio 1.0
 * §4.1.4.8 "legacy interfaces"): one I/O BAR, no MSI-X, INTx on an 8259
 * line shared by the PCI devices (pci.h). Chosen over virtio-mmio because port I/O exits carry the port,
 * size and value decoded, so no instruction decoder is needed. Backed by a
 * disk image in host memory (a boot module): writes persist for the run.
 */
#ifndef HV_DEV_VIRTIO_BLK_H
#define HV_DEV_VIRTIO_BLK_H

#include <hv/dev/pci.h>
#include <hv/dev/virtq.h>

#define VBLK_QUEUE_SIZE VIRTQ_SIZE

struct virtio_blk {
	struct pci_dev pci;
	uint8_t *disk;           /* host memory of the image */
	uint64_t sectors;        /* 512-byte sectors */
	uint32_t guest_features;
	struct virtq q;          /* the request queue */
	uint16_t queue_sel;
	uint8_t status, isr;
	bool kicked;             /* notified, and requests may be left to serve */
	uint64_t reads, writes, flushes, errors;
};

struct vm;

/* Attach a device over disk (len bytes) to the VM's PCI bus. 0 or -ENOSPC. */
int virtio_blk_init(struct vm *vm, struct virtio_blk *b, uint8_t *disk, uint64_t len);
/* Does [gpa, gpa + len) overlap the queue the guest set up (its pinned
 * ring)? The state table may not lie there: the device writes the used
 * ring with plain stores, the host changes table bytes only by CAS. */
static inline bool virtio_blk_ring_overlaps(const struct virtio_blk *b, uint64_t gpa,
					    uint64_t len)
{
	return virtq_overlaps(&b->q, gpa, len);
}
/* Release what the device holds in the frame pool (before the VM's mm goes). */
void virtio_blk_release(struct vm *vm, struct virtio_blk *b);
/*
 * Serve the queue after a notify, before the vCPU's next entry: at most a
 * fixed budget of requests and bytes per call, the rest on later calls.
 * Raises the interrupt when a request completed. May stop the VM.
 */
void virtio_blk_poll(struct vm *vm, struct virtio_blk *b);

#endif /* HV_DEV_VIRTIO_BLK_H */
