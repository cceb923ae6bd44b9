/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: hypercall dispatch and argument validation (hv/hypercall.c).
 * The hinting layer below is replaced by recording stubs, so each test sees
 * exactly which calls got through validation and with which arguments.
 */
#include "unit.h"
#include <errcode.h>
#include <hv/gmem.h>
#include <hv/hint.h>
#include <hv/vm.h>
#include <string.h>

static struct vm vm;
static struct vcpu *v = &vm.vcpu;
static unsigned int passed; /* calls that reached the hinting layer */
static uint64_t last[3];
static int64_t backend_rc; /* what the register-table stub returns */

int64_t hint_set_state(struct vm *m, gfn_t gfn, unsigned int state)
{
	passed++;
	last[0] = gfn_x(gfn);
	last[1] = state;
	return HV_PAGE_UNUSED;
}

int64_t hint_set_range(struct vm *m, gfn_t first, uint64_t count, unsigned int state)
{
	passed++;
	last[0] = gfn_x(first);
	last[1] = count;
	last[2] = state;
	return (int64_t)count;
}

int64_t hint_set_batch(struct vm *m, gpa_t entries, unsigned int count)
{
	passed++;
	last[0] = gpa_x(entries);
	last[1] = count;
	return count;
}

int64_t hint_get_state(struct vm *m, gfn_t gfn)
{
	passed++;
	return 0;
}

int64_t hint_register_table(struct vm *m, gpa_t gpa, uint64_t nr)
{
	passed++;
	return backend_rc;
}

int64_t hint_register_ve_area(struct vcpu *c, gpa_t gpa)
{
	passed++;
	return 0;
}

void hint_get_stats(struct vm *m, struct hv_vm_stats *st)
{
	memset(st, 0, sizeof(*st));
}

int gmem_write_all(struct vm *m, uint64_t gpa, const void *src, size_t n)
{
	passed++;
	return 0;
}


static int64_t call(unsigned int cpl, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	v->regs = (struct guest_regs){ .rax = nr, .rbx = a0, .rcx = a1, .rdx = a2 };
	return (int64_t)hv_hypercall(v, cpl, true);
}

static void setup(void)
{
	memset(&vm, 0, sizeof(vm));
	vm.mem_bytes = 16 << 20;
	vm.nr_frames = vm.mem_bytes >> 12;
	v->vm = &vm;
	passed = 0;
	backend_rc = 0;
}

START_TEST(numbers_and_privilege)
{
	ck_assert_int_eq(call(0, HV_HC_GET_VERSION, 0, 0, 0), HV_ABI_VERSION);
	ck_assert_int_eq(call(0, 0, 0, 0, 0), -HV_ENOSYS);
	ck_assert_int_eq(call(0, HV_HC_MAX + 1, 0, 0, 0), -HV_ENOSYS);
	ck_assert_int_eq(call(0, ~0ULL, 0, 0, 0), -HV_ENOSYS);
	ck_assert_int_eq(call(3, HV_HC_GET_VERSION, 0, 0, 0), -HV_EPERM);
	ck_assert_int_eq(call(1, HV_HC_SET_PAGE_STATE, 1, 1, 0), -HV_EPERM);
	ck_assert_int_eq(call(3, 77, 0, 0, 0), -HV_ENOSYS); /* unknown beats privilege */
	ck_assert_uint_eq(passed, 0);
	ck_assert_uint_eq(vm.hypercalls[HV_HC_GET_VERSION], 2);
	ck_assert_uint_eq(vm.hypercalls[HV_HC_MAX + 1], 4);
}
END_TEST

START_TEST(page_and_range_arguments)
{
	uint64_t n = vm.nr_frames;

	ck_assert_int_eq(call(0, HV_HC_SET_PAGE_STATE, n, 1, 0), -HV_ERANGE);
	ck_assert_int_eq(call(0, HV_HC_SET_PAGE_STATE, 5, 4, 0), -HV_EINVAL);
	ck_assert_int_eq(call(0, HV_HC_SET_PAGE_STATE, n - 1, 3, 0), HV_PAGE_UNUSED);
	ck_assert_uint_eq(last[0], n - 1);
	ck_assert_int_eq(call(0, HV_HC_SET_RANGE_STATE, 0, 0, 1), -HV_EINVAL);
	ck_assert_int_eq(call(0, HV_HC_SET_RANGE_STATE, 10, n - 9, 1), -HV_ERANGE);
	ck_assert_int_eq(call(0, HV_HC_SET_RANGE_STATE, 10, ~0ULL - 5, 1), -HV_ERANGE);
	ck_assert_int_eq(call(0, HV_HC_SET_RANGE_STATE, 10, n - 10, 2), (int64_t)(n - 10));
	ck_assert_int_eq(call(0, HV_HC_GET_PAGE_STATE, n, 0, 0), -HV_ERANGE);
	ck_assert_uint_eq(passed, 2);
}
END_TEST

