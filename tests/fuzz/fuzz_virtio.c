/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: a guest driving the virtio-blk device (hv/dev/virtio_blk.c)
 * through its PCI I/O BAR only (hv/dev/pci.c), with guest RAM behind the real
 * EPT and mm/. The input is a program: descriptors and requests written into
 * guest memory (biased towards chains that parse, with addresses on the
 * rings, the headers, page ends and outside RAM), avail ring entries and
 * indices, notifies, register reads and writes, queue (re)placement and
 * reset, guest stores, page hints and host reclaim. Checked besides
 * ASan/UBSan (the disk is an exact-size allocation): mm_check() after every
 * step, no frame leaked or left pinned, and at the end one read request
 * built by the harness on a fresh queue: it completes (by the next entry),
 * with status OK and the disk's data exactly when its sectors are on the
 * disk, else IOERR.
 */
#include "shim.h"

#include <base/console.h>
#include <hv/dev/virtio_blk.h>
#include <hv/mem/gmem.h>
#include <hv/hint/hint.h>
#include <hv/mem/pool.h>
#include <stdlib.h>
#include <string.h>

#define MEM_FRAMES 128 /* more than the pool: the device's buffers get reclaimed */
#define DISK_SECTORS 64
#define QSIZE VBLK_QUEUE_SIZE
#define AVAIL_OFF (QSIZE * 16)
#define USED_OFF 4096
#define RING_FRAMES 2

/* Legacy virtio registers (virtio 0.9.5) and the PCI config ports. */
#define BAR_PORT (PCI_IO_WINDOW + 0x100) /* slot 1, after the host bridge */
#define REG_QUEUE_PFN 0x08
#define REG_QUEUE_SEL 0x0e
#define REG_NOTIFY 0x10
#define REG_STATUS 0x12
#define REG_ISR 0x13
#define T_IN 0
#define T_OUT 1
#define S_OK 0
#define S_IOERR 1
#define F_NEXT 1
#define F_WRITE 2

static struct vm vm;
static uint8_t *disk;
static uint32_t ring_pfn; /* where the harness believes the queue is */

/*
 * A device that bounds its work per VM entry serves the queue in
 * virtio_blk_poll() before each entry; one that serves in the notify has no
 * such call (weak: then NULL). entry() does what the exit path does before
 * the vCPU runs again.
 */
void virtio_blk_poll(struct vm *vm, struct virtio_blk *b) __attribute__((weak));

/* The device's interrupt line: the 8259 here (hv/dev/board.c also drives the I/O
 * APIC, which the harness does not model). */
void board_set_irq(struct vm *m, unsigned int irq, bool level)
{
	pic_set_irq(&m->pic, irq, level);
}

static void entry(void)
{
	if (virtio_blk_poll && vm.state != VM_STOPPED)
		virtio_blk_poll(&vm, &vm.blk);
}

static uint32_t io(uint16_t off, unsigned int size, bool in, uint32_t val)
{
	if (!pci_io(&vm, BAR_PORT + off, size, in, &val))
		abort(); /* the BAR must answer */
	return val;
}

static void poke(uint64_t gpa, const void *p, size_t n)
{
	(void)gmem_write(&vm, gpa, p, n); /* EFAULT on a discarded page: skipped */
}

static uint64_t ring_gpa(uint64_t off)
{
	return ((uint64_t)ring_pfn << PAGE_SHIFT) + off;
}

/* A guest-physical address for a buffer: the rings, a header area, page ends, outside RAM. */
static uint64_t any_gpa(struct fz_in *in)
{
	uint64_t mem = vm.mem_bytes, a;

	switch (fz_take(in, 1) % 8) {
	case 0:
		return ring_gpa(fz_take(in, 2) % (RING_FRAMES * PAGE_SIZE));
	case 1:
		return ring_gpa(fz_take(in, 1) % 2 ? AVAIL_OFF : USED_OFF);
	case 2:
		a = (fz_take(in, 1) % MEM_FRAMES + 1) << PAGE_SHIFT;
		return a - fz_take(in, 1) % 32;
	case 3:
		return mem - (fz_take(in, 2) % 2048);
	case 4:
		return fz_take(in, 8);
	default:
		a = (fz_take(in, 1) % MEM_FRAMES) << PAGE_SHIFT;
		return a | (fz_take(in, 1) & 0xf0) << 4;
	}
}

static uint32_t any_len(struct fz_in *in)
{
	switch (fz_take(in, 1) % 6) {
	case 0:
		return (uint32_t)fz_take(in, 4);
	case 1:
		return (uint32_t)fz_take(in, 1);
	default:
		return 512 * (uint32_t)(fz_take(in, 1) % 9);
	}
}

