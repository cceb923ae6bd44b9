/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk, legacy PCI (see virtio_blk.h). A queue-notify write only marks
 * the queue kicked; requests are served before the vCPU's next entries, at
 * most VBLK_BUDGET_REQS requests or VBLK_BUDGET_BYTES bytes per entry, so
 * that no ring content can keep the hypervisor in one exit. A request that
 * needs a frame while the host is out of memory and takes back paging-device
 * slots is served again from its start before a later entry. Everything the
 * guest controls (ring indices, descriptor addresses, lengths, chains) is
 * checked: a bad request gets VIRTIO_BLK_S_IOERR, a bad ring stops the VM.
 */
#include <errcode.h>
#include <hv/dev/virtio_blk.h>
#include <hv/mem/gmem.h>
#include <hv/vm/vm.h>
#include <string.h>

/* Legacy register offsets in BAR 0. */
#define VIO_HOST_FEATURES 0x00
#define VIO_GUEST_FEATURES 0x04
#define VIO_QUEUE_PFN 0x08
#define VIO_QUEUE_SIZE 0x0c
#define VIO_QUEUE_SEL 0x0e
#define VIO_QUEUE_NOTIFY 0x10
#define VIO_STATUS 0x12
#define VIO_ISR 0x13
#define VIO_CONFIG 0x14 /* virtio_blk_config: capacity (u64), size_max, seg_max, ... */

#define VIRTIO_BLK_F_SEG_MAX (1u << 2)
#define VIRTIO_BLK_F_BLK_SIZE (1u << 6)
#define VIRTIO_BLK_F_FLUSH (1u << 9)
#define VBLK_SEG_MAX 64
/* Work per VM entry: a request is never split, so one entry may exceed the
 * byte budget by one request (at most the disk size). */
#define VBLK_BUDGET_REQS 16
#define VBLK_BUDGET_BYTES (256u << 10)

#define SERVE_AGAIN (-2) /* serve(): host memory short for now, the request stays available */

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

/* Does [gpa, gpa + n) touch the ring pages? The device never writes guest
 * data there: a transfer into the ring would let the data rewrite the very
 * indices the device is following (avail->idx kept ahead for ever). */
static bool on_ring(const struct virtio_blk *b, uint64_t gpa, uint64_t n)
{
	return virtq_overlaps(&b->q, gpa, n);
}

/* Copy between guest memory and buf; device writes into the ring are refused.
 * A request is served again from its start after -ERESTART: every copy of it
 * may be done twice. */
static int guest_copy(struct vm *vm, struct virtio_blk *b, uint64_t gpa, void *buf, size_t n,
		      bool to_guest)
{
	if (!to_guest)
		return gmem_read_or_restart(vm, buf, gpa, n);
	if (on_ring(b, gpa, n))
		return -EFAULT;
	/* gmem refuses the state table: the guest CASes its bytes */
	return gmem_write_or_restart(vm, gpa, buf, n);
}

/* Data transfer of one segment between the disk and guest memory. */
static int transfer(struct vm *vm, struct virtio_blk *b, uint64_t *sector, const struct virtq_desc *d,
		    bool write)
{
	uint64_t off;
	int rc;

	/* In sectors first: sector * 512 wraps for sector >= 2^55. */
	if (d->len % 512 || *sector > b->sectors || d->len / 512 > b->sectors - *sector)
		return -EINVAL;
	off = *sector * 512;
	rc = guest_copy(vm, b, d->addr, b->disk + off, d->len, !write);
	if (rc)
		return rc == -ERESTART ? rc : -EFAULT;
	*sector += d->len / 512;
	return 0;
}

/* Serve the chain starting at head; *bytes grows by the data moved. Returns
 * bytes written to the guest, -1 if the chain itself is malformed (the VM
 * is then stopped), or SERVE_AGAIN (nothing is final yet: no status byte
 * written, no count taken). */
