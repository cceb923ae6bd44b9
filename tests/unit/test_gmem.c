/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: guest memory (hv/mem/gmem.c), its range checks and errors, over
 * stubs of the memory module: a VM whose frames are 16 host pages (gfn % 16),
 * pins counted per gfn, and one gfn that is a dropped volatile page. The
 * file under test is compiled in here, its functions renamed (gmem_read and
 * gmem_write for the whole file): the vexit and hypercall tests have stubs
 * of their own.
 */
#include "unit.h"
#include <errcode.h>
#include <hv/mem/pool.h>
#define gmem_ptr gmem_ptr_under_test
#define gmem_write_all gmem_write_all_under_test
#define gmem_read gmem_read_under_test
#define gmem_write gmem_write_under_test
#include "hv/mem/gmem.c"
#undef gmem_ptr
#undef gmem_write_all
#include <stdlib.h>
#include <string.h>

#define NPAGES 16
static struct vm vm;
static uint8_t *ram;              /* NPAGES host pages, page aligned */
static int pins[NPAGES];
static uint64_t discarded_gfn;    /* pool_gfn_get / mm_gfn_pin: -EDISCARDED */
static uint64_t busy_gfn;         /* mm_gfn_pin: -EBUSY (pin count full) */
static uint64_t nomem_gfn;        /* mm_gfn_pin: -ENOMEM (host out of memory) */
static unsigned int gets;         /* pool_gfn_get calls */

static unsigned int pin_gets;     /* of them with pin (the host OOM path) */
static uint64_t restart_gfn;      /* host out of memory, slot reclaim going on */

int pool_gfn_get(struct vm *m, gfn_t gfn, bool write, unsigned int flags, hfn_t *hfn)
{
	gets++;
	/* What pool.c does: a caller that can repeat the access is told to. */
	if (gfn_x(gfn) == restart_gfn && (flags & POOL_RESTART))
		return -ERESTART;
	if (flags & POOL_PIN) {
		pin_gets++;
		return mm_gfn_pin(&m->mm, gfn, hfn);
	}
	if (gfn_x(gfn) == discarded_gfn)
		return -EDISCARDED;
	*hfn = hpa_to_hfn(virt_to_hpa(ram + (gfn_x(gfn) % NPAGES) * PAGE_SIZE));
	return 0;
}

int mm_gfn_pin(struct mm_vm *m, gfn_t gfn, hfn_t *hfn)
{
	if (gfn_x(gfn) == nomem_gfn)
		return -ENOMEM;
	if (gfn_x(gfn) == discarded_gfn)
		return -EDISCARDED;
	if (gfn_x(gfn) == busy_gfn)
		return -EBUSY;
	pins[gfn_x(gfn) % NPAGES]++;
	*hfn = hpa_to_hfn(virt_to_hpa(ram + (gfn_x(gfn) % NPAGES) * PAGE_SIZE));
	return 0;
}

void mm_gfn_unpin(struct mm_vm *m, gfn_t gfn)
{
	ck_assert_int_gt(pins[gfn_x(gfn) % NPAGES], 0);
	pins[gfn_x(gfn) % NPAGES]--;
}

static uint64_t drop_first = UINT64_MAX, drop_count; /* the last mm_drop_range() */

int64_t mm_drop_range(struct mm_vm *m, gfn_t first, uint64_t count)
{
	drop_first = gfn_x(first);
	drop_count = count;
	return (int64_t)count / 2;
}

static void setup(void)
{
	memset(&vm, 0, sizeof(vm));
	vm.mem_bytes = 5ULL << 30; /* above the APIC page: it is a hole */
	vm.nr_frames = vm.mem_bytes >> PAGE_SHIFT;
	ram = aligned_alloc(PAGE_SIZE, NPAGES * PAGE_SIZE);
	memset(ram, 0xaa, NPAGES * PAGE_SIZE);
	memset(pins, 0, sizeof(pins));
	discarded_gfn = busy_gfn = nomem_gfn = restart_gfn = drop_first = UINT64_MAX;
	gets = pin_gets = 0;
}

static void teardown(void)
{
	for (unsigned int i = 0; i < NPAGES; i++)
		ck_assert_int_eq(pins[i], 0); /* nothing left pinned */
	free(ram);
}

