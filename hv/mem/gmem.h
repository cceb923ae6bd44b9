/* SPDX-License-Identifier: MIT */
/*
 * Guest memory: the only way the hypervisor reaches a guest's RAM (loaders,
 * devices, exit handling, hypercall back ends). Every access is checked
 * against the VM's RAM: beyond it (-ERANGE), in a hole (-EFAULT: the I/O
 * APIC and local APIC pages, ABI §8), or a page the host may not write (-EACCES: the
 * registered state table, whose bytes change only by CAS, ABI §6). Pages
 * are made resident on the way (they may be paged in, zero-filled, or be
 * dropped volatile pages: -EDISCARDED). Hypervisor context, BSP.
 */
#ifndef HV_GMEM_H
#define HV_GMEM_H

#include <hv/vm/vcpu.h>

/* Is [gpa, gpa + len) guest RAM the host may access? 0, -ERANGE or -EFAULT. */
int gmem_check(const struct vm *vm, uint64_t gpa, uint64_t len);

/* Copy n bytes from guest RAM at gpa to dst, page by page. 0 or a negative
 * code (range, hole, discarded page, out of host memory); dst may then hold
 * part of the data. */
int gmem_read(struct vm *vm, void *dst, uint64_t gpa, size_t n);
/* Copy n bytes from src (NULL: zeros) to guest RAM at gpa, page by page.
 * 0 or a negative code; on error a prefix may have been written. */
int gmem_write(struct vm *vm, uint64_t gpa, const void *src, size_t n);
/* The same for work that can be done again from its start (a device
 * request): while the host is out of memory and takes back paging-device
 * slots part by part, -ERESTART instead of going on with that in this exit
 * (docs/mm.md); a prefix may have been copied. */
int gmem_read_or_restart(struct vm *vm, void *dst, uint64_t gpa, size_t n);
int gmem_write_or_restart(struct vm *vm, uint64_t gpa, const void *src, size_t n);
/* As gmem_write, all or nothing: every page is made resident and pinned
 * first. For hypercall buffers: when the host is out of memory while slot
 * reclaim goes on, -ERESTART (the guest executes the call again). 0,
 * -ERANGE, -EFAULT, -EACCES, -EDISCARDED, -ENOMEM or -ERESTART; on error
 * nothing was written. */
int gmem_write_all(struct vm *vm, uint64_t gpa, const void *src, size_t n);

/* Host pointer to [gpa, gpa + len) (within one page), made resident, or
 * NULL (not RAM, discarded volatile page, out of memory; with write, the
 * state table). write: the host will modify it. Valid until the next call that may reclaim, unless the
 * page is pinned (gmem_pin). */
void *gmem_ptr(struct vm *vm, gpa_t gpa, size_t len, bool write);

/*
 * The guest gave up the content of [gpa, gpa + len), both page aligned
 * (free page reporting, balloon inflation): its pages are dropped now, the
 * next access gets a zero page (a VOLATILE one a discard fault). Returns the
 * pages dropped (resident or paged out before), or -EINVAL (not aligned),
 * -ERANGE / -EFAULT (not RAM), -EACCES (the state table), -EBUSY (a pinned
 * page: a device's ring); on error nothing was dropped.
 */
int64_t gmem_discard(struct vm *vm, uint64_t gpa, uint64_t len);

/* Map [gpa, gpa + len) for a device: every page made resident and kept so
 * until gmem_unpin() of the same range. All or nothing: 0, -ERANGE,
 * -EFAULT, -ENOMEM (also: pinned too often) or -EDISCARDED. */
int gmem_pin(struct vm *vm, uint64_t gpa, uint64_t len);
void gmem_unpin(struct vm *vm, uint64_t gpa, uint64_t len);

#endif /* HV_GMEM_H */
