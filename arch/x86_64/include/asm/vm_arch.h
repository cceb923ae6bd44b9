/* SPDX-License-Identifier: MIT */
/*
 * Per-VM state of the virtualization back end, as struct vcpu_arch is per
 * vCPU: the guest-physical (nested) page tables in the back end's format,
 * EPT for VT-x or NPT for AMD SVM (virt->gpt_init picks it). The neutral
 * core reaches the tables only through asm/gpt.h and the ops table; only
 * the memory module (hv/mem/pool.c) drives them, for mm/.
 */
#ifndef ASM_VM_ARCH_H
#define ASM_VM_ARCH_H

#include <asm/gpt.h>

struct vm_arch {
	struct gpt gpt; /* guest-physical tables: EPT or NPT format */
};

#endif /* ASM_VM_ARCH_H */
