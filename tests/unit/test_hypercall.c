/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: hypercall dispatch and argument validation (hv/hint/hypercall.c),
 * and long calls done in parts (continuations). The hinting layer below is
 * replaced by recording stubs, so each test sees exactly which calls got
 * through validation and with which arguments.
 */
#include "unit.h"
#include <errcode.h>
#include <hv/mem/gmem.h>
#include <hv/hint/hint.h>
#include <hv/vm/vm.h>
#include <string.h>

static struct vm vm;
static struct vcpu *v = &vm.vcpus[0];
static unsigned int passed; /* calls that reached the hinting layer */
static uint64_t last[3];
static int64_t backend_rc; /* what the register-table stub returns */
static unsigned int table_parts; /* ... after that many -ERESTART */
static uint64_t parts[64];  /* first gfn of each part the range stub got */
static unsigned int nparts, fail_part; /* fail_part: the range stub fails that part (1-based) */
static unsigned int nentries; /* entries the last call() took */
static struct hv_vm_stats written; /* what GET_STATS wrote */

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
	if (nparts < 64)
		parts[nparts] = gfn_x(first);
	if (++nparts == fail_part)
		return -ENOMEM;
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

int64_t hint_register_table(struct vm *m, gpa_t gpa, uint64_t nr, uint64_t budget)
{
	passed++;
	ck_assert_uint_eq(budget, hc_chunk_gfns);
	if (table_parts) {
		table_parts--;
		return -ERESTART;
	}
	return backend_rc;
}

int64_t hint_register_ve_area(struct vcpu *c, gpa_t gpa)
{
	passed++;
	return 0;
}

/* Resets budget gfns per part, each counted as changed. */
int64_t hint_reset(struct vm *m, uint64_t *next, uint64_t budget, uint64_t *changed)
{
	uint64_t end = m->nr_frames - *next > budget ? *next + budget : m->nr_frames;

	passed++;
	*changed += end - *next;
	*next = end;
	return end < m->nr_frames ? -ERESTART : (int64_t)*changed;
}

/* Counts each gfn as STABLE and resident, budget gfns at a time. */
int64_t hint_count_pages(struct vm *m, uint64_t *next, uint64_t budget, uint64_t pages[4][3])
{
	uint64_t end = m->nr_frames - *next > budget ? *next + budget : m->nr_frames;

	pages[0][0] += end - *next;
	*next = end;
	return end < m->nr_frames ? -ERESTART : 0;
}

void hint_stats_of(struct vm *m, const uint64_t pages[4][3], struct hv_vm_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->pages[0][0] = pages[0][0];
}

int gmem_write_all(struct vm *m, uint64_t gpa, const void *src, size_t n)
{
	passed++;
	memcpy(&written, src, MIN(n, sizeof(written)));
	return 0;
}


/*
 * A 64-bit guest's call at rip with stack pointer rsp, executed again as long
 * as the host asks (nentries counts them): the registers must be as the guest
 * left them each time, and only RAX changes when the call completes.
 */
static int64_t call_at(uint64_t rip, uint64_t rsp, unsigned int cpl, uint64_t nr, uint64_t a0,
		       uint64_t a1, uint64_t a2)
{
	struct guest_regs want = { .rax = nr, .rbx = a0, .rcx = a1, .rdx = a2, .rsp = rsp };

	v->regs = want;
	for (nentries = 1; !hypercall_handle(v, cpl, true, rip); nentries++) {
		ck_assert_mem_eq(&v->regs, &want, sizeof(want));
		ck_assert_uint_lt(nentries, 1000000);
	}
	want.rax = v->regs.rax;
	ck_assert_mem_eq(&v->regs, &want, sizeof(want));
	return (int64_t)v->regs.rax;
}

static int64_t call(unsigned int cpl, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	return call_at(0x100000, 0x80000, cpl, nr, a0, a1, a2);
}

/* One entry of a call at rip/rsp: true if it completed. */
static bool enter(uint64_t rip, uint64_t rsp, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	v->regs = (struct guest_regs){ .rax = nr, .rbx = a0, .rcx = a1, .rdx = a2, .rsp = rsp };
	return hypercall_handle(v, 0, true, rip);
}

