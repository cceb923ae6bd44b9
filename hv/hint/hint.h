/* SPDX-License-Identifier: MIT */
/*
 * Guest page hinting in the hypervisor: the back ends of the hinting
 * hypercalls (page states through mm/, the shared state table, the #VE
 * area, stats) and discard-fault delivery. Arguments arrive validated by
 * hv/hint/hypercall.c (gfns in range, states legal, addresses inside guest RAM).
 * Results are 0, a value >= 0, or a negative internal error code (errno.h);
 * hypercall.c turns those into the ABI's HV_E* codes.
 */
#ifndef HV_HINT_H
#define HV_HINT_H

#include <hv/vm/vcpu.h>

/* Save the final stats of a VM being destroyed (printing its last STATS
 * line if it stopped), then give back its memory (pool_vm_destroy()) and
 * its state table pointers. Its nested tables are already gone. */
void hint_vm_destroy(struct vm *vm);

/* The guest touched a dropped volatile page (pool_fault() said so): queue
 * the discard fault (#VE, vector 20) with the vCPU's information area
 * filled in, through the back end; or stop the VM if it cannot take one. */
void hint_discard_fault(struct vcpu *v, gpa_t gpa, uint64_t gla, uint32_t access);

/*
 * The calls whose work grows with guest RAM do it in parts of at most budget
 * frame-table entries or table bytes (hypercall.c's hc_chunk_gfns): the
 * caller passes ranges no longer than that, or the function returns
 * -ERESTART while work is left, and the guest's next execution of the same
 * hypercall goes on (ABI.md §3, long calls).
 */
int64_t hint_set_state(struct vm *vm, gfn_t gfn, unsigned int state);
int64_t hint_set_range(struct vm *vm, gfn_t first, uint64_t count, unsigned int state);
int64_t hint_set_batch(struct vm *vm, gpa_t entries, unsigned int count);
int64_t hint_get_state(struct vm *vm, gfn_t gfn);
/*
 * HV_HC_REGISTER_TABLE, one part: pin the next table pages (one page counts
 * as 1,024 of budget: its page-in or zero-fill), then take over the next
 * bytes. 0 once registered; -ERESTART while work is left (a call with the
 * same gpa goes on; meanwhile the table counts as registered for the
 * overlap checks of other calls and devices); -EBUSY if a table is
 * registered, or being registered at another gpa; -ENOMEM, -EFAULT with
 * nothing kept (the pins undone).
 */
int64_t hint_register_table(struct vm *vm, gpa_t gpa, uint64_t nr, uint64_t budget);
int64_t hint_register_ve_area(struct vcpu *v, gpa_t gpa);
/*
 * HV_HC_GET_STATS in parts: hint_count_pages() adds the pages of the next
 * budget gfns from *next to pages[][] (mm/'s order of host states; zeroed by
 * the caller before the first part) and returns -ERESTART while gfns are
 * left, else 0; hint_stats_of() then fills st from those counts. Without a
 * table the counts are kept and the first part is the last.
 */
int64_t hint_count_pages(struct vm *vm, uint64_t *next, uint64_t budget, uint64_t pages[4][3]);
void hint_stats_of(struct vm *vm, const uint64_t pages[4][3], struct hv_vm_stats *st);
/* All of it in one go, for the host's own stats (never within an exit). */
void hint_get_stats(struct vm *vm, struct hv_vm_stats *st);
/* HV_HC_RESET in parts of budget gfns from *next on (-ERESTART until done,
 * *changed counting the pages that were not STABLE or were discarded), then
 * the state table and every vCPU's #VE area unregistered and unpinned.
 * Returns *changed when done. */
int64_t hint_reset(struct vm *vm, uint64_t *next, uint64_t budget, uint64_t *changed);

#endif /* HV_HINT_H */
