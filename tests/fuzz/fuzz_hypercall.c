/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: a guest driving the hypercall ABI. The input is a
 * program of operations: hypercalls with arguments biased towards the
 * interesting values, guest loads and stores (through the real EPT, faults
 * into hv/hint/hint.c, hv/mem/pool.c and mm/), table bytes, #VE handling and host reclaim.
 * Long calls run in parts of a few gfns (hc_chunk_gfns from the input), and
 * one of them may stay in progress while other operations, calls included,
 * run between its parts, as the guest's interrupt handlers would.
 * Checked: ASan/UBSan, error codes of the ABI, registers kept across the
 * parts, mm_check() after every step, and the content of every page the
 * guest holds STABLE.
 */
#include "shim.h"

#include <base/console.h>
#include <hv/hint/hint.h>
#include <hv/mem/pool.h>
#include <string.h>

#define MAX_FRAMES 512

static struct vm vm;
/* The guest's view of each page: STABLE with a known first byte, or not. */
static bool stable[MAX_FRAMES], known[MAX_FRAMES];
static uint8_t want[MAX_FRAMES];
static unsigned int req[HV_BATCH_MAX]; /* states of the batch being built */

#define CALL_RIP 0x100000
#define CALL_RSP 0x80000    /* calls that complete before the next operation */
#define PENDING_RSP 0x90000 /* the call left in progress */

/* A long call the guest has started and not yet completed (ABI §3). */
static struct {
	bool on;
	uint64_t nr, a0, a1, a2;
} pending;

/* Pages the host writes itself: the table (its CASes) and the #VE area. */
static bool host_written(uint64_t gpa)
{
	return (vm.table_pages && gpa >= (vm.table_gpa & PAGE_MASK) &&
		gpa < vm.table_gpa + vm.table_nr) ||
	       (vm.vcpus[0].ve_registered && gpa >> PAGE_SHIFT == vm.vcpus[0].ve_area >> PAGE_SHIFT);
}

static void forget(uint64_t g)
{
	if (g < vm.nr_frames)
		known[g] = false;
}

/* The guest gave page g a state, by call or table byte. */
static void set_view(uint64_t g, bool to_stable)
{
	if (g >= vm.nr_frames)
		return;
	stable[g] = to_stable;
	known[g] = false; /* until the guest writes it again */
}

static void forget_range(uint64_t gpa, uint64_t n)
{
	for (uint64_t a = gpa & PAGE_MASK; a < gpa + n && a < vm.mem_bytes; a += PAGE_SIZE)
		forget(a >> PAGE_SHIFT);
}

/* A table byte of value b for page g (mm/internal.h tbl_state()). */
static void table_byte(uint64_t g, uint8_t b)
{
	set_view(g, !(b == 1 || b == 2 || b == 3 || b == 0x82 || b == 0x83));
}

static uint64_t arg(struct fz_in *in)
{
	switch (fz_take(in, 1) % 8) {
	case 0:
		return fz_take(in, 1);
	case 1:
		return fz_take(in, 2) % (vm.nr_frames + 2);
	case 2:
		return (fz_take(in, 2) % (vm.nr_frames + 1)) << PAGE_SHIFT;
	case 3:
		return vm.nr_frames;
	case 4:
		return vm.mem_bytes - (fz_take(in, 1) & 0x78);
	case 5:
		return fz_take(in, 1) % 4;
	default:
		return fz_take(in, 8);
	}
}

static bool abi_error(int64_t r)
{
	return r == -HV_EPERM || r == -HV_ENOMEM || r == -HV_EFAULT || r == -HV_EBUSY ||
	       r == -HV_EINVAL || r == -HV_ERANGE || r == -HV_ENOSYS;
}

/*
 * One execution of a call by a 64-bit guest at stack pointer rsp: true and
 * *r the result if it completed; false if it did a part of its work, the
 * registers as the guest left them.
 */
static bool enter(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, unsigned int cpl,
		  uint64_t rsp, int64_t *r)
{
	struct guest_regs want = { .rax = nr, .rbx = a0, .rcx = a1, .rdx = a2, .rsi = a2, .rsp = rsp };

	vm.vcpus[0].regs = want;
	if (!hypercall_handle(&vm.vcpus[0], cpl, true, CALL_RIP)) {
		if (memcmp(&vm.vcpus[0].regs, &want, sizeof(want)))
			panic("hypercall %#lx in progress changed the guest's registers", nr);
		return false;
	}
	*r = (int64_t)vm.vcpus[0].regs.rax;
	want.rax = vm.vcpus[0].regs.rax;
	if (memcmp(&vm.vcpus[0].regs, &want, sizeof(want)))
		panic("hypercall %#lx changed registers other than RAX", nr);
	if (*r < 0 && *r >= -4095 && !abi_error(*r))
		panic("hypercall %#lx returned %ld, not an ABI error code", nr, *r);
	return true;
}

