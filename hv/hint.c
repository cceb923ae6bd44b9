/* SPDX-License-Identifier: MIT */
/*
 * Guest page hinting glue (see hint.h).
 */
#include <hv/hint.h>
#include <string.h>

int64_t hint_set_state(struct vm *vm, gfn_t gfn, unsigned int state)
{
	return -HV_ENOSYS;
}

int64_t hint_set_range(struct vm *vm, gfn_t first, uint64_t count, unsigned int state)
{
	return -HV_ENOSYS;
}

int64_t hint_set_batch(struct vm *vm, uint64_t *entries, unsigned int count)
{
	return -HV_ENOSYS;
}

int64_t hint_get_state(struct vm *vm, gfn_t gfn)
{
	return -HV_ENOSYS;
}

int64_t hint_register_table(struct vm *vm, gpa_t gpa, uint64_t nr)
{
	return -HV_ENOSYS;
}

int64_t hint_register_ve_area(struct vcpu *v, gpa_t gpa)
{
	if (v->ve_area)
		return -HV_EBUSY;
	v->ve_area = gpa_x(gpa);
	return 0;
}

void hint_get_stats(struct vm *vm, struct hv_vm_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (unsigned int i = 0; i < ARRAY_SIZE(vm->hypercalls); i++)
		st->hypercalls += vm->hypercalls[i];
	for (unsigned int i = 0; i < ARRAY_SIZE(vm->exits); i++)
		st->exits += vm->exits[i];
}