START_TEST(range_hole_and_table)
{
	static uint8_t *table_ptrs[1];
	uint8_t b[8] = { 0 };

	ck_assert_int_eq(gmem_check(&vm, 0, 4096), 0);
	ck_assert_int_eq(gmem_check(&vm, vm.mem_bytes - 8, 8), 0);
	ck_assert_int_eq(gmem_check(&vm, vm.mem_bytes - 8, 9), -ERANGE);
	ck_assert_int_eq(gmem_check(&vm, vm.mem_bytes, 1), -ERANGE);
	ck_assert_int_eq(gmem_check(&vm, 8, UINT64_MAX), -ERANGE); /* no wrap-around */
	ck_assert_int_eq(gmem_check(&vm, APIC_DEFAULT_BASE, 1), -EFAULT);
	ck_assert_int_eq(gmem_check(&vm, APIC_DEFAULT_BASE - 4, 8), -EFAULT);
	ck_assert_int_eq(gmem_read(&vm, b, APIC_DEFAULT_BASE + 16, 4), -EFAULT);
	ck_assert_int_eq(gmem_write(&vm, vm.mem_bytes + 4096, b, 1), -ERANGE);
	ck_assert_ptr_null(gmem_ptr_under_test(&vm, _gpa(APIC_DEFAULT_BASE), 4, false));
	ck_assert_ptr_null(gmem_ptr_under_test(&vm, _gpa(4090), 8, false)); /* crosses a page */
	/* The registered state table: read yes, written never. */
	vm.table_pages = table_ptrs;
	vm.table_gpa = 0x3000;
	vm.table_nr = 100;
	ck_assert_int_eq(gmem_write(&vm, 0x3000 + 50, b, 8), -EACCES);
	ck_assert_int_eq(gmem_write(&vm, 0x3000 - 4, b, 8), -EACCES);
	ck_assert_int_eq(gmem_write_all_under_test(&vm, 0x3000 + 99, b, 1), -EACCES);
	ck_assert_ptr_null(gmem_ptr_under_test(&vm, _gpa(0x3000 + 8), 8, true));
	ck_assert_uint_eq(gets, 0); /* refused before any page was touched */
	ck_assert_int_eq(gmem_read(&vm, b, 0x3000, 8), 0);
	ck_assert_int_eq(gmem_write(&vm, 0x3000 + 100, b, 8), 0);
}
END_TEST

START_TEST(copies_across_pages)
{
	uint8_t in[6000], out[6000];

	for (unsigned int i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7);
	ck_assert_int_eq(gmem_write(&vm, 0x1f00, in, sizeof(in)), 0);
	ck_assert_int_eq(gmem_read(&vm, out, 0x1f00, sizeof(out)), 0);
	ck_assert_mem_eq(in, out, sizeof(in));
	ck_assert_uint_eq(ram[1 * PAGE_SIZE + 0xf00], in[0]);
	ck_assert_int_eq(gmem_write(&vm, 0x1f00, NULL, 16), 0); /* NULL: zeros */
	ck_assert_int_eq(gmem_read(&vm, out, 0x1f00, 16), 0);
	for (unsigned int i = 0; i < 16; i++)
		ck_assert_uint_eq(out[i], 0);
}
END_TEST

START_TEST(pins_all_or_nothing)
{
	uint8_t b[3 * 4096];

	memset(b, 0x55, sizeof(b));
	ck_assert_int_eq(gmem_pin(&vm, 0x1800, 2 * 4096), 0); /* pages 1, 2, 3 */
	ck_assert_int_eq(pins[1] + pins[2] + pins[3], 3);
	gmem_unpin(&vm, 0x1800, 2 * 4096);
	ck_assert_int_eq(pins[1] + pins[2] + pins[3], 0);
	/* A page that cannot be pinned: the pages before it are let go again. */
	busy_gfn = 3;
	ck_assert_int_eq(gmem_pin(&vm, 0x1000, 3 * 4096), -ENOMEM);
	ck_assert_int_eq(pins[1] + pins[2], 0);
	/* A dropped volatile page: write_all writes nothing at all. */
	busy_gfn = UINT64_MAX;
	discarded_gfn = 6;
	ck_assert_int_eq(gmem_write_all_under_test(&vm, 0x4000, b, sizeof(b)), -EDISCARDED);
	ck_assert_uint_eq(ram[4 * PAGE_SIZE], 0xaa);
	ck_assert_uint_eq(ram[5 * PAGE_SIZE], 0xaa);
	ck_assert_int_eq(gmem_pin(&vm, APIC_DEFAULT_BASE, 1), -EFAULT);
	ck_assert_int_eq(gmem_write_all_under_test(&vm, 0x9000, b, sizeof(b)), 0);
	ck_assert_uint_eq(ram[9 * PAGE_SIZE], 0x55);
}
END_TEST