static uint64_t any_sector(struct fz_in *in)
{
	static const uint64_t edge[] = { DISK_SECTORS - 1, DISK_SECTORS, 1ULL << 55,
					 (1ULL << 55) + 1, (1ULL << 54) - 1, ~0ULL >> 9,
					 ~0ULL, 1ULL << 63 };
	uint64_t k = fz_take(in, 1);

	return k < 200 ? k % DISK_SECTORS : edge[k % 8];
}

static void put_desc(unsigned int idx, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	struct {
		uint64_t addr;
		uint32_t len;
		uint16_t flags, next;
	} d = { addr, len, flags, next };

	poke(ring_gpa((idx % QSIZE) * 16), &d, sizeof(d));
}

/* Make the next avail entry head and publish it. */
static void publish(uint16_t head)
{
	uint16_t idx = 0;

	(void)gmem_read(&vm, &idx, ring_gpa(AVAIL_OFF + 2), 2);
	poke(ring_gpa(AVAIL_OFF + 4 + 2 * (idx % QSIZE)), &head, 2);
	idx++;
	poke(ring_gpa(AVAIL_OFF + 2), &idx, 2);
}

/* A request chain: header, data segments, status; its fields from the input. */
static void request(struct fz_in *in)
{
	unsigned int head, nseg, idx;
	struct {
		uint32_t type, reserved;
		uint64_t sector;
	} hdr = { 0, 0, 0 };
	uint64_t hgpa, a;
	bool in_req;

	/* One input read per statement: the order of the reads is the program. */
	head = idx = fz_take(in, 1) % QSIZE;
	nseg = fz_take(in, 1) % 4;
	hdr.type = (uint32_t)(fz_take(in, 1) % 10);
	hdr.sector = any_sector(in);
	hgpa = any_gpa(in);
	in_req = hdr.type == T_IN || fz_take(in, 1) % 4 == 0;

	poke(hgpa, &hdr, sizeof(hdr));
	for (unsigned int i = 0; i < nseg + 2; i++) {
		unsigned int next = fz_take(in, 1) % 8 ? (idx + 1) % QSIZE : fz_take(in, 1);
		uint16_t flags = i + 1 < nseg + 2 ? F_NEXT : 0;

		if (i == 0)
			put_desc(idx, hgpa, 16, flags | (fz_take(in, 1) % 8 == 0 ? F_WRITE : 0), next);
		else if (i + 1 < nseg + 2) {
			a = any_gpa(in);
			put_desc(idx, a, any_len(in), flags | (in_req ? F_WRITE : 0), next);
		} else {
			a = any_gpa(in);
			put_desc(idx, a, 1 + fz_take(in, 1) % 2, F_WRITE, next);
		}
		idx = next;
	}
	publish((uint16_t)head);
}

static void set_queue(uint32_t pfn)
{
	io(REG_QUEUE_SEL, 2, false, 0);
	io(REG_QUEUE_PFN, 4, false, pfn);
	ring_pfn = pfn;
}

static void step(struct fz_in *in)
{
	switch (fz_take(in, 1) % 13) {
	case 0: { /* queue placement, sometimes outside RAM */
		uint32_t pfn = (uint32_t)fz_take(in, 1);

		set_queue(pfn % 4 == 3 ? (uint32_t)fz_take(in, 4) : pfn % (MEM_FRAMES - 1));
		break;
	}
	case 1:
	case 2:
	case 3:
		request(in);
		break;
	case 4: { /* one raw descriptor */
		unsigned int idx = (unsigned int)fz_take(in, 1);
		uint64_t a = any_gpa(in);
		uint32_t len = any_len(in);
		uint16_t flags = (uint16_t)fz_take(in, 1);

		put_desc(idx, a, len, flags, (uint16_t)fz_take(in, 1));
		break;
	}
	case 5: { /* raw avail entry or index */
		uint16_t v = (uint16_t)fz_take(in, 2);

		poke(ring_gpa(AVAIL_OFF + 2 + 2 * (fz_take(in, 1) % (QSIZE + 1))), &v, 2);
		break;
	}
	case 6:
	case 7:
		io(REG_NOTIFY, 2, false, fz_take(in, 1) % 8 ? 0 : (uint32_t)fz_take(in, 2));
		entry();
		break;
	case 8: { /* any register, either way */
		static const unsigned int sizes[] = { 1, 2, 4 };
		unsigned int size = sizes[fz_take(in, 1) % 3];
		uint16_t off = (uint16_t)(fz_take(in, 1) % (0x40 - size + 1));

		bool rd = fz_take(in, 1) & 1;

		if (off == REG_QUEUE_PFN || off == REG_NOTIFY)
			off = REG_ISR;
		io(off, size, rd, (uint32_t)fz_take(in, 4));
		break;
	}
	case 9: { /* guest stores */
		uint8_t buf[64];
		uint64_t gpa = any_gpa(in);
		size_t n = fz_take(in, 1) % sizeof(buf);

		for (size_t i = 0; i < n; i++) {
			uint8_t *p = fz_guest_access(&vm, gpa + i, true);

			buf[i] = (uint8_t)fz_take(in, 1);
			if (p)
				*p = buf[i];
		}
		break;
	}
	case 10: {
		uint64_t g = fz_take(in, 1) % MEM_FRAMES;

		(void)hint_set_state(&vm, _gfn(g), (unsigned int)fz_take(in, 1) % 4);
		break;
	}
	case 11:
		entry(); /* another exit and entry: a device with a budget goes on */
		break;
	default:
		mm_reclaim(&hv_mm, (uint32_t)fz_take(in, 1) % 32 + 1);
		break;
	}
}

