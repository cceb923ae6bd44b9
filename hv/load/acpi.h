/* SPDX-License-Identifier: MIT */
/*
 * ACPI tables of a VM (ACPI 6.4 §5.2), built into guest memory at
 * ACPI_TABLES_GPA, one page in the BIOS area where an OS finds the RSDP by
 * its scan of 0xe0000-0xfffff (§5.2.5.1): RSDP (revision 2), RSDT and XSDT,
 * FADT (revision 4: PM1a event/control blocks, PM timer, reset register
 * 0xcf9, SCI on IRQ 9, no SMI command port: the platform is in ACPI mode
 * from the start), FACS, a DSDT with the PCI root bridge (bus 0, its I/O
 * windows, the _PRT of the virtio-blk slot), and a MADT with the local
 * APIC (ID 0), the I/O APIC (ID 1, GSI base 0) and the interrupt source
 * overrides IRQ 0 -> GSI 2, IRQ 9 (SCI) level/high, and the PCI line IRQ 11
 * level/low.
 */
#ifndef HV_ACPI_H
#define HV_ACPI_H

#define ACPI_TABLES_GPA 0xe0000ULL

struct vm;

/* Write the tables; 0 or negative errno. */
int acpi_build(struct vm *vm);

#endif /* HV_ACPI_H */
