/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: the virtio-balloon while the host takes back paging-device
 * slots part by part (hv/dev/virtio_balloon.c on hv/dev/virtq.c). The files
 * under test are compiled in here over stubs of guest memory (a flat RAM
 * buffer): copies that touch one page need a frame, and while slot reclaim
 * has parts left, the restartable copy says -ERESTART once per part and the
 * plain copy walks all of them at once, as hv/mem/pool.c does. Every outside
 * function is renamed, since other suites have stubs or copies of the same
 * names.
 */
#define gmem_check bl_gmem_check
#define gmem_discard bl_gmem_discard
#define gmem_read bl_gmem_read
#define gmem_read_or_restart bl_gmem_read_or_restart
#define gmem_ptr bl_gmem_ptr
#define gmem_pin bl_gmem_pin
#define gmem_unpin bl_gmem_unpin
#define pci_set_intx bl_set_intx
#define pci_set_ids bl_pci_set_ids
#define pci_add bl_pci_add
#define vm_crash bl_crash
#define virtq_set bl_virtq_set
#define virtq_pop bl_virtq_pop
#define virtq_pending bl_virtq_pending
#define virtq_chain bl_virtq_chain
#define virtq_push bl_virtq_push
#include "hv/dev/virtio_balloon.c"
#include "hv/dev/virtq.c"
#include "unit.h"

#define RAM_PAGES 64
#define RING_PFN 0x10
#define BUF 0x20000 /* the PFN array or the stats buffer */