/*
 * On a fresh queue, one IN request of nsec sectors from sector: it must
 * complete (used index + 1) with OK and the disk's data if the sectors are
 * on the disk, else IOERR.
 */
static void probe(struct fz_in *in)
{
	enum { RING = 1, HDR = 8, DATA = 9, STATUS = 20 };
	struct {
		uint32_t type, reserved;
		uint64_t sector;
	} hdr = { T_IN, 0, any_sector(in) };
	uint64_t nsec = 1 + fz_take(in, 1) % 8, ok;
	static uint8_t data[8 * 512];
	uint16_t used0 = 0, used1 = 0, zero = 0, one = 1;
	uint8_t status = 0xff;

	io(REG_STATUS, 1, false, 0); /* reset */
	for (unsigned int g = RING; g <= STATUS; g++)
		(void)hint_set_state(&vm, _gfn(g), HV_PAGE_STABLE);
	set_queue(RING);
	if (vm.state == VM_STOPPED)
		return;
	poke(HDR << PAGE_SHIFT, &hdr, sizeof(hdr));
	poke(STATUS << PAGE_SHIFT, &status, 1);
	put_desc(0, HDR << PAGE_SHIFT, sizeof(hdr), F_NEXT, 1);
	put_desc(1, DATA << PAGE_SHIFT, (uint32_t)(nsec * 512), F_NEXT | F_WRITE, 2);
	put_desc(2, STATUS << PAGE_SHIFT, 1, F_WRITE, 0);
	poke(ring_gpa(AVAIL_OFF + 4), &zero, 2);
	poke(ring_gpa(AVAIL_OFF + 2), &one, 2);
	if (gmem_read(&vm, &used0, ring_gpa(USED_OFF + 2), 2))
		abort();
	io(REG_NOTIFY, 2, false, 0);
	entry();
	if (vm.state == VM_STOPPED)
		panic("probe: VM stopped: %s", vm.stop_reason);
	if (gmem_read(&vm, &used1, ring_gpa(USED_OFF + 2), 2) ||
	    gmem_read(&vm, &status, STATUS << PAGE_SHIFT, 1) ||
	    gmem_read(&vm, data, DATA << PAGE_SHIFT, nsec * 512))
		abort();
	if (used1 != (uint16_t)(used0 + 1))
		panic("probe: used index %u -> %u", used0, used1);
	ok = hdr.sector < DISK_SECTORS && nsec <= DISK_SECTORS - hdr.sector;
	if (status != (ok ? S_OK : S_IOERR))
		panic("probe: read of %lu sectors at sector %#lx: status %u, expected %u", nsec,
		      hdr.sector, status, ok ? S_OK : S_IOERR);
	if (ok && memcmp(data, disk + hdr.sector * 512, nsec * 512))
		panic("probe: read of %lu sectors at sector %#lx: wrong data", nsec, hdr.sector);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };

	fz_vm_create(&vm, MEM_FRAMES * PAGE_SIZE, fz_take(&in, 1) & 1);
	disk = malloc(DISK_SECTORS * 512);
	for (unsigned int i = 0; i < DISK_SECTORS * 512; i++)
		disk[i] = (uint8_t)(i * 7 + i / 512);
	pci_init(&vm.pci, &vm.host_bridge);
	if (virtio_blk_init(&vm, &vm.blk, disk, DISK_SECTORS * 512))
		abort();
	/* Enable the I/O BAR: command register of 00:01.0. */
	pci_io(&vm, 0xcf8, 4, false, &(uint32_t){ 0x80000000u | 1u << 11 | 0x04 });
	pci_io(&vm, 0xcfc, 2, false, &(uint32_t){ 1 });
	ring_pfn = 0;

	for (unsigned int n = 0; in.n > 8 && n < 256 && vm.state != VM_STOPPED; n++) {
		step(&in);
		fz_mm_check();
	}
	if (vm.state != VM_STOPPED)
		probe(&in);
	fz_mm_check();
	virtio_blk_release(&vm, &vm.blk);
	fz_vm_destroy(&vm);
	free(disk);
	return 0;
}
