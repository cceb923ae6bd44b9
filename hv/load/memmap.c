/* SPDX-License-Identifier: MIT */
/* Guest memory map (see memmap.h). */
#include <hv/load/memmap.h>
#include <hv/vm/vm.h>

static void add(struct memmap_entry *map, unsigned int *n, uint64_t base, uint64_t end,
		uint32_t type)
{
	if (end > base && *n < MEMMAP_MAX)
		map[(*n)++] = (struct memmap_entry){ base, end - base, type };
}

unsigned int vm_memmap(const struct vm *vm, struct memmap_entry *map)
{
	uint64_t mem = vm->mem_bytes;
	unsigned int n = 0;

	add(map, &n, 0, MIN(mem, MEMMAP_LOW_END), MEMMAP_RAM);
	add(map, &n, MEMMAP_LOW_END, MEMMAP_BIOS_END, MEMMAP_RESERVED);
	add(map, &n, MEMMAP_BIOS_END, MIN(mem, IOAPIC_BASE), MEMMAP_RAM);
	add(map, &n, IOAPIC_BASE, IOAPIC_BASE + PAGE_SIZE, MEMMAP_RESERVED);
	add(map, &n, IOAPIC_BASE + PAGE_SIZE, MIN(mem, APIC_DEFAULT_BASE), MEMMAP_RAM);
	add(map, &n, APIC_DEFAULT_BASE, APIC_DEFAULT_BASE + PAGE_SIZE, MEMMAP_RESERVED);
	add(map, &n, APIC_DEFAULT_BASE + PAGE_SIZE, mem, MEMMAP_RAM);
	return n;
}