/* A call executed until it completes, as a guest does. */
static int64_t call_rsp(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, unsigned int cpl,
			uint64_t rsp)
{
	unsigned int n = 0;
	int64_t r;

	while (!enter(nr, a0, a1, a2, cpl, rsp, &r))
		if (++n > 1000000)
			panic("hypercall %#lx still in progress after %u entries", nr, n);
	return r;
}

static int64_t call(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, unsigned int cpl)
{
	return call_rsp(nr, a0, a1, a2, cpl, CALL_RSP);
}

/* Side effects of a successful call on the guest's view. */
static void after_call(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, int64_t r)
{
	uint64_t *ent;

	if (r < 0)
		return;
	switch (nr) {
	case HV_HC_SET_PAGE_STATE:
		set_view(a0, a1 == HV_PAGE_STABLE);
		break;
	case HV_HC_SET_RANGE_STATE:
		for (uint64_t g = a0; g < a0 + a1; g++)
			set_view(g, a2 == HV_PAGE_STABLE);
		break;
	case HV_HC_SET_BATCH_STATE:
		/* The batch page holds the results now; read them back as the guest.
		 * req[] has the states if the harness built the batch, else any. */
		forget(a0 >> PAGE_SHIFT);
		ent = (uint64_t *)fz_guest_access(&vm, a0, false);
		for (uint64_t i = 0; ent && i < a1; i++)
			if (!(ent[i] & HV_BATCH_ERR))
				set_view(HV_BATCH_GFN(ent[i]), a2 == 1 && req[i] == HV_PAGE_STABLE);
		break;
	case HV_HC_REGISTER_TABLE:
		for (uint64_t g = 0; g < vm.nr_frames; g++) {
			uint8_t *b = fz_guest_access(&vm, a0 + g, false);

			if (b)
				table_byte(g, *b);
		}
		break;
	case HV_HC_REGISTER_VE_AREA:
		forget(a0 >> PAGE_SHIFT);
		break;
	case HV_HC_GET_STATS:
		forget_range(a0, (uint64_t)r);
		break;
	}
	/* A range call still in progress may yet change every page of its
	 * range (another call's view of them, e.g. a table registered meanwhile
	 * that shows them STABLE, holds only until then). */
	if (pending.on && pending.nr == HV_HC_SET_RANGE_STATE)
		for (uint64_t g = pending.a0; g < pending.a0 + pending.a1 && g < vm.nr_frames; g++)
			set_view(g, false);
}

/*
 * A call left in progress: until it completes, the pages it may change are
 * not the guest's to check (a range: its pages; a table registration: all,
 * the bytes it has not taken over yet are overwritten when it does).
 */
static void start_pending(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	pending = (typeof(pending)){ true, nr, a0, a1, a2 };
	if (nr == HV_HC_SET_RANGE_STATE)
		for (uint64_t g = a0; g < a0 + a1 && g < vm.nr_frames; g++)
			set_view(g, false);
	if (nr == HV_HC_REGISTER_TABLE)
		for (uint64_t g = 0; g < vm.nr_frames; g++)
			set_view(g, false);
}

/* The guest executes the call in progress once more. */
static void step_pending(bool to_the_end)
{
	int64_t r;

	if (!pending.on)
		return;
	if (to_the_end)
		r = call_rsp(pending.nr, pending.a0, pending.a1, pending.a2, 0, PENDING_RSP);
	else if (!enter(pending.nr, pending.a0, pending.a1, pending.a2, 0, PENDING_RSP, &r))
		return;
	pending.on = false;
	after_call(pending.nr, pending.a0, pending.a1, pending.a2, r);
}

static void store(uint64_t gpa, uint8_t val)
{
	uint64_t g = gpa >> PAGE_SHIFT;
	uint8_t *p = fz_guest_access(&vm, gpa, true);

	if (!p)
		return;
	*p = val;
	if (vm.table_pages && gpa >= vm.table_gpa && gpa - vm.table_gpa < vm.table_nr)
		table_byte(gpa - vm.table_gpa, val);
	if (pending.on && pending.nr == HV_HC_REGISTER_TABLE && vm.table_pages &&
	    gpa >= vm.table_gpa && gpa - vm.table_gpa < vm.table_nr)
		set_view(gpa - vm.table_gpa, false); /* may yet be taken over */
	if (stable[g] && (gpa & (PAGE_SIZE - 1)) == 0 && !host_written(gpa)) {
		known[g] = true;
		want[g] = val;
	}
}

