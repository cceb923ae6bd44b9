/* SPDX-License-Identifier: MIT */
/*
 * Hypercall dispatch (ABI: guest-abi/hintvisor.h, guest-abi/ABI.md). Every
 * call's arguments are decoded from the registers into one struct and
 * validated here, before any subsystem sees them. The calls work in the
 * hypervisor's error space (errcode.h); dispatch() alone turns a negative
 * result into the ABI's HV_E* code. A call whose work grows with guest RAM
 * does a bounded part per exit and keeps its progress in the vCPU until the
 * guest executes it again (long calls, ABI.md §3). Hypervisor context, on a
 * VMCALL/VMMCALL exit.
 */
#include <asm/guest_cpu.h>
#include <errcode.h>
#include <hv/mem/gmem.h>
#include <hv/hint/hint.h>
#include <hv/vm/vm.h>
#include <string.h>

struct hc_args {
	uint64_t nr, a0, a1, a2, a3; /* RAX; RBX, RCX, RDX, RSI */
};

/* A call's handler gets its progress in c (zero when the call starts) and
 * returns the result, or -ERESTART after a bounded part of its work. */
typedef int64_t (*hc_fn)(struct vcpu *v, const struct hc_args *a, struct hc_cont *c);

uint64_t hc_chunk_gfns = HC_CHUNK_GFNS;

static int64_t hc_get_version(struct vcpu *v, const struct hc_args *a, struct hc_cont *c)
{
	return HV_ABI_VERSION;
}

static int64_t hc_get_features(struct vcpu *v, const struct hc_args *a, struct hc_cont *c)
{
	return GUEST_HV_FEATURES;
}

static bool gfn_ok(const struct vm *vm, uint64_t gfn)
{
	return gfn < vm->nr_frames;
}

static int64_t hc_set_page_state(struct vcpu *v, const struct hc_args *a, struct hc_cont *c)
{
	if (!gfn_ok(v->vm, a->a0))
		return -ERANGE;
	if (a->a1 > HV_PAGE_POT_VOLATILE)
		return -EINVAL;
	return hint_set_state(v->vm, _gfn(a->a0), (unsigned int)a->a1);
}

static int64_t hc_set_range_state(struct vcpu *v, const struct hc_args *a, struct hc_cont *c)
{
	uint64_t n;
	int64_t rc;

	if (a->a2 > HV_PAGE_POT_VOLATILE || a->a1 == 0)
		return -EINVAL;
	if (!gfn_ok(v->vm, a->a0) || a->a1 > v->vm->nr_frames - a->a0)
		return -ERANGE;
	n = MIN(a->a1 - c->done, hc_chunk_gfns);
	rc = hint_set_range(v->vm, _gfn(a->a0 + c->done), n, (unsigned int)a->a2);
	if (rc < 0)
		return rc;
	c->result += rc;
	c->done += n;
	return c->done < a->a1 ? -ERESTART : c->result;
}

static int64_t hc_set_batch_state(struct vcpu *v, const struct hc_args *a, struct hc_cont *c)
{
	if (a->a0 & (PAGE_SIZE - 1) || a->a1 == 0 || a->a1 > HV_BATCH_MAX)
		return -EINVAL;
	if (!vm_is_ram(v->vm, a->a0, a->a1 * 8) || vm_on_table(v->vm, a->a0, a->a1 * 8))
		return -EFAULT;
	return hint_set_batch(v->vm, _gpa(a->a0), (unsigned int)a->a1);
}

static int64_t hc_get_page_state(struct vcpu *v, const struct hc_args *a, struct hc_cont *c)
{
	if (!gfn_ok(v->vm, a->a0))
		return -ERANGE;
	return hint_get_state(v->vm, _gfn(a->a0));
}

static int64_t hc_register_table(struct vcpu *v, const struct hc_args *a, struct hc_cont *c)
{
	struct vm *vm = v->vm;

	if (a->a0 & (PAGE_SIZE - 1) || a->a1 != vm->nr_frames)
		return -EINVAL;
	if (!vm_is_ram(vm, a->a0, a->a1) ||
	    (v->ve_registered && ranges_overlap(a->a0, a->a1, v->ve_area, sizeof(struct hv_ve_info))) ||
	    vm_rings_overlap(vm, a->a0, a->a1))
		return -EFAULT;
	return hint_register_table(vm, _gpa(a->a0), a->a1, hc_chunk_gfns);
}

static int64_t hc_register_ve_area(struct vcpu *v, const struct hc_args *a, struct hc_cont *c)
{
	struct vm *vm = v->vm;

	if (a->a0 & 63)
		return -EINVAL;
	if (!vm_is_ram(vm, a->a0, sizeof(struct hv_ve_info)) ||
	    vm_on_table(vm, a->a0, sizeof(struct hv_ve_info)))
		return -EFAULT;
	return hint_register_ve_area(v, _gpa(a->a0));
}

static int64_t hc_get_stats(struct vcpu *v, const struct hc_args *a, struct hc_cont *c)
{
	struct hv_vm_stats st;
	size_t n = MIN(a->a1, sizeof(st));
	int64_t rc;

	if (a->a1 == 0 || a->a0 & 7)
		return -EINVAL;
	if (!vm_is_ram(v->vm, a->a0, n) || vm_on_table(v->vm, a->a0, n))
		return -EFAULT;
	/* With a table, counting the pages reads every byte: in parts. */
	rc = hint_count_pages(v->vm, &c->done, hc_chunk_gfns, c->pages);
	if (rc)
		return rc;
	hint_stats_of(v->vm, c->pages, &st);
	rc = gmem_write_all(v->vm, a->a0, &st, n);
	return rc ? rc : (int64_t)n;
}

