/* SPDX-License-Identifier: MIT */
/*
 * Host memory of the hypervisor: the frame allocator over the boot memory map
 * and the identity mapping (host-virtual == host-physical on both boot paths).
 */
#ifndef HV_MEM_H
#define HV_MEM_H

#include <boot_info.h>
#include <mm/frames.h>

extern struct frames host_frames;

/* Set up host_frames from the boot memory map, keeping the image, modules,
 * the first MiB and firmware regions out. Panics if no memory is usable. */
void mem_init(const struct boot_info *bi);
/* Does [base, base + len) hold the hypervisor's image or a boot module? */
bool mem_range_loaded(const struct boot_info *bi, uint64_t base, uint64_t len);

static inline void *hpa_to_virt(hpa_t a) { return (void *)(uintptr_t)hpa_x(a); }
static inline hpa_t virt_to_hpa(const void *p) { return _hpa((uint64_t)(uintptr_t)p); }

/* One zeroed host page, or NULL. */
void *page_alloc(void);
/* n zeroed, physically contiguous pages, or NULL. */
void *pages_alloc(uint64_t n);
void pages_free(void *p, uint64_t n);

#endif /* HV_MEM_H */
