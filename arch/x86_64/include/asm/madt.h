/* SPDX-License-Identifier: MIT */
/*
 * The host's processors from the ACPI tables firmware left (madt.c): RSDP
 * (revision 0: RSDT; 2 and later: XSDT), the MADT ("APIC"), its processor
 * local APIC (type 0) and local x2APIC (type 9) entries. Checksums and
 * lengths are checked; a table that fails is ignored. Pure: the caller maps
 * physical memory (map returns NULL for what it cannot map).
 */
#ifndef ASM_MADT_H
#define ASM_MADT_H

#include <types.h>

typedef const void *(*acpi_map_fn)(uint64_t pa, size_t len, void *ctx);

/*
 * The APIC IDs of the enabled processors, in MADT order (the boot CPU is one
 * of them), at most max into ids. Returns how many the MADT lists enabled
 * (may exceed max), or -1 without a valid RSDP, XSDT/RSDT or MADT.
 */
int madt_cpus(uint64_t rsdp_pa, acpi_map_fn map, void *ctx, uint32_t *ids, unsigned int max);

#endif /* ASM_MADT_H */