static int64_t hc_reset(struct vcpu *v, const struct hc_args *a, struct hc_cont *c)
{
	uint64_t changed = (uint64_t)c->result;
	int64_t rc;

	/* Every gfn, with a table every byte: in parts. */
	rc = hint_reset(v->vm, &c->done, hc_chunk_gfns, &changed);
	c->result = (int64_t)changed;
	return rc;
}

static const hc_fn hypercalls[HV_HC_MAX + 1] = {
	[HV_HC_GET_VERSION] = hc_get_version,
	[HV_HC_GET_FEATURES] = hc_get_features,
	[HV_HC_SET_PAGE_STATE] = hc_set_page_state,
	[HV_HC_SET_RANGE_STATE] = hc_set_range_state,
	[HV_HC_SET_BATCH_STATE] = hc_set_batch_state,
	[HV_HC_GET_PAGE_STATE] = hc_get_page_state,
	[HV_HC_REGISTER_TABLE] = hc_register_table,
	[HV_HC_REGISTER_VE_AREA] = hc_register_ve_area,
	[HV_HC_GET_STATS] = hc_get_stats,
	[HV_HC_RESET] = hc_reset,
};

/*
 * The one place an internal error becomes a guest-visible one (ABI.md §3).
 * A guest-physical argument the host cannot use (a hole, the state table,
 * a dropped page, a paging-device error) is -HV_EFAULT; a host short of
 * frames or paging-device slots is -HV_ENOMEM.
 */
static int64_t abi_error(int64_t rc)
{
	if (rc >= 0)
		return rc;
	switch (-rc) {
	case EPERM: return -HV_EPERM;
	case ENOMEM:
	case ENOSPC: return -HV_ENOMEM;
	case EFAULT:
	case EACCES:
	case EDISCARDED:
	case EIO: return -HV_EFAULT;
	case EBUSY: return -HV_EBUSY;
	case ERANGE: return -HV_ERANGE;
	default: return -HV_EINVAL;
	}
}

/* The call in progress that this one continues: same instruction, stack
 * pointer, number and arguments (a guest's handler interrupting a long call
 * makes its own calls at another stack pointer). NULL: a new call. */
static struct hc_cont *cont_find(struct vcpu *v, const struct hc_args *a, uint64_t rip)
{
	for (unsigned int i = 0; i < VCPU_HC_CONTS; i++) {
		struct hc_cont *c = &v->hc_cont[i];

		if (c->age && c->rip == rip && c->rsp == v->regs.rsp && c->nr == a->nr &&
		    c->args[0] == a->a0 && c->args[1] == a->a1 && c->args[2] == a->a2 &&
		    c->args[3] == a->a3)
			return c;
	}
	return NULL;
}

/* Keep the progress of a call that goes on: in its slot, else in a free one,
 * else in the one used longest ago (whose call starts again if re-executed). */
static void cont_keep(struct vcpu *v, struct hc_cont *c)
{
	struct hc_cont *slot = &v->hc_cont[0];

	if (c < v->hc_cont || c >= v->hc_cont + VCPU_HC_CONTS) {
		for (unsigned int i = 1; i < VCPU_HC_CONTS; i++)
			if (v->hc_cont[i].age < slot->age)
				slot = &v->hc_cont[i];
		*slot = *c;
		c = slot;
	}
	c->age = ++v->hc_age;
}

static uint64_t dispatch(struct vcpu *v, struct vm *vm, const struct hc_args *a, unsigned int cpl,
			 uint64_t rip, bool *done)
{
	struct hc_cont fresh, *c;
	int64_t rc;

	*done = true;
	if (a->nr > HV_HC_MAX || !hypercalls[a->nr]) {
		vm->hypercalls[HV_HC_MAX + 1]++;
		return (uint64_t)-HV_ENOSYS;
	}
	c = cpl == 0 ? cont_find(v, a, rip) : NULL;
	if (c) {
		vm->hc_continued++;
	} else {
		vm->hypercalls[a->nr]++;
		if (cpl != 0)
			return (uint64_t)abi_error(-EPERM);
		fresh = (struct hc_cont){ .rip = rip, .rsp = v->regs.rsp, .nr = a->nr,
					  .args = { a->a0, a->a1, a->a2, a->a3 } };
		c = &fresh;
	}
	rc = hypercalls[a->nr](v, a, c);
	if (rc == -ERESTART) {
		cont_keep(v, c);
		*done = false;
		return 0;
	}
	c->age = 0; /* done: the slot is free */
	return (uint64_t)abi_error(rc);
}

bool hypercall_handle(struct vcpu *v, unsigned int cpl, bool long_mode, uint64_t rip)
{
	const struct guest_regs *r = &v->regs;
	struct hc_args a = { r->rax, r->rbx, r->rcx, r->rdx, r->rsi };
	struct vm *vm = v->vm;
	uint64_t res;
	bool done;

	/* Outside 64-bit mode the upper register halves are undefined (SDM Vol. 1
	 * §3.4.1.1): a 32-bit guest's call uses the low halves only. */
	if (!long_mode) {
		a = (struct hc_args){ (uint32_t)a.nr, (uint32_t)a.a0, (uint32_t)a.a1, (uint32_t)a.a2,
				      (uint32_t)a.a3 };
		res = (uint32_t)dispatch(v, vm, &a, cpl, rip, &done);
	} else {
		res = dispatch(v, vm, &a, cpl, rip, &done);
	}
	if (done)
		v->regs.rax = res;
	return done;
}
