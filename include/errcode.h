/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor's one error space: functions that can fail return 0 (or a
 * count or value >= 0) or one of these, negated. They are the errno numbers
 * of Linux, newlib and glibc alike, so this header may meet the C library's
 * <errno.h> in a host build; the hypervisor itself includes only this one
 * (scripts/check-includes.sh). A guest never sees them: hv/hint/hypercall.c maps
 * them to the ABI's HV_E* codes (guest-abi/hintvisor.h).
 */
#ifndef ERRCODE_H
#define ERRCODE_H

#define EPERM 1       /* not allowed from where it was asked */
#define ENOENT 2      /* no such thing (boot module, image section) */
#define EIO 5         /* the paging device could not be read or written */
#define ENOMEM 12     /* out of host memory (frames, pool and paging device full) */
#define EACCES 13     /* guest memory the host may not write (the state table) */
#define EFAULT 14     /* not guest RAM: a hole (the APIC pages), or unusable */
#define EBUSY 16      /* already registered, in use, or pinned too often */
#define EEXIST 17     /* already mapped */
#define EINVAL 22     /* malformed argument */
#define ENOSPC 28     /* a fixed table is full (VMs, PCI slots, paging device) */
#define ERANGE 34     /* beyond the end (of guest RAM, of a frame table) */
#define ENODATA 61    /* too few bytes (an instruction cut short by its fetch) */
#define ERESTART 85   /* part of the work done: the guest's instruction runs again to go on */
#define EDISCARDED 200 /* the content of a volatile page was dropped (no errno twin) */

#endif /* ERRCODE_H */
