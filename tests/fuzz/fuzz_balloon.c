/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: a guest driving the virtio-balloon (hv/dev/virtio_balloon.c)
 * through its PCI I/O BAR only, with guest RAM behind the real EPT and mm/.
 * The input is a program: feature negotiation, queue placement (sometimes
 * outside RAM or on each other), descriptors and chains written into guest
 * memory (ranges and PFN arrays biased towards the rings, page ends, the
 * end of RAM and beyond), avail ring entries and indices, notifies, entries
 * with guest time moving on (the stats buffer comes back), register and
 * config reads and writes, resets, guest stores, page hints and host
 * reclaim. Checked besides ASan/UBSan: mm_check() after every step, no frame
 * leaked or left pinned, work per entry within the budget, and at the end a
 * report built by the harness on a fresh queue: it is served (by the next
 * entries) and drops the resident page it names, which then reads as zero.
 */
#include "shim.h"

#include <base/console.h>
#include <hv/dev/virtio_balloon.h>
#include <hv/mem/gmem.h>
#include <hv/hint/hint.h>
#include <hv/mem/pool.h>
#include <stdlib.h>
#include <string.h>

#define MEM_FRAMES 128 /* more than the pool: rings and buffers get reclaimed */
#define QSIZE VIRTQ_SIZE
#define AVAIL_OFF (QSIZE * 16)
#define USED_OFF 4096
#define RING_FRAMES 2
#define NQ BALLOON_QUEUES

#define BAR_PORT (PCI_IO_WINDOW + 0x100) /* slot 1, after the host bridge */
#define REG_FEATURES 0x04
#define REG_QUEUE_PFN 0x08
#define REG_QUEUE_SEL 0x0e
#define REG_NOTIFY 0x10
#define REG_STATUS 0x12
#define REG_ISR 0x13
#define F_STATS (1u << 1)
#define F_REPORTING (1u << 5)
#define F_NEXT 1
#define F_WRITE 2

static struct vm vm;
static uint32_t ring_pfn[NQ]; /* where the harness believes each queue is */
static uint64_t now;

void board_set_irq(struct vm *m, unsigned int irq, bool level)
{
	pic_set_irq(&m->pic, irq, level);
}

static uint64_t work_done(void)
{
	return vm.balloon.reported + vm.balloon.inflated + vm.balloon.deflated;
}

/* What the exit path does before the vCPU runs again: at most one budget
 * (4,096 pages reported or PFNs taken in) per entry. */
static void entry(void)
{
	uint64_t before = work_done();

	if (vm.state == VM_STOPPED)
		return;
	virtio_balloon_poll(&vm, &vm.balloon, now);
	if (work_done() - before > 4096)
		panic("%lu pages of work in one entry", work_done() - before);
}

static uint32_t io(uint16_t off, unsigned int size, bool in, uint32_t val)
{
	if (!pci_io(&vm, BAR_PORT + off, size, in, &val))
		abort(); /* the BAR must answer */
	return val;
}

static void poke(uint64_t gpa, const void *p, size_t n)
{
	(void)gmem_write(&vm, gpa, p, n);
}

static uint64_t ring_gpa(unsigned int q, uint64_t off)
{
	return ((uint64_t)ring_pfn[q % NQ] << PAGE_SHIFT) + off;
}

static uint64_t any_gpa(struct fz_in *in)
{
	uint64_t mem = vm.mem_bytes, a;

	switch (fz_take(in, 1) % 8) {
	case 0:
		return ring_gpa((unsigned int)fz_take(in, 1), fz_take(in, 2) % (RING_FRAMES * PAGE_SIZE)) &
		       ~(uint64_t)(fz_take(in, 1) & 1 ? PAGE_SIZE - 1 : 0);
	case 1:
		return mem - (fz_take(in, 1) % 4) * PAGE_SIZE;
	case 2:
		a = (fz_take(in, 1) % MEM_FRAMES + 1) << PAGE_SHIFT;
		return a - fz_take(in, 1) % 32;
	case 3:
		return fz_take(in, 8);
	default:
		return (fz_take(in, 1) % MEM_FRAMES) << PAGE_SHIFT;
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
		return (uint32_t)(fz_take(in, 1) % 40) << PAGE_SHIFT;
	}
}

