/* SPDX-License-Identifier: MIT */
/*
 * Guest page hinting in the hypervisor: the back ends of the hinting
 * hypercalls (page states through mm/, the shared state table, the #VE
 * area, stats) and discard-fault delivery. Arguments arrive validated by
 * hv/hypercall.c (gfns in range, states legal, addresses inside guest RAM).
 * Results are 0, a value >= 0, or a negative internal error code (errno.h);
 * hypercall.c turns those into the ABI's HV_E* codes.
 */
#ifndef HV_HINT_H
#define HV_HINT_H

#include <hv/vcpu.h>

/* Save the final stats of a VM being destroyed (printing its last STATS
 * line if it stopped), then give back its memory (pool_vm_destroy()) and
 * its state table pointers. Its nested tables are already gone. */
void hint_vm_destroy(struct vm *vm);

/* The guest touched a dropped volatile page (pool_fault() said so): queue
 * the discard fault (#VE, vector 20) with the vCPU's information area
 * filled in, through the back end; or stop the VM if it cannot take one. */
void hint_discard_fault(struct vcpu *v, gpa_t gpa, uint64_t gla, uint32_t access);

int64_t hint_set_state(struct vm *vm, gfn_t gfn, unsigned int state);
int64_t hint_set_range(struct vm *vm, gfn_t first, uint64_t count, unsigned int state);
int64_t hint_set_batch(struct vm *vm, gpa_t entries, unsigned int count);
int64_t hint_get_state(struct vm *vm, gfn_t gfn);
int64_t hint_register_table(struct vm *vm, gpa_t gpa, uint64_t nr);
int64_t hint_register_ve_area(struct vcpu *v, gpa_t gpa);
void hint_get_stats(struct vm *vm, struct hv_vm_stats *st);

#endif /* HV_HINT_H */