static void setup(void)
{
	memset(&vm, 0, sizeof(vm));
	vm.mem_bytes = 16 << 20;
	vm.nr_frames = vm.mem_bytes >> 12;
	v->vm = &vm;
	passed = 0;
	backend_rc = 0;
	table_parts = 0;
	nparts = fail_part = 0;
	hc_chunk_gfns = HC_CHUNK_GFNS;
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
	vm.has_blk = true;
	vm.blk.q.pfn = 0x60; /* the device's pinned ring: 0x60000-0x61fff */
	vm.blk.q.pinned = true;
	ck_assert_int_eq(call(0, HV_HC_REGISTER_TABLE, 0x61000, vm.nr_frames, 0), -HV_EFAULT);
	vm.blk.q.pinned = false; /* queue reset */
	ck_assert_int_eq(call(0, HV_HC_REGISTER_TABLE, 0x61000, vm.nr_frames, 0), 0);
	ck_assert_int_eq(call(0, HV_HC_REGISTER_TABLE, 0x62000, vm.nr_frames, 0), 0);
	/* Nor a queue of the balloon, the last of its four for one. */
	vm.has_balloon = true;
	vm.balloon.q[3].pfn = 0x70;
	vm.balloon.q[3].pinned = true;
	ck_assert_int_eq(call(0, HV_HC_REGISTER_TABLE, 0x71000, vm.nr_frames, 0), -HV_EFAULT);
	vm.balloon.q[3].pinned = false;
	ck_assert_int_eq(call(0, HV_HC_REGISTER_TABLE, 0x71000, vm.nr_frames, 0), 0);
	vm.has_blk = vm.has_balloon = false;
}
END_TEST

/* The reset call takes no arguments: whatever is in the registers, it reaches
 * the back end at CPL 0 only, in parts, and it is offered as a feature. */
START_TEST(reset_call)
{
	ck_assert(call(0, HV_HC_GET_FEATURES, 0, 0, 0) & HV_FEAT_RESET);
	ck_assert_int_eq(call(3, HV_HC_RESET, 0, 0, 0), -HV_EPERM);
	ck_assert_uint_eq(passed, 0);
	ck_assert_int_eq(call(0, HV_HC_RESET, ~0ULL, 1, 2), vm.nr_frames);
	ck_assert_uint_eq(passed, 1);
	ck_assert_uint_eq(vm.hypercalls[HV_HC_RESET], 2);
	/* A long call: a part per entry until every gfn is done. */
	hc_chunk_gfns = 1000;
	passed = 0;
	ck_assert_int_eq(call(0, HV_HC_RESET, 0, 0, 0), vm.nr_frames);
	ck_assert_uint_eq(nentries, (vm.nr_frames + 999) / 1000);
	ck_assert_uint_eq(passed, nentries);
}
END_TEST

/* Not in 64-bit mode: only the low halves of the registers count, as KVM. */
START_TEST(not_long_mode_truncates)
{
	v->regs = (struct guest_regs){ .rax = 0xdead000000000000ULL | HV_HC_SET_PAGE_STATE,
				       .rbx = 0xffffffff00000005ULL, .rcx = 0x1234567800000002ULL };
	ck_assert(hypercall_handle(v, 0, false, 0x1000));
	ck_assert_uint_eq(v->regs.rax, HV_PAGE_UNUSED);
	ck_assert_uint_eq(last[0], 5);
	ck_assert_uint_eq(last[1], 2);
	/* The same registers in 64-bit mode: an unknown number. */
	v->regs.rax = 0xdead000000000000ULL | HV_HC_SET_PAGE_STATE;
	ck_assert(hypercall_handle(v, 0, true, 0x1000));
	ck_assert_uint_eq(v->regs.rax, (uint64_t)-HV_ENOSYS);
	/* Errors are 32-bit values then. */
	v->regs = (struct guest_regs){ .rax = HV_HC_SET_PAGE_STATE, .rbx = vm.nr_frames };
	ck_assert(hypercall_handle(v, 0, false, 0x1000));
	ck_assert_uint_eq(v->regs.rax, (uint32_t)-HV_ERANGE);
	/* A long call in parts: the low halves are the call, each time. */
	hc_chunk_gfns = 1000;
	v->regs = (struct guest_regs){ .rax = 0xffffffff00000000ULL | HV_HC_SET_RANGE_STATE,
				       .rbx = 0x100000000ULL | 16, .rcx = 0x200000000ULL | 4000,
				       .rdx = 0x300000000ULL | 1 };
	for (nentries = 1; !hypercall_handle(v, 0, false, 0x1000); nentries++)
		ck_assert_uint_eq(v->regs.rax, 0xffffffff00000000ULL | HV_HC_SET_RANGE_STATE);
	ck_assert_uint_eq(nentries, 4);
	ck_assert_uint_eq(v->regs.rax, 4000);
	ck_assert_uint_eq(parts[3], 3016);
}
END_TEST

/*
 * A call whose work grows with guest RAM runs in parts of hc_chunk_gfns: the
 * guest executes it again with the same registers until it completes, and
 * sees one call with one result; the host counts one hypercall and the
 * nentries after the first as continuations.
 */
