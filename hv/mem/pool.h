/* SPDX-License-Identifier: MIT */
/*
 * The memory module: the global frame pool and paging device that hold all
 * guest RAM, each VM's frame table, the nested-page-table adapter that mm/
 * drives (struct mm_arch_ops over struct gpt), guest-physical faults, and
 * what the host does when it runs out of memory. The only user of mm/'s
 * pool, reclaim and fault paths. Hypervisor context, BSP.
 */
#ifndef HV_POOL_H
#define HV_POOL_H

#include <hv/vm/config.h>
#include <hv/vm/vcpu.h>

extern struct mm hv_mm;

/* Build the frame pool and the paging device for the configured guests.
 * Prints what it took; shuts down if host memory is too small. */
void pool_init(const struct hv_config *cfg);
/* Frame table and nested-table hooks of a new VM. 0 or -ENOMEM. */
int pool_vm_init(struct vm *vm);
/* The VM's nested page tables, their frames charged to it (before pool_vm_init()). */
int pool_gpt_init(struct vm *vm);
/* Table frames in use / peak / limit of each of the n VMs, one line. */
void pool_print_tables(struct vm *const *list, unsigned int n);
/* Give back every frame and slot of a VM (its nested tables already gone). */
void pool_vm_destroy(struct vm *vm);

/*
 * The frame backing gfn for a hypervisor access, made resident. flags:
 * POOL_PIN keeps it resident until mm_gfn_unpin(). On host out of memory,
 * slot reclaim goes on part by part, then another VM may be stopped and the
 * access retried (docs/mm.md); with POOL_RESTART (a hypercall, which the
 * guest executes again) the access returns -ERESTART instead of going on
 * with slot reclaim itself. 0, -ERANGE, -ENOMEM, -EBUSY (pin count
 * overflow), -EDISCARDED, -EIO, -ERESTART, or -EINVAL if vm has stopped.
 */
#define POOL_PIN 1u
#define POOL_RESTART 2u
int pool_gfn_get(struct vm *vm, gfn_t gfn, bool write, unsigned int flags, hfn_t *hfn);

/* Guest-physical fault (EPT violation, nested page fault) inside guest RAM:
 * map the page, or stop a VM, or leave it unmapped while slot reclaim goes
 * on (the access faults again). 0, or -EDISCARDED: the page was a dropped
 * volatile page and the guest gets a discard fault (the caller delivers it). */
int pool_fault(struct vcpu *v, gpa_t gpa, uint32_t access);
/* Periodic: reclaim down to the watermarks. */
void pool_balance(void);
/* Frame-table entries and table bytes walked so far by the loops that grow
 * with guest RAM (struct mm's walked): stats of the work per exit. */
static inline uint64_t pool_walked(void)
{
	extern struct mm hv_mm;

	return hv_mm.walked;
}
/* Slot reclaim so far: parts run, and accesses tried again meanwhile. */
void pool_slot_reclaim_stats(uint64_t *parts, uint64_t *retries);
/* Print a S/U/V/P x r/p/z page table ([state][HV_HOST_*]) in the s390 layout. */
void pool_print_pages(const uint64_t pages[4][3]);

/* Who frees what a VM the host's out-of-memory rule stopped holds
 * (frames, slots, nested tables), so that the faulting access can be tried
 * again: the core registers its stop path at boot. It returns false when it
 * cannot free the VM at once (a vCPU of it runs on another CPU, which it
 * asked to stop it): a guest access is then tried again after its next
 * entry, a hypervisor access fails. Without one the access fails. */
void pool_on_oom_victim(bool (*release)(struct vm *vm));

#endif /* HV_POOL_H */