static int64_t serve(struct vm *vm, struct virtio_blk *b, uint16_t head, uint64_t *bytes)
{
	struct virtq_desc d[VBLK_SEG_MAX + 2];
	int n = virtq_chain(vm, &b->q, head, d, ARRAY_SIZE(d));
	struct {
		uint32_t type, reserved;
		uint64_t sector;
	} hdr;
	uint8_t status = VIRTIO_BLK_S_OK;
	uint64_t sector, written = 0;
	int rc;

	if (n < 2 || d[0].len < sizeof(hdr) || (d[0].flags & VIRTQ_DESC_F_WRITE) ||
	    !(d[n - 1].flags & VIRTQ_DESC_F_WRITE) || d[n - 1].len < 1)
		return -1;
	rc = guest_copy(vm, b, d[0].addr, &hdr, sizeof(hdr), false);
	if (rc)
		return rc == -ERESTART ? SERVE_AGAIN : -1;
	sector = hdr.sector;
	for (int i = 1; i + 1 < n && status == VIRTIO_BLK_S_OK; i++) {
		bool dev_writes = d[i].flags & VIRTQ_DESC_F_WRITE;

		rc = 0;
		switch (hdr.type) {
		case VIRTIO_BLK_T_IN:
			if (!dev_writes || (rc = transfer(vm, b, &sector, &d[i], false)))
				status = VIRTIO_BLK_S_IOERR;
			else
				written += d[i].len;
			*bytes += d[i].len;
			break;
		case VIRTIO_BLK_T_OUT:
			if (dev_writes || (rc = transfer(vm, b, &sector, &d[i], true)))
				status = VIRTIO_BLK_S_IOERR;
			else
				*bytes += d[i].len;
			break;
		case VIRTIO_BLK_T_GET_ID: {
			char id[20] = "hintvisor-disk";

			if (!dev_writes ||
			    (rc = guest_copy(vm, b, d[i].addr, id, MIN(d[i].len, sizeof(id)), true)))
				status = VIRTIO_BLK_S_IOERR;
			else
				written += MIN(d[i].len, sizeof(id));
			break;
		}
		default:
			status = VIRTIO_BLK_S_UNSUPP;
			break;
		}
		if (rc == -ERESTART)
			return SERVE_AGAIN;
	}
	/* A status byte that cannot be written (outside RAM, in the ring): a bad chain. */
	rc = guest_copy(vm, b, d[n - 1].addr, &status, 1, true);
	if (rc)
		return rc == -ERESTART ? SERVE_AGAIN : -1;
	switch (hdr.type) {
	case VIRTIO_BLK_T_IN: b->reads++; break;
	case VIRTIO_BLK_T_OUT: b->writes++; break;
	case VIRTIO_BLK_T_FLUSH: b->flushes++; break;
	default: break;
	}
	if (status != VIRTIO_BLK_S_OK)
		b->errors++;
	return (int64_t)written + 1;
}

/* Serve available requests within one entry's budget (see the file comment). */
void virtio_blk_poll(struct vm *vm, struct virtio_blk *b)
{
	unsigned int reqs = 0;
	uint64_t bytes = 0;
	uint16_t head;

	if (!b->kicked)
		return;
	while (reqs < VBLK_BUDGET_REQS && bytes < VBLK_BUDGET_BYTES) {
		int64_t len;
		int rc = virtq_pop(vm, &b->q, &head);

		if (rc <= 0)
			break; /* none left, or no queue */
		len = serve(vm, b, head, &bytes);
		if (len == SERVE_AGAIN) {
			virtq_unpop(&b->q);
			break; /* before a later entry, from its start; still kicked */
		}
		if (len < 0) {
			vm_crash(vm, "virtio-blk: malformed descriptor chain at head %u", head);
			return;
		}
		if (virtq_push(vm, &b->q, head, (uint32_t)len))
			return;
		reqs++;
	}
	/* What is left waits for the next entry; still kicked. */
	if (!virtq_pending(vm, &b->q))
		b->kicked = false;
	if (reqs) {
		b->isr |= 1;
		pci_set_intx(vm, &b->pci, true);
	}
}