START_TEST(long_range_in_parts)
{
	hc_chunk_gfns = 100;
	ck_assert_int_eq(call(0, HV_HC_SET_RANGE_STATE, 10, 1000, 2), 1000);
	ck_assert_uint_eq(nentries, 10);
	ck_assert_uint_eq(nparts, 10);
	for (unsigned int i = 0; i < 10; i++)
		ck_assert_uint_eq(parts[i], 10 + 100 * i);
	ck_assert_uint_eq(last[1], 100);
	ck_assert_uint_eq(vm.hypercalls[HV_HC_SET_RANGE_STATE], 1);
	ck_assert_uint_eq(vm.hc_continued, 9);
	/* A part that fails ends the call with its error; the next call starts afresh. */
	nparts = 0;
	fail_part = 3;
	ck_assert_int_eq(call(0, HV_HC_SET_RANGE_STATE, 10, 1000, 2), -HV_ENOMEM);
	ck_assert_uint_eq(nentries, 3);
	nparts = 0;
	fail_part = 0;
	ck_assert_int_eq(call(0, HV_HC_SET_RANGE_STATE, 10, 1000, 2), 1000);
	ck_assert_uint_eq(parts[0], 10);
	ck_assert_uint_eq(nentries, 10);
	/* One part, one entry. */
	ck_assert_int_eq(call(0, HV_HC_SET_RANGE_STATE, 0, 100, 2), 100);
	ck_assert_uint_eq(nentries, 1);
}
END_TEST

/*
 * Calls the guest makes while a long one is in progress (from an interrupt
 * handler: another stack pointer, or another instruction) are calls of their
 * own; the interrupted one goes on where it stopped when executed again. A
 * fifth call in progress displaces the one used longest ago, which starts
 * over; a call at CPL 3 is refused, whatever is in progress.
 */
START_TEST(calls_in_progress_are_separate)
{
	hc_chunk_gfns = 100;
	ck_assert(!enter(0x1000, 0x8000, HV_HC_SET_RANGE_STATE, 0, 1000, 1));
	ck_assert(!enter(0x1000, 0x8000, HV_HC_SET_RANGE_STATE, 0, 1000, 1));
	ck_assert_int_eq(call_at(0x1000, 0x7000, 0, HV_HC_SET_RANGE_STATE, 0, 1000, 1), 1000);
	ck_assert_uint_eq(nentries, 10);
	ck_assert_int_eq(call_at(0x2000, 0x8000, 0, HV_HC_SET_RANGE_STATE, 0, 1000, 1), 1000);
	ck_assert_uint_eq(nentries, 10);
	ck_assert_int_eq(call_at(0x1000, 0x8000, 3, HV_HC_SET_RANGE_STATE, 0, 1000, 1), -HV_EPERM);
	/* The first goes on: eight parts left. */
	ck_assert_int_eq(call_at(0x1000, 0x8000, 0, HV_HC_SET_RANGE_STATE, 0, 1000, 1), 1000);
	ck_assert_uint_eq(nentries, 8);
	ck_assert_uint_eq(vm.hypercalls[HV_HC_SET_RANGE_STATE], 4);
	/* Five in progress: the oldest is displaced and starts over. */
	for (uint64_t k = 0; k < 5; k++)
		ck_assert(!enter(0x1000, 0x8000 + 0x100 * k, HV_HC_SET_RANGE_STATE, 0, 1000, 1));
	ck_assert_int_eq(call_at(0x1000, 0x8000, 0, HV_HC_SET_RANGE_STATE, 0, 1000, 1), 1000);
	ck_assert_uint_eq(nentries, 10);
	ck_assert_int_eq(call_at(0x1000, 0x8400, 0, HV_HC_SET_RANGE_STATE, 0, 1000, 1), 1000);
	ck_assert_uint_eq(nentries, 9);
}
END_TEST

/* GET_STATS counts a table's bytes in parts and writes once, at the end;
 * REGISTER_TABLE goes on as long as the back end asks. */
START_TEST(stats_and_table_in_parts)
{
	hc_chunk_gfns = 1000;
	memset(&written, 0xff, sizeof(written));
	ck_assert_int_eq(call(0, HV_HC_GET_STATS, 0x3000, sizeof(written), 0),
			 (int64_t)sizeof(written));
	ck_assert_uint_eq(nentries, 5); /* 4096 gfns */
	ck_assert_uint_eq(passed, 1);
	ck_assert_uint_eq(written.pages[0][0], vm.nr_frames);
	table_parts = 6;
	ck_assert_int_eq(call(0, HV_HC_REGISTER_TABLE, 0x10000, vm.nr_frames, 0), 0);
	ck_assert_uint_eq(nentries, 7);
	ck_assert_uint_eq(vm.hypercalls[HV_HC_REGISTER_TABLE], 1);
	ck_assert_uint_eq(vm.hc_continued, 4 + 6);
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
	tcase_add_test(t, long_range_in_parts);
	tcase_add_test(t, calls_in_progress_are_separate);
	tcase_add_test(t, stats_and_table_in_parts);
	tcase_add_test(t, reset_call);
	suite_add_tcase(s, t);
	return s;
}
