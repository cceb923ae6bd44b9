/* SPDX-License-Identifier: MIT */
/*
 * A minimal driver for Hintvisor's legacy virtio-blk (PCI 00:01.0, I/O BAR
 * 0, one queue of VBLK_QSIZE entries), for test guests that build their own
 * (also hostile) descriptor chains. Polling only: no interrupts.
 */
#ifndef VBLK_H
#define VBLK_H

#include <stdint.h>

#include "hvtest.h"

#define VBLK_QSIZE 128
/* Registers in BAR 0 (legacy virtio PCI). */
#define VIO_QUEUE_PFN 0x08
#define VIO_QUEUE_SIZE 0x0c
#define VIO_QUEUE_SEL 0x0e
#define VIO_QUEUE_NOTIFY 0x10
#define VIO_STATUS 0x12
#define VIO_CONFIG 0x14
#define VBLK_T_IN 0
#define VBLK_T_OUT 1
#define VBLK_T_FLUSH 4
#define VBLK_S_OK 0
#define VBLK_S_IOERR 1
#define VBLK_S_UNSUPP 2
#define VBLK_F_NEXT 1
#define VBLK_F_WRITE 2

/* Legacy split ring, 4 KiB alignment: descriptors and avail ring in page 0,
 * used ring at the start of page 1. */
#define VBLK_AVAIL_OFF (VBLK_QSIZE * 16)
#define VBLK_USED_OFF 4096

struct vblk_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

struct vblk_hdr {
	uint32_t type, reserved;
	uint64_t sector;
};

struct vblk {
	uint16_t io;                    /* BAR 0 */
	uint64_t ring;                  /* gpa of the ring (2 pages) */
	volatile struct vblk_desc *desc;
	volatile uint16_t *avail;       /* flags, idx, ring[] */
	volatile uint16_t *used;        /* flags, idx, then 8-byte elements */
	uint16_t avail_idx;             /* next avail slot the driver fills */
	uint64_t capacity;              /* sectors */
};

/* Find the device and set up its queue in two fresh frames. Ends the test
 * with ERROR if there is no virtio-blk device. */
void vblk_init(struct vblk *b);
/* Descriptor i := (addr, len, flags, next). */
void vblk_set_desc(struct vblk *b, unsigned int i, uint64_t addr, uint32_t len, uint16_t flags,
		   uint16_t next);
/* Put head in the next avail slot and publish it (no notify). */
void vblk_push(struct vblk *b, uint16_t head);
void vblk_notify(struct vblk *b);
uint16_t vblk_used_idx(const struct vblk *b);
/*
 * A three-descriptor request at descriptors first..first+2: header hdr, one
 * data buffer (device-writable for VBLK_T_IN), status byte. Pushed, not
 * notified. Returns the head.
 */
uint16_t vblk_request(struct vblk *b, unsigned int first, struct vblk_hdr *hdr, uint32_t type,
		      uint64_t sector, uint64_t buf, uint32_t len, volatile uint8_t *status);
/* vblk_request(), notify, and wait until the device has used it (kicking it
 * again while it has not). Returns the status byte. */
uint8_t vblk_rw(struct vblk *b, uint32_t type, uint64_t sector, void *buf, uint32_t len);

#endif /* VBLK_H */
