/* SPDX-License-Identifier: MIT */
/* Test-guest virtio-blk driver (see vblk.h). */
#include "vblk.h"
#include "hvtest.h"
#include <string.h>

#define PCI_ADDR 0xcf8
#define PCI_DATA 0xcfc

static uint32_t pci_read(unsigned int dev, unsigned int off)
{
	outl(PCI_ADDR, 0x80000000u | dev << 11 | (off & 0xfc));
	return inl(PCI_DATA);
}

static void pci_write(unsigned int dev, unsigned int off, uint32_t v)
{
	outl(PCI_ADDR, 0x80000000u | dev << 11 | (off & 0xfc));
	outl(PCI_DATA, v);
}

void vblk_init(struct vblk *b)
{
	uint64_t gfn;

	if (pci_read(1, 0) != 0x10011af4u)
		test_end(TEST_ERROR, "no virtio-blk device at 00:01.0");
	pci_write(1, 0x04, pci_read(1, 0x04) | 1); /* I/O decode on */
	b->io = (uint16_t)(pci_read(1, 0x10) & 0xfffc);
	outb((uint16_t)(b->io + VIO_STATUS), 0);
	outb((uint16_t)(b->io + VIO_STATUS), 1 | 2); /* ACKNOWLEDGE, DRIVER */
	outw((uint16_t)(b->io + VIO_QUEUE_SEL), 0);
	if ((inl((uint16_t)(b->io + VIO_QUEUE_SIZE)) & 0xffff) != VBLK_QSIZE)
		test_end(TEST_ERROR, "unexpected virtio queue size");
	gfn = alloc_frames(2);
	b->ring = gfn << PAGE_SHIFT;
	memset((void *)b->ring, 0, 2 * PAGE_SIZE);
	b->desc = (volatile struct vblk_desc *)b->ring;
	b->avail = (volatile uint16_t *)(b->ring + VBLK_AVAIL_OFF);
	b->used = (volatile uint16_t *)(b->ring + VBLK_USED_OFF);
	b->avail_idx = 0;
	b->capacity = inl((uint16_t)(b->io + VIO_CONFIG)) |
		      (uint64_t)inl((uint16_t)(b->io + VIO_CONFIG + 4)) << 32;
	outl((uint16_t)(b->io + VIO_QUEUE_PFN), (uint32_t)gfn);
	outb((uint16_t)(b->io + VIO_STATUS), 1 | 2 | 4); /* DRIVER_OK */
}

void vblk_set_desc(struct vblk *b, unsigned int i, uint64_t addr, uint32_t len, uint16_t flags,
		   uint16_t next)
{
	b->desc[i].addr = addr;
	b->desc[i].len = len;
	b->desc[i].flags = flags;
	b->desc[i].next = next;
}

void vblk_push(struct vblk *b, uint16_t head)
{
	b->avail[2 + b->avail_idx % VBLK_QSIZE] = head;
	b->avail_idx++;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	b->avail[1] = b->avail_idx;
}

void vblk_notify(struct vblk *b)
{
	outw((uint16_t)(b->io + VIO_QUEUE_NOTIFY), 0);
}

uint16_t vblk_used_idx(const struct vblk *b)
{
	return __atomic_load_n(&b->used[1], __ATOMIC_ACQUIRE);
}

uint16_t vblk_request(struct vblk *b, unsigned int first, struct vblk_hdr *hdr, uint32_t type,
		      uint64_t sector, uint64_t buf, uint32_t len, volatile uint8_t *status)
{
	hdr->type = type;
	hdr->reserved = 0;
	hdr->sector = sector;
	*status = 0xff;
	vblk_set_desc(b, first, (uint64_t)hdr, sizeof(*hdr), VBLK_F_NEXT, (uint16_t)(first + 1));
	vblk_set_desc(b, first + 1, buf, len,
		      (uint16_t)(VBLK_F_NEXT | (type == VBLK_T_IN ? VBLK_F_WRITE : 0)),
		      (uint16_t)(first + 2));
	vblk_set_desc(b, first + 2, (uint64_t)status, 1, VBLK_F_WRITE, 0);
	vblk_push(b, (uint16_t)first);
	return (uint16_t)first;
}

uint8_t vblk_rw(struct vblk *b, uint32_t type, uint64_t sector, void *buf, uint32_t len)
{
	static struct vblk_hdr hdr;
	static volatile uint8_t status;
	uint16_t want = (uint16_t)(vblk_used_idx(b) + 1);

	vblk_request(b, 0, &hdr, type, sector, (uint64_t)buf, len, &status);
	do
		vblk_notify(b);
	while (vblk_used_idx(b) != want);
	return status;
}
