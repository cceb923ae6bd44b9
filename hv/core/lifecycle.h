/* SPDX-License-Identifier: MIT */
/*
 * Building, restarting and freeing VMs (lifecycle.c).
 */
#ifndef HV_CORE_LIFECYCLE_H
#define HV_CORE_LIFECYCLE_H

#include <boot_info.h>
#include <hv/vm/vm.h>

/* Build a VM from its config entry and image module. 0 or negative errno;
 * on failure the VM is not created and the reason was printed. */
int vm_create(const struct vm_config *cfg, const struct boot_info *bi);
/* Free everything a stopped (or resetting) VM holds (vCPU, EPT, frames, the
 * state table); calling it again frees nothing twice. */
void vm_destroy(struct vm *vm);

/*
 * Power a VM_RESETTING VM on again: everything of its last boot is freed
 * (RAM and paging-device slots, nested tables, the registered state table
 * and #VE area, pins), then it is built afresh from its config and the boot
 * modules (image, ACPI tables, devices and vCPU in their power-on state) and
 * is VM_READY. Its lifetime counters (exits, hypercalls, guest time) go on.
 * 0, or a negative errno with the VM stopped and the reason printed.
 */
int vm_restart(struct vm *vm);

#endif /* HV_CORE_LIFECYCLE_H */
