/* SPDX-License-Identifier: MIT */
/*
 * Booting a Linux bzImage through the x86 64-bit boot protocol
 * (Documentation/x86/boot.rst): zero page with the setup header, an e820
 * map of guest RAM, command line, initramfs, identity page tables, a GDT
 * with __BOOT_CS/__BOOT_DS, and an MP table so Linux runs its local APIC
 * (TSC-deadline timer) without an I/O APIC or PIT.
 */
#ifndef HV_LINUX_H
#define HV_LINUX_H

#include <hv/vm/vcpu.h>

/* Does the image look like a bzImage (setup header magic)? */
bool linux_is_bzimage(const uint8_t *img, size_t len);
/*
 * Load kernel and initramfs (initrd may be NULL) into the VM's RAM and fill
 * in the vCPU start state. 0 or negative errno with a reason in *why.
 */
int linux_load(struct vm *vm, const uint8_t *img, size_t len, const uint8_t *initrd,
	       size_t initrd_len, const char *cmdline, struct vcpu_start *start, const char **why);

#endif /* HV_LINUX_H */