static void bar_io(struct vm *vm, struct pci_dev *d, uint16_t off, unsigned int size, bool in,
		   uint32_t *val)
{
	struct virtio_blk *b = d->priv;
	int rc;

	if (in) {
		uint8_t cfg[24] = { 0 };

		*val = 0;
		switch (off) {
		case VIO_HOST_FEATURES:
			*val = VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_FLUSH;
			return;
		case VIO_GUEST_FEATURES:
			*val = b->guest_features;
			return;
		case VIO_QUEUE_PFN:
			*val = b->queue_sel == 0 ? b->q.pfn : 0;
			return;
		case VIO_QUEUE_SIZE:
			*val = b->queue_sel == 0 ? VIRTQ_SIZE : 0;
			return;
		case VIO_QUEUE_SEL:
			*val = b->queue_sel;
			return;
		case VIO_STATUS:
			*val = b->status;
			return;
		case VIO_ISR:
			*val = b->isr;
			b->isr = 0; /* read clears, and lowers INTx */
			pci_set_intx(vm, &b->pci, false);
			return;
		default:
			break;
		}
		if (off >= VIO_CONFIG && off + size <= VIO_CONFIG + sizeof(cfg)) {
			uint32_t seg_max = VBLK_SEG_MAX, blk_size = 512;

			memcpy(cfg, &b->sectors, 8);      /* capacity */
			memcpy(cfg + 12, &seg_max, 4);    /* size_max at 8 is 0: no limit */
			memcpy(cfg + 20, &blk_size, 4);   /* geometry at 16 is 0 */
			memcpy(val, cfg + (off - VIO_CONFIG), size);
		}
		return;
	}
	switch (off) {
	case VIO_GUEST_FEATURES:
		b->guest_features = *val;
		break;
	case VIO_QUEUE_PFN:
		if (b->queue_sel != 0)
			break;
		b->kicked = false;
		if ((rc = virtq_set(vm, &b->q, *val)))
			vm_crash(vm, "virtio-blk: queue at pfn %#x %s", *val,
				 rc == -EACCES ? "on the page state table" : "outside guest RAM");
		break;
	case VIO_QUEUE_SEL:
		b->queue_sel = (uint16_t)*val;
		break;
	case VIO_QUEUE_NOTIFY:
		if ((uint16_t)*val == 0)
			b->kicked = true; /* served by virtio_blk_poll() before the next entry */
		break;
	case VIO_STATUS:
		b->status = (uint8_t)*val;
		if (!b->status) { /* reset */
			virtq_release(vm, &b->q);
			b->kicked = false;
			b->guest_features = 0;
			b->isr = 0;
			pci_set_intx(vm, &b->pci, false);
		}
		break;
	default:
		break;
	}
}

int virtio_blk_init(struct vm *vm, struct virtio_blk *b, uint8_t *disk, uint64_t len)
{
	memset(b, 0, sizeof(*b));
	b->disk = disk;
	b->sectors = len / 512;
	/* Legacy virtio block: 1af4:1001, subsystem device 2, mass storage class. */
	pci_set_ids(&b->pci, 0x1af4, 0x1001, 0x01800000, 0x1af4, 2);
	b->pci.cfg[0x3c] = PCI_INTX_IRQ; /* interrupt line */
	b->pci.cfg[0x3d] = 1;        /* INTA# */
	b->pci.bar0_size = 0x40;
	b->pci.bar0_io = bar_io;
	b->pci.priv = b;
	return pci_add(&vm->pci, &b->pci) < 0 ? -ENOSPC : 0;
}

void virtio_blk_release(struct vm *vm, struct virtio_blk *b)
{
	virtq_release(vm, &b->q);
}
