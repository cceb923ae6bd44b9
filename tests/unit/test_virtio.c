/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: virtio-blk requests while the host takes back paging-device
 * slots part by part (hv/dev/virtio_blk.c on hv/dev/virtq.c). The files
 * under test are compiled in here over stubs of guest memory (a flat RAM buffer) whose copies say
 * -ERESTART for one page as long as the test wants, as hv/mem/gmem.c does while
 * host memory is short; its outside functions are renamed, since other
 * suites have stubs of the same names.
 */
#define gmem_ptr vb_gmem_ptr
#define gmem_pin vb_gmem_pin
#define gmem_unpin vb_gmem_unpin
#define gmem_read_or_restart vb_gmem_read_or_restart
#define gmem_write_or_restart vb_gmem_write_or_restart
#define pci_set_intx vb_set_intx
#define vm_crash vb_crash
#define pci_set_ids vb_pci_set_ids
#define pci_add vb_pci_add
#include "hv/dev/virtio_blk.c"
#include "hv/dev/virtq.c"
#include "unit.h"

#define RAM_PAGES 64
#define RING_PFN 0x10
#define HDR 0x20000
#define DATA 0x21000
#define STATUS 0x22000

static struct vm vm;
static uint8_t ram[RAM_PAGES * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t disk[64 * 512];
static uint64_t restart_page;      /* copies touching this gfn say -ERESTART ... */
static unsigned int restarts_left; /* ... this many more times */
static unsigned int irqs, crashes;

void *vb_gmem_ptr(struct vm *m, gpa_t gpa, size_t len, bool write)
{
	return gpa_x(gpa) + len <= sizeof(ram) ? ram + gpa_x(gpa) : NULL;
}

int vb_gmem_pin(struct vm *m, uint64_t gpa, uint64_t len)
{
	return gpa + len <= sizeof(ram) ? 0 : -EFAULT;
}

void vb_gmem_unpin(struct vm *m, uint64_t gpa, uint64_t len)
{
}

static int copy(uint64_t gpa, size_t n)
{
	if (gpa + n > sizeof(ram))
		return -EFAULT;
	if (restarts_left && gpa >> PAGE_SHIFT <= restart_page &&
	    (gpa + n - 1) >> PAGE_SHIFT >= restart_page) {
		restarts_left--;
		return -ERESTART;
	}
	return 0;
}

int gmem_read_or_restart(struct vm *m, void *dst, uint64_t gpa, size_t n)
{
	int rc = copy(gpa, n);

	if (!rc)
		memcpy(dst, ram + gpa, n);
	return rc;
}

int gmem_write_or_restart(struct vm *m, uint64_t gpa, const void *src, size_t n)
{
	int rc = copy(gpa, n);

	if (!rc)
		memcpy(ram + gpa, src, n);
	return rc;
}

void vb_set_intx(struct vm *m, struct pci_dev *d, bool level)
{
	irqs += level;
}

void vb_crash(struct vm *m, const char *fmt, ...)
{
	crashes++;
	m->state = VM_STOPPED;
}

void vb_pci_set_ids(struct pci_dev *d, uint16_t vendor, uint16_t device, uint32_t class_rev,
		    uint16_t sub_vendor, uint16_t sub_device)
{
}

int vb_pci_add(struct pci_bus *bus, struct pci_dev *d)
{
	return 0;
}

static void put16(uint64_t gpa, uint16_t v)
{
	memcpy(ram + gpa, &v, 2);
}

static uint16_t used_idx(void)
{
	uint16_t v;

	memcpy(&v, ram + RING_PFN * PAGE_SIZE + USED_OFF + 2, 2);
	return v;
}

/* A device with its queue at RING_PFN and one read request of sector 2 (512
 * bytes to DATA, status to STATUS) made available and notified. */
static void setup(void)
{
	uint64_t ring = RING_PFN * PAGE_SIZE;
	struct virtq_desc d[3] = {
		{ HDR, 16, VIRTQ_DESC_F_NEXT, 1 },
		{ DATA, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2 },
		{ STATUS, 1, VIRTQ_DESC_F_WRITE, 0 },
	};
	uint32_t hdr[4] = { VIRTIO_BLK_T_IN, 0, 2, 0 };

	memset(&vm, 0, sizeof(vm));
	vm.mem_bytes = sizeof(ram);
	vm.nr_frames = RAM_PAGES;
	memset(ram, 0, sizeof(ram));
	for (unsigned int i = 0; i < sizeof(disk); i++)
		disk[i] = (uint8_t)(i * 7 + 1);
	ck_assert_int_eq(virtio_blk_init(&vm, &vm.blk, disk, sizeof(disk)), 0);
	ck_assert_int_eq(virtq_set(&vm, &vm.blk.q, RING_PFN), 0);
	memcpy(ram + ring + DESC_OFF, d, sizeof(d));
	memcpy(ram + HDR, hdr, sizeof(hdr));
	ram[STATUS] = 0xff;
	put16(ring + AVAIL_OFF + 4, 0); /* ring[0] = head 0 */
	put16(ring + AVAIL_OFF + 2, 1); /* idx */
	vm.blk.kicked = true;
	vm.state = VM_RUNNING;
	restarts_left = 0;
	irqs = crashes = 0;
}

/*
 * A request that needs a frame while slot reclaim goes on is left available
 * and served again from its start before a later entry: nothing of it is
 * final before (no status, no used entry, no interrupt, no count), and it
 * completes once with the disk's data.
 */
START_TEST(request_served_again_after_restart)
{
	restart_page = DATA >> PAGE_SHIFT;
	restarts_left = 2;
	virtio_blk_poll(&vm, &vm.blk);
	virtio_blk_poll(&vm, &vm.blk);
	ck_assert_uint_eq(used_idx(), 0);
	ck_assert_uint_eq(ram[STATUS], 0xff);
	ck_assert_uint_eq(irqs, 0);
	ck_assert_uint_eq(vm.blk.reads + vm.blk.errors, 0);
	ck_assert(vm.blk.kicked);
	ck_assert_uint_eq(vm.blk.q.last_avail, 0);
	virtio_blk_poll(&vm, &vm.blk);
	ck_assert_uint_eq(used_idx(), 1);
	ck_assert_uint_eq(ram[STATUS], VIRTIO_BLK_S_OK);
	ck_assert_mem_eq(ram + DATA, disk + 2 * 512, 512);
	ck_assert_uint_eq(vm.blk.reads, 1);
	ck_assert_uint_eq(vm.blk.errors, 0);
	ck_assert_uint_eq(irqs, 1);
	ck_assert(!vm.blk.kicked);
	ck_assert_uint_eq(crashes, 0);
}
END_TEST

/* The same for the header and the status byte: each a copy of its own. */
START_TEST(header_and_status_restart_too)
{
	restart_page = HDR >> PAGE_SHIFT;
	restarts_left = 1;
	virtio_blk_poll(&vm, &vm.blk);
	ck_assert_uint_eq(used_idx(), 0);
	restart_page = STATUS >> PAGE_SHIFT;
	restarts_left = 1;
	virtio_blk_poll(&vm, &vm.blk);
	ck_assert_uint_eq(used_idx(), 0);
	ck_assert_uint_eq(ram[STATUS], 0xff);
	ck_assert_uint_eq(vm.blk.reads, 0);
	virtio_blk_poll(&vm, &vm.blk);
	ck_assert_uint_eq(used_idx(), 1);
	ck_assert_uint_eq(ram[STATUS], VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(vm.blk.reads, 1);
	ck_assert_uint_eq(crashes, 0);
}
END_TEST

Suite *virtio_suite(void)
{
	Suite *s = suite_create("virtio");
	TCase *t = tcase_create("restart");

	tcase_add_checked_fixture(t, setup, NULL);
	tcase_add_test(t, request_served_again_after_restart);
	tcase_add_test(t, header_and_status_restart_too);
	suite_add_tcase(s, t);
	return s;
}