static void load(uint64_t gpa)
{
	uint64_t g = gpa >> PAGE_SHIFT;
	uint8_t *p = fz_guest_access(&vm, gpa & PAGE_MASK, false);

	if (vm.state == VM_STOPPED)
		return;
	if (known[g] && stable[g] && !host_written(gpa)) {
		if (!p)
			panic("stable gfn %#lx: no content (discard fault)", g);
		if (*p != want[g])
			panic("stable gfn %#lx reads %#x, wrote %#x", g, *p, want[g]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	uint64_t nr, a0, a1, a2, g;
	unsigned int op, steps = 0;
	bool user;
	int64_t r;
	uint8_t cfg = (uint8_t)fz_take(&in, 1);

	fz_vm_create(&vm, (uint64_t)(16 + (cfg & 0x1f) * 16) << PAGE_SHIFT, !(cfg & 0x80));
	/* Bit 6: long calls in parts of 3 or 16 gfns (bit 5), not the hypervisor's 16,384. */
	hc_chunk_gfns = !(cfg & 0x40) ? HC_CHUNK_GFNS : cfg & 0x20 ? 3 : 16;
	memset(stable, 1, sizeof(stable));
	memset(known, 0, sizeof(known));
	pending.on = false;
	while (in.n > 0 && vm.state != VM_STOPPED && steps++ < 2000) {
		op = (unsigned int)fz_take(&in, 1);
		switch (op % 8) {
		case 0:
		case 1:
			nr = op & 0x80 ? fz_take(&in, 8) : fz_take(&in, 1) % (HV_HC_MAX + 2);
			a0 = arg(&in);
			a1 = arg(&in);
			a2 = arg(&in);
			user = (op & 0x70) == 0x70;
			/* Bit 3: a range, table or stats call may stay in progress. */
			if ((op & 0x08) && !pending.on && !user &&
			    (nr == HV_HC_SET_RANGE_STATE || nr == HV_HC_REGISTER_TABLE ||
			     nr == HV_HC_GET_STATS)) {
				if (!enter(nr, a0, a1, a2, 0, PENDING_RSP, &r)) {
					start_pending(nr, a0, a1, a2);
					break;
				}
			} else {
				r = call(nr, a0, a1, a2, user ? 3 : 0);
			}
			after_call(nr, a0, a1, nr == HV_HC_SET_BATCH_STATE ? 0 : a2, r);
			break;
		case 2: /* a batch the guest writes, then submits */
			a0 = (fz_take(&in, 2) % vm.nr_frames) << PAGE_SHIFT;
			a1 = fz_take(&in, 1) % 16 + 1;
			for (uint64_t i = 0; i < a1; i++) {
				uint64_t e;

				req[i] = (unsigned int)fz_take(&in, 1) % 5;
				e = HV_BATCH_ENTRY(fz_take(&in, 2) % (vm.nr_frames + 1), req[i]);
				for (unsigned int b = 0; b < 8; b++)
					store(a0 + i * 8 + b, (uint8_t)(e >> (8 * b)));
			}
			r = call(HV_HC_SET_BATCH_STATE, a0, a1, 0, 0);
			after_call(HV_HC_SET_BATCH_STATE, a0, a1, 1, r);
			break;
		case 3:
		case 4:
			g = fz_take(&in, 2) % vm.nr_frames;
			store(g << PAGE_SHIFT | (op & 0x80 ? fz_take(&in, 2) & 0xfff : 0),
			      (uint8_t)fz_take(&in, 1));
			break;
		case 5:
			load((fz_take(&in, 2) % vm.nr_frames) << PAGE_SHIFT);
			break;
		case 6: /* table byte, as the guest's CAS would leave it */
			if (vm.table_pages) {
				g = fz_take(&in, 2) % vm.nr_frames;
				store(vm.table_gpa + g, (uint8_t)fz_take(&in, 1));
			}
			break;
		default: /* the host: reclaim; the guest's #VE handler is done; the call in progress goes on */
			if (op & 0x80 && vm.vcpus[0].ve_registered)
				for (unsigned int b = 0; b < 4; b++)
					store(vm.vcpus[0].ve_area + 4 + b, 0);
			else if (op & 0x40 && pending.on)
				step_pending(false);
			else
				mm_reclaim(&hv_mm, (uint32_t)fz_take(&in, 1) % 64 + 1);
			break;
		}
		fz_mm_check();
	}
	if (vm.state != VM_STOPPED)
		step_pending(true);
	fz_vm_destroy(&vm);
	return 0;
}
