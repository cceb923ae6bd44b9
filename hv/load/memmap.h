/* SPDX-License-Identifier: MIT */
/*
 * The guest-physical memory map of a VM, one description for every boot
 * protocol: the Linux e820 table, the multiboot memory map and the ACPI
 * tables (which sit in the BIOS area and name the APIC addresses) all come
 * from here. RAM is [0, mem) minus the holes:
 *
 *   0x0009fc00-0x000fffff  EBDA, VGA, BIOS area (ACPI tables, MP table): reserved
 *   0xfec00000-0xfec00fff  I/O APIC: reserved, never RAM (vm_is_ram())
 *   0xfee00000-0xfee00fff  local APIC: reserved, never RAM
 *
 * The BIOS area is backed by guest RAM (the loader writes the tables there),
 * but is not offered as RAM; the two APIC pages are MMIO. Both APIC pages are
 * listed as reserved for every VM, also when RAM ends below them.
 */
#ifndef HV_MEMMAP_H
#define HV_MEMMAP_H

#include <types.h>

#define MEMMAP_RAM 1      /* e820 / multiboot type 1 */
#define MEMMAP_RESERVED 2 /* e820 / multiboot type 2 */
#define MEMMAP_MAX 8
#define MEMMAP_LOW_END 0x9fc00ULL  /* end of conventional RAM (639 KiB) */
#define MEMMAP_BIOS_END 0x100000ULL

struct memmap_entry {
	uint64_t base, len;
	uint32_t type;
};

struct vm;

/* Fill map (MEMMAP_MAX entries) in address order; returns the count. */
unsigned int vm_memmap(const struct vm *vm, struct memmap_entry *map);

#endif /* HV_MEMMAP_H */