/* Device pins (the virtio ring) go through the memory module, whose retry
 * takes the host out-of-memory path (stop a victim, try again); a pin that
 * still finds no frame fails cleanly with nothing left pinned. */
START_TEST(pins_take_the_host_oom_path)
{
	ck_assert_int_eq(gmem_pin(&vm, 0x2000, 2 * 4096), 0);
	ck_assert_uint_eq(pin_gets, 2);
	gmem_unpin(&vm, 0x2000, 2 * 4096);
	nomem_gfn = 3;
	ck_assert_int_eq(gmem_pin(&vm, 0x2000, 2 * 4096), -ENOMEM);
	ck_assert_uint_eq(pin_gets, 4);
	ck_assert_int_eq(pins[2], 0);
}
END_TEST

/* A hypercall buffer (gmem_write_all) while the host takes back paging-device
 * slots part by part: -ERESTART, nothing written or left pinned, for the
 * guest to execute the call again; a device's pin of the same page is not
 * told to come back later. */
START_TEST(hypercall_buffer_restarts)
{
	uint8_t b[2 * 4096];

	memset(b, 0x55, sizeof(b));
	restart_gfn = 8;
	ck_assert_int_eq(gmem_write_all_under_test(&vm, 0x7000, b, sizeof(b)), -ERESTART);
	ck_assert_int_eq(pins[7] + pins[8], 0);
	ck_assert_uint_eq(ram[7 * PAGE_SIZE], 0xaa);
	ck_assert_int_eq(gmem_pin(&vm, 0x8000, 4096), 0);
	gmem_unpin(&vm, 0x8000, 4096);
	restart_gfn = UINT64_MAX;
	ck_assert_int_eq(gmem_write_all_under_test(&vm, 0x7000, b, sizeof(b)), 0);
	ck_assert_uint_eq(ram[8 * PAGE_SIZE], 0x55);
	ck_assert_int_eq(pins[7] + pins[8], 0);
}
END_TEST

/* Ranges a guest gives up: whole pages of RAM, never the state table or a
 * hole; refused before mm is asked. */
START_TEST(discard_checks)
{
	static uint8_t *table_ptrs[1];

	ck_assert_int_eq(gmem_discard(&vm, 0x5000, 4 * 4096), 2);
	ck_assert_uint_eq(drop_first, 5);
	ck_assert_uint_eq(drop_count, 4);
	drop_first = UINT64_MAX;
	ck_assert_int_eq(gmem_discard(&vm, 0x5008, 4096), -EINVAL);
	ck_assert_int_eq(gmem_discard(&vm, 0x5000, 4095), -EINVAL);
	ck_assert_int_eq(gmem_discard(&vm, vm.mem_bytes - 4096, 8192), -ERANGE);
	ck_assert_int_eq(gmem_discard(&vm, 0x1000, UINT64_MAX - 4095), -ERANGE);
	ck_assert_int_eq(gmem_discard(&vm, APIC_DEFAULT_BASE - 4096, 8192), -EFAULT);
	vm.table_pages = table_ptrs;
	vm.table_gpa = 0x3000;
	vm.table_nr = 100;
	ck_assert_int_eq(gmem_discard(&vm, 0x2000, 2 * 4096), -EACCES);
	ck_assert_uint_eq(drop_first, UINT64_MAX); /* none reached mm */
	ck_assert_int_eq(gmem_discard(&vm, 0x4000, 4096), 0);
	ck_assert_uint_eq(drop_first, 4);
	vm.table_pages = NULL;
}
END_TEST

Suite *gmem_suite(void)
{
	Suite *s = suite_create("gmem");
	TCase *t = tcase_create("access");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, range_hole_and_table);
	tcase_add_test(t, copies_across_pages);
	tcase_add_test(t, pins_all_or_nothing);
	tcase_add_test(t, pins_take_the_host_oom_path);
	tcase_add_test(t, hypercall_buffer_restarts);
	tcase_add_test(t, discard_checks);
	suite_add_tcase(s, t);
	return s;
}