START_TEST(buffer_arguments)
{
	uint64_t ram = vm.mem_bytes;

	ck_assert_int_eq(call(0, HV_HC_SET_BATCH_STATE, 0x10008, 1, 0), -HV_EINVAL);
	ck_assert_int_eq(call(0, HV_HC_SET_BATCH_STATE, 0x10000, 0, 0), -HV_EINVAL);
	ck_assert_int_eq(call(0, HV_HC_SET_BATCH_STATE, 0x10000, HV_BATCH_MAX + 1, 0), -HV_EINVAL);
	ck_assert_int_eq(call(0, HV_HC_SET_BATCH_STATE, ram, 1, 0), -HV_EFAULT);
	ck_assert_int_eq(call(0, HV_HC_SET_BATCH_STATE, 0x10000, HV_BATCH_MAX, 0), HV_BATCH_MAX);
	ck_assert_int_eq(call(0, HV_HC_REGISTER_TABLE, 0x10000, vm.nr_frames + 1, 0), -HV_EINVAL);
	ck_assert_int_eq(call(0, HV_HC_REGISTER_TABLE, 0x10001, vm.nr_frames, 0), -HV_EINVAL);
	ck_assert_int_eq(call(0, HV_HC_REGISTER_TABLE, ram, vm.nr_frames, 0), -HV_EFAULT);
	ck_assert_int_eq(call(0, HV_HC_REGISTER_TABLE, ram + (1ULL << 40), vm.nr_frames, 0),
			 -HV_EFAULT);
	/* One byte per gfn: a 16 MiB guest's table fits the last page exactly. */
	ck_assert_int_eq(call(0, HV_HC_REGISTER_TABLE, ram - 4096, vm.nr_frames, 0), 0);
	ck_assert_int_eq(call(0, HV_HC_REGISTER_VE_AREA, 0x2020, 0, 0), -HV_EINVAL);
	ck_assert_int_eq(call(0, HV_HC_REGISTER_VE_AREA, ram, 0, 0), -HV_EFAULT);
	ck_assert_int_eq(call(0, HV_HC_GET_STATS, 0x3000, 0, 0), -HV_EINVAL);
	ck_assert_int_eq(call(0, HV_HC_GET_STATS, 0x3004, 8, 0), -HV_EINVAL);
	ck_assert_int_eq(call(0, HV_HC_GET_STATS, ram - 8, 16, 0), -HV_EFAULT);
	ck_assert_int_eq(call(0, HV_HC_GET_STATS, ~0ULL & ~7ULL, 16, 0), -HV_EFAULT);
	ck_assert_int_eq(call(0, HV_HC_GET_STATS, 0x3000, 1 << 20, 0),
			 (int64_t)sizeof(struct hv_vm_stats));
	ck_assert_uint_eq(passed, 3);
}
END_TEST

/* Buffers the host writes may not overlap the registered table. */
START_TEST(buffers_off_the_table)
{
	vm.table_pages = (uint8_t **)&vm; /* registered: any non-NULL pointer */
	vm.table_gpa = 0x40000;
	vm.table_nr = vm.nr_frames; /* one page */
	ck_assert(vm_on_table(&vm, 0x40fff, 1));
	ck_assert(!vm_on_table(&vm, 0x41000, 8));
	ck_assert_int_eq(call(0, HV_HC_GET_STATS, 0x40ff8, 16, 0), -HV_EFAULT);
	ck_assert_int_eq(call(0, HV_HC_SET_BATCH_STATE, 0x40000, 1, 0), -HV_EFAULT);
	ck_assert_int_eq(call(0, HV_HC_REGISTER_VE_AREA, 0x40040, 0, 0), -HV_EFAULT);
	ck_assert_uint_eq(passed, 0);
	ck_assert_int_eq(call(0, HV_HC_GET_STATS, 0x3ff00, 256, 0), (int64_t)sizeof(struct hv_vm_stats));
	ck_assert_int_eq(call(0, HV_HC_REGISTER_VE_AREA, 0x41000, 0, 0), 0);
	vm.table_pages = NULL;
	/* And a table may not cover the vCPU's #VE area. */
	v->ve_registered = true;
	v->ve_area = 0x50000;
	ck_assert_int_eq(call(0, HV_HC_REGISTER_TABLE, 0x50000, vm.nr_frames, 0), -HV_EFAULT);
	ck_assert_int_eq(call(0, HV_HC_REGISTER_TABLE, 0x51000, vm.nr_frames, 0), 0);
	/* Nor the virtio-blk queue (its used ring is written with plain stores). */
	v->ve_registered = false;
	vm.blk.queue_pfn = 0x60; /* the device's pinned ring: 0x60000-0x61fff */
	vm.blk.pinned = true;
	ck_assert_int_eq(call(0, HV_HC_REGISTER_TABLE, 0x61000, vm.nr_frames, 0), -HV_EFAULT);
	vm.blk.pinned = false; /* queue reset */
	ck_assert_int_eq(call(0, HV_HC_REGISTER_TABLE, 0x61000, vm.nr_frames, 0), 0);
	ck_assert_int_eq(call(0, HV_HC_REGISTER_TABLE, 0x62000, vm.nr_frames, 0), 0);
}
END_TEST

