/* SPDX-License-Identifier: MIT */
/*
 * Guest page hinting in the hypervisor: the glue between validated hypercalls,
 * EPT faults and the memory policy in mm/. Arguments arrive validated by
 * hv/hypercall.c (gfns in range, states legal, pointers inside guest RAM).
 */
#ifndef HV_HINT_H
#define HV_HINT_H

#include <hv/vcpu.h>

int64_t hint_set_state(struct vm *vm, gfn_t gfn, unsigned int state);
int64_t hint_set_range(struct vm *vm, gfn_t first, uint64_t count, unsigned int state);
int64_t hint_set_batch(struct vm *vm, uint64_t *entries, unsigned int count);
int64_t hint_get_state(struct vm *vm, gfn_t gfn);
int64_t hint_register_table(struct vm *vm, gpa_t gpa, uint64_t nr);
int64_t hint_register_ve_area(struct vcpu *v, gpa_t gpa);
void hint_get_stats(struct vm *vm, struct hv_vm_stats *st);

#endif /* HV_HINT_H */