static void put_desc(unsigned int q, unsigned int idx, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	struct virtq_desc d = { addr, len, flags, next };

	poke(ring_gpa(q, (idx % QSIZE) * 16), &d, sizeof(d));
}

static void publish(unsigned int q, uint16_t head)
{
	uint16_t idx = 0;

	(void)gmem_read(&vm, &idx, ring_gpa(q, AVAIL_OFF + 2), 2);
	poke(ring_gpa(q, AVAIL_OFF + 4 + 2 * (idx % QSIZE)), &head, 2);
	idx++;
	poke(ring_gpa(q, AVAIL_OFF + 2), &idx, 2);
}

/* A chain on queue q: ranges, PFN arrays or stats, as the input says. */
static void chain(struct fz_in *in)
{
	unsigned int q = (unsigned int)fz_take(in, 1) % NQ;
	unsigned int head = (unsigned int)fz_take(in, 1) % QSIZE, idx = head;
	unsigned int n = 1 + (unsigned int)fz_take(in, 1) % 5;

	for (unsigned int i = 0; i < n; i++) {
		unsigned int next = fz_take(in, 1) % 8 ? (idx + 1) % QSIZE : (unsigned int)fz_take(in, 1);
		uint64_t a = any_gpa(in);

		if (fz_take(in, 1) % 3 == 0) { /* a PFN array or stats to point at */
			uint32_t words[8];

			for (unsigned int k = 0; k < 8; k++)
				words[k] = (uint32_t)(fz_take(in, 1) % 4 ? fz_take(in, 1) % (MEM_FRAMES + 4)
									 : fz_take(in, 4));
			poke(a, words, sizeof(words));
		}
		put_desc(q, idx, a, any_len(in),
			 (uint16_t)((i + 1 < n ? F_NEXT : 0) | (fz_take(in, 1) & 1 ? F_WRITE : 0)),
			 (uint16_t)next);
		idx = next;
	}
	publish(q, (uint16_t)head);
}

static void set_queue(unsigned int q, uint32_t pfn)
{
	io(REG_QUEUE_SEL, 2, false, q);
	io(REG_QUEUE_PFN, 4, false, pfn);
	if (q < NQ)
		ring_pfn[q] = pfn;
}

static void step(struct fz_in *in)
{
	switch (fz_take(in, 1) % 14) {
	case 0: { /* queue placement, sometimes outside RAM or overlapping */
		uint32_t pfn = (uint32_t)fz_take(in, 1);

		set_queue((unsigned int)fz_take(in, 1) % (NQ + 1),
			  pfn % 4 == 3 ? (uint32_t)fz_take(in, 4) : pfn % (MEM_FRAMES - 1));
		break;
	}
	case 1:
		io(REG_FEATURES, 4, false, (uint32_t)fz_take(in, 1));
		break;
	case 2:
	case 3:
	case 4:
		chain(in);
		break;
	case 5: { /* one raw descriptor */
		unsigned int q = (unsigned int)fz_take(in, 1);
		unsigned int idx = (unsigned int)fz_take(in, 1);
		uint64_t a = any_gpa(in);
		uint32_t len = any_len(in);
		uint16_t flags = (uint16_t)fz_take(in, 1);

		put_desc(q, idx, a, len, flags, (uint16_t)fz_take(in, 1));
		break;
	}
	case 6: { /* raw avail entry or index */
		unsigned int q = (unsigned int)fz_take(in, 1);
		uint16_t v = (uint16_t)fz_take(in, 2);

		poke(ring_gpa(q, AVAIL_OFF + 2 + 2 * (fz_take(in, 1) % (QSIZE + 1))), &v, 2);
		break;
	}
	case 7:
	case 8:
		io(REG_NOTIFY, 2, false, (uint32_t)fz_take(in, 1) % (NQ + 2));
		entry();
		break;
	case 9: { /* any register or config byte, either way */
		static const unsigned int sizes[] = { 1, 2, 4 };
		unsigned int size = sizes[fz_take(in, 1) % 3];
		uint16_t off = (uint16_t)(fz_take(in, 1) % (0x40 - size + 1));
		bool rd = fz_take(in, 1) & 1;

		if (off == REG_QUEUE_PFN || off == REG_NOTIFY)
			off = REG_ISR;
		io(off, size, rd, (uint32_t)fz_take(in, 4));
		break;
	}
	case 10: { /* guest stores */
		uint64_t gpa = any_gpa(in);
		size_t n = fz_take(in, 1) % 64;

		for (size_t i = 0; i < n; i++) {
			uint8_t *p = fz_guest_access(&vm, gpa + i, true);

			if (p)
				*p = (uint8_t)fz_take(in, 1);
		}
		break;
	}
	case 11:
		(void)hint_set_state(&vm, _gfn(fz_take(in, 1) % MEM_FRAMES),
				     (unsigned int)fz_take(in, 1) % 4);
		break;
	case 12: /* time goes on: the held stats buffer comes back */
		now += fz_take(in, 1) % 2 ? 1000000 : fz_take(in, 2);
		entry();
		break;
	default:
		mm_reclaim(&hv_mm, (uint32_t)fz_take(in, 1) % 32 + 1);
		break;
	}
}

