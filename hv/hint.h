/* SPDX-License-Identifier: MIT */
/*
 * Guest page hinting in the hypervisor: the glue between validated
 * hypercalls, EPT faults and the memory policy in mm/. Owns the global frame
 * pool and the paging device. Arguments arrive validated by hv/hypercall.c
 * (gfns in range, states legal, addresses inside guest RAM).
 */
#ifndef HV_HINT_H
#define HV_HINT_H

#include <hv/config.h>
#include <hv/vcpu.h>

extern struct mm hv_mm;

/* Build the frame pool and the paging device for the configured guests.
 * Prints what it took; shuts down if host memory is too small. */
void hint_init(const struct hv_config *cfg);
/* Frame table and arch hooks of a new VM. 0 or -ENOMEM. */
int hint_vm_init(struct vm *vm);
/* Give back every frame, slot and table of a stopped VM (EPT already gone). */
void hint_vm_destroy(struct vm *vm);

/* Host pointer to [gpa, gpa + len) (within one page), made resident, or NULL
 * (not RAM, discarded volatile page, out of memory). write: the host
 * will modify it. Valid until the next call that may reclaim. */
void *hint_gpa_ptr(struct vm *vm, gpa_t gpa, size_t len, bool write);

/*
 * Write n bytes to guest RAM [gpa, gpa + n) (checked by the caller) all or
 * nothing: every page is made resident and pinned first. 0, -HV_EFAULT (a
 * discarded volatile page) or -HV_ENOMEM; on error nothing was written.
 */
int64_t hint_write_guest_all(struct vm *vm, uint64_t gpa, const void *src, size_t n);

/* Copy to guest memory (src NULL: zeros) / from it, page by page. 0 or
 * -EFAULT (outside RAM, discarded page, out of memory). */
int hint_copy_to_guest(struct vm *vm, uint64_t gpa, const void *src, size_t n);
int hint_copy_from_guest(struct vm *vm, void *dst, uint64_t gpa, size_t n);

/* Guest-physical fault (EPT violation, nested page fault) inside guest RAM:
 * map, or inject a discard fault, or stop. */
void hint_fault(struct vcpu *v, gpa_t gpa, uint64_t gla, bool gla_valid, uint32_t access);
/* Periodic: reclaim down to the watermarks. */
void hint_balance(void);
/* Print a S/U/V/P x r/p/z page table ([state][HV_HOST_*]) in the s390 layout. */
void hint_print_pages(const uint64_t pages[4][3]);

int64_t hint_set_state(struct vm *vm, gfn_t gfn, unsigned int state);
int64_t hint_set_range(struct vm *vm, gfn_t first, uint64_t count, unsigned int state);
int64_t hint_set_batch(struct vm *vm, gpa_t entries, unsigned int count);
int64_t hint_get_state(struct vm *vm, gfn_t gfn);
int64_t hint_register_table(struct vm *vm, gpa_t gpa, uint64_t nr);
int64_t hint_register_ve_area(struct vcpu *v, gpa_t gpa);
void hint_get_stats(struct vm *vm, struct hv_vm_stats *st);

#endif /* HV_HINT_H */