static struct vm vm;
static struct virtio_balloon b;
static uint8_t ram[RAM_PAGES * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint64_t reclaim_page;      /* a copy touching this gfn needs a frame ... */
static unsigned int parts_left;    /* ... while slot reclaim has this many parts */
static unsigned int parts_walked;  /* parts walked since the test last looked */
static unsigned int discards, irqs, crashes;

int bl_gmem_check(const struct vm *m, uint64_t gpa, uint64_t len)
{
	return gpa < sizeof(ram) && len <= sizeof(ram) - gpa ? 0 : -ERANGE;
}

int64_t bl_gmem_discard(struct vm *m, uint64_t gpa, uint64_t len)
{
	if (bl_gmem_check(m, gpa, len))
		return -ERANGE;
	discards += (unsigned int)(len >> PAGE_SHIFT);
	return (int64_t)(len >> PAGE_SHIFT);
}

void *bl_gmem_ptr(struct vm *m, gpa_t gpa, size_t len, bool write)
{
	return gpa_x(gpa) + len <= sizeof(ram) ? ram + gpa_x(gpa) : NULL;
}

int bl_gmem_pin(struct vm *m, uint64_t gpa, uint64_t len)
{
	return gpa + len <= sizeof(ram) ? 0 : -EFAULT;
}

void bl_gmem_unpin(struct vm *m, uint64_t gpa, uint64_t len)
{
}

static bool needs_frame(uint64_t gpa, size_t n)
{
	return parts_left && gpa >> PAGE_SHIFT <= reclaim_page &&
	       (gpa + n - 1) >> PAGE_SHIFT >= reclaim_page;
}

int bl_gmem_read_or_restart(struct vm *m, void *dst, uint64_t gpa, size_t n)
{
	if (bl_gmem_check(m, gpa, n))
		return -ERANGE;
	if (needs_frame(gpa, n)) {
		parts_left--; /* this exit's part; the caller tries again later */
		parts_walked++;
		return -ERESTART;
	}
	memcpy(dst, ram + gpa, n);
	return 0;
}

int bl_gmem_read(struct vm *m, void *dst, uint64_t gpa, size_t n)
{
	if (bl_gmem_check(m, gpa, n))
		return -ERANGE;
	if (needs_frame(gpa, n)) {
		parts_walked += parts_left; /* goes on with slot reclaim at once */
		parts_left = 0;
	}
	memcpy(dst, ram + gpa, n);
	return 0;
}

void bl_set_intx(struct vm *m, struct pci_dev *d, bool level)
{
	irqs += level;
}

void bl_pci_set_ids(struct pci_dev *d, uint16_t vendor, uint16_t device, uint32_t class_rev,
		    uint16_t sub_vendor, uint16_t sub_device)
{
}

int bl_pci_add(struct pci_bus *bus, struct pci_dev *d)
{
	return 0;
}

void bl_crash(struct vm *m, const char *fmt, ...)
{
	crashes++;
	m->state = VM_STOPPED;
}

static uint16_t used_idx(void)
{
	uint16_t v;

	memcpy(&v, ram + RING_PFN * PAGE_SIZE + USED_OFF + 2, 2);
	return v;
}

/* A balloon with features, queue idx at RING_PFN, and one chain of one
 * descriptor (BUF, len) made available there and notified. */
static void one_chain(uint32_t features, unsigned int idx, uint32_t len)
{
	struct virtq_desc d = { BUF, len, 0, 0 };
	uint16_t head = 0, avail = 1;

	memset(&vm, 0, sizeof(vm));
	vm.mem_bytes = sizeof(ram);
	vm.nr_frames = RAM_PAGES;
	vm.state = VM_RUNNING;
	memset(ram, 0, sizeof(ram));
	ck_assert_int_eq(virtio_balloon_init(&vm, &b, 0, 1000), 0);
	b.guest_features = features;
	ck_assert_int_eq(bl_virtq_set(&vm, &b.q[idx], RING_PFN), 0);
	memcpy(ram + RING_PFN * PAGE_SIZE + DESC_OFF, &d, sizeof(d));
	memcpy(ram + RING_PFN * PAGE_SIZE + AVAIL_OFF + 4, &head, 2);
	memcpy(ram + RING_PFN * PAGE_SIZE + AVAIL_OFF + 2, &avail, 2);
	b.kicked = 1u << idx;
	reclaim_page = BUF >> PAGE_SHIFT;
	parts_left = parts_walked = discards = irqs = crashes = 0;
}

/*
 * An inflate chain whose PFN array needs a frame while slot reclaim has two
 * parts left: one part per entry, the chain in progress meanwhile (nothing
 * dropped, nothing used, no interrupt, nothing refused), then done once.
 */
START_TEST(inflate_waits_for_slot_reclaim)
{
	uint32_t pfns[2] = { 0x30, 0x31 };

	one_chain(0, 0, sizeof(pfns));
	memcpy(ram + BUF, pfns, sizeof(pfns));
	parts_left = 2;
	for (unsigned int entry = 0; entry < 2; entry++) {
		virtio_balloon_poll(&vm, &b, 0);
		ck_assert_uint_eq(parts_walked, 1); /* one part per entry */
		parts_walked = 0;
		ck_assert_uint_eq(b.inflated + discards + b.errors, 0);
		ck_assert_uint_eq(used_idx(), 0);
		ck_assert_uint_eq(irqs, 0);
		ck_assert(virtio_balloon_busy(&b));
	}
	virtio_balloon_poll(&vm, &b, 0);
	ck_assert_uint_eq(parts_walked, 0);
	ck_assert_uint_eq(b.inflated, 2);
	ck_assert_uint_eq(discards, 2);
	ck_assert_uint_eq(b.errors, 0);
	ck_assert_uint_eq(used_idx(), 1);
	ck_assert_uint_eq(irqs, 1);
	ck_assert(!virtio_balloon_busy(&b));
	ck_assert_uint_eq(crashes, 0);
}
END_TEST

/* The same for a stats buffer: it stays available, read once afterwards. */
START_TEST(stats_wait_for_slot_reclaim)
{
	uint8_t stat[STAT_BYTES] = { 4, 0, 0x00, 0x10 }; /* tag 4 (free memory): 4096 */

	one_chain(VIRTIO_BALLOON_F_STATS_VQ, 2, sizeof(stat));
	memcpy(ram + BUF, stat, sizeof(stat));
	parts_left = 1;
	virtio_balloon_poll(&vm, &b, 0);
	ck_assert_uint_eq(parts_walked, 1);
	ck_assert_uint_eq(b.stats_updates + b.errors, 0);
	ck_assert(!b.stats_held);
	ck_assert_uint_eq(b.q[2].last_avail, 0);
	ck_assert(virtio_balloon_busy(&b));
	virtio_balloon_poll(&vm, &b, 0);
	ck_assert_uint_eq(b.stats_updates, 1);
	ck_assert_uint_eq(b.guest_stats[4], 4096);
	ck_assert(b.stats_held);
	ck_assert(!virtio_balloon_busy(&b));
	ck_assert_uint_eq(crashes, 0);
}
END_TEST

Suite *balloon_suite(void)
{
	Suite *s = suite_create("balloon");
	TCase *t = tcase_create("restart");

	tcase_add_test(t, inflate_waits_for_slot_reclaim);
	tcase_add_test(t, stats_wait_for_slot_reclaim);
	suite_add_tcase(s, t);
	return s;
}