/* A fresh device with only REPORTING: the reporting queue is queue 2. A
 * report of a resident page is served and drops it. */
static void probe(struct fz_in *in)
{
	enum { RING = 1, PAGE = 9 };
	uint16_t zero = 0, one = 1, used0 = 0, used = 0;
	uint8_t *p;

	io(REG_STATUS, 1, false, 0); /* reset */
	io(REG_FEATURES, 4, false, F_REPORTING);
	for (unsigned int g = RING; g <= PAGE; g++)
		(void)hint_set_state(&vm, _gfn(g), HV_PAGE_STABLE);
	set_queue(2, RING);
	if (vm.state == VM_STOPPED)
		return;
	p = fz_guest_access(&vm, (uint64_t)PAGE << PAGE_SHIFT, true);
	if (!p)
		abort();
	*p = 0x5a;
	put_desc(2, 0, (uint64_t)PAGE << PAGE_SHIFT, PAGE_SIZE, F_WRITE, 0);
	poke(ring_gpa(2, AVAIL_OFF + 4), &zero, 2);
	poke(ring_gpa(2, AVAIL_OFF + 2), &one, 2);
	if (gmem_read(&vm, &used0, ring_gpa(2, USED_OFF + 2), 2))
		abort();
	io(REG_NOTIFY, 2, false, 2);
	entry();
	if (vm.state == VM_STOPPED)
		panic("probe: VM stopped: %s", vm.stop_reason);
	if (gmem_read(&vm, &used, ring_gpa(2, USED_OFF + 2), 2) || used != (uint16_t)(used0 + 1))
		panic("probe: report not served (used index %u -> %u)", used0, used);
	p = fz_guest_access(&vm, (uint64_t)PAGE << PAGE_SHIFT, false);
	if (!p || *p != 0)
		panic("probe: the reported page was not dropped");
	(void)in;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };

	fz_vm_create(&vm, MEM_FRAMES * PAGE_SIZE, fz_take(&in, 1) & 1);
	pci_init(&vm.pci, &vm.host_bridge);
	if (virtio_balloon_init(&vm, &vm.balloon, 16, 1000))
		abort();
	vm.has_balloon = true;
	/* Enable the I/O BAR: command register of 00:01.0. */
	pci_io(&vm, 0xcf8, 4, false, &(uint32_t){ 0x80000000u | 1u << 11 | 0x04 });
	pci_io(&vm, 0xcfc, 2, false, &(uint32_t){ 1 });
	memset(ring_pfn, 0, sizeof(ring_pfn));
	now = 0;
	io(REG_FEATURES, 4, false, F_STATS | F_REPORTING);

	for (unsigned int n = 0; in.n > 8 && n < 256 && vm.state != VM_STOPPED; n++) {
		step(&in);
		fz_mm_check();
	}
	if (vm.state != VM_STOPPED)
		probe(&in);
	fz_mm_check();
	virtio_balloon_release(&vm, &vm.balloon);
	fz_vm_destroy(&vm);
	return 0;
}