/* Not in 64-bit mode: only the low halves of the registers count, as KVM. */
START_TEST(not_long_mode_truncates)
{
	v->regs = (struct guest_regs){ .rax = 0xdead000000000000ULL | HV_HC_SET_PAGE_STATE,
				       .rbx = 0xffffffff00000005ULL, .rcx = 0x1234567800000002ULL };
	ck_assert_uint_eq(hv_hypercall(v, 0, false), HV_PAGE_UNUSED);
	ck_assert_uint_eq(last[0], 5);
	ck_assert_uint_eq(last[1], 2);
	/* The same registers in 64-bit mode: an unknown number. */
	ck_assert_uint_eq(hv_hypercall(v, 0, true), (uint64_t)-HV_ENOSYS);
	/* Errors are 32-bit values then. */
	v->regs = (struct guest_regs){ .rax = HV_HC_SET_PAGE_STATE, .rbx = vm.nr_frames };
	ck_assert_uint_eq(hv_hypercall(v, 0, false), (uint32_t)-HV_ERANGE);
}
END_TEST

/* A guest over 4 GiB: the APIC page is a hole, never a hypercall buffer. */
START_TEST(apic_page_is_a_hole)
{
	const uint64_t apic = 0xfee00000;

	vm.mem_bytes = 5ULL << 30;
	vm.nr_frames = vm.mem_bytes >> 12;
	ck_assert(!vm_is_ram(&vm, apic, 1));
	ck_assert(!vm_is_ram(&vm, apic - 8, 16));
	ck_assert(vm_is_ram(&vm, apic - 4096, 4096));
	ck_assert(vm_is_ram(&vm, apic + 4096, 4096));
	ck_assert_int_eq(call(0, HV_HC_SET_BATCH_STATE, apic, 1, 0), -HV_EFAULT);
	ck_assert_int_eq(call(0, HV_HC_REGISTER_VE_AREA, apic + 0xfc0, 0, 0), -HV_EFAULT);
	ck_assert_int_eq(call(0, HV_HC_GET_STATS, apic - 8, 16, 0), -HV_EFAULT);
	ck_assert_int_eq(call(0, HV_HC_REGISTER_TABLE, apic - 0x10000, vm.nr_frames, 0),
			 -HV_EFAULT);
	ck_assert_uint_eq(passed, 0);
	ck_assert_int_eq(call(0, HV_HC_GET_STATS, apic + 4096, 16, 0), 16);
	ck_assert_int_eq(call(0, HV_HC_REGISTER_TABLE, apic + 4096, vm.nr_frames, 0), 0);
}
END_TEST

/* Internal errors of a back end reach the guest as the ABI's codes, and
 * only those: hypercall.c is the one place they are mapped. */
START_TEST(internal_errors_become_abi_codes)
{
	static const struct {
		int64_t internal, abi;
	} map[] = {
		{ 0, 0 },
		{ -ENOMEM, -HV_ENOMEM },   { -ENOSPC, -HV_ENOMEM }, { -EFAULT, -HV_EFAULT },
		{ -EACCES, -HV_EFAULT },   { -EDISCARDED, -HV_EFAULT }, { -EIO, -HV_EFAULT },
		{ -EBUSY, -HV_EBUSY },     { -ERANGE, -HV_ERANGE }, { -EINVAL, -HV_EINVAL },
		{ -EPERM, -HV_EPERM },     { -EEXIST, -HV_EINVAL }, { -ENOENT, -HV_EINVAL },
	};

	for (unsigned int i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		backend_rc = map[i].internal;
		ck_assert_int_eq(call(0, HV_HC_REGISTER_TABLE, 0x10000, vm.nr_frames, 0), map[i].abi);
	}
	ck_assert_uint_eq(passed, sizeof(map) / sizeof(map[0]));
}
END_TEST

Suite *hypercall_suite(void)
{
	Suite *s = suite_create("hypercall");
	TCase *t = tcase_create("validation");

	tcase_add_checked_fixture(t, setup, NULL);
	tcase_add_test(t, numbers_and_privilege);
	tcase_add_test(t, page_and_range_arguments);
	tcase_add_test(t, buffer_arguments);
	tcase_add_test(t, apic_page_is_a_hole);
	tcase_add_test(t, not_long_mode_truncates);
	tcase_add_test(t, buffers_off_the_table);
	tcase_add_test(t, internal_errors_become_abi_codes);
	suite_add_tcase(s, t);
	return s;
}
