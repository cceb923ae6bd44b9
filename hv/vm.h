/* SPDX-License-Identifier: MIT */
/*
 * VMs as the rest of the hypervisor sees them: creation from the config, the
 * ways a VM ends, and the services exits call into (architecture-neutral).
 */
#ifndef HV_VM_H
#define HV_VM_H

#include <boot_info.h>
#include <hv/config.h>
#include <hv/vcpu.h>

extern struct vm *vms[VM_MAX];
extern unsigned int nr_vms;

/* Build a VM from its config entry and image module. 0 or negative errno;
 * on failure the VM is not created and the reason was printed. */
int vm_create(const struct vm_config *cfg, const struct boot_info *bi);
/* Write page tables identity-mapping the first 4 GiB with 2 MiB pages into
 * guest memory: PML4 at pml4, PDPT at pml4 + 4K, four PDs after it. */
int vm_identity_tables(struct vm *vm, uint64_t pml4);
/* Free everything a stopped VM holds (vCPU, EPT, frames). */
void vm_destroy(struct vm *vm);

/* Stop a VM because of something the guest did; the run goes on. */
void vm_crash(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The guest wrote value to the debug-exit port. */
void vm_debug_exit(struct vm *vm, uint32_t value);

/* A byte the guest sent to its console (COM1 or port 0xe9). */
void vm_console_byte(struct vm *vm, uint8_t c);
/* Emit a partial last line, e.g. when the VM stops without a newline. */
void vm_console_flush(struct vm *vm);

/* Port I/O from the guest: returns false if the access is not handled.
 * *val holds the value written (out) or receives the value read (in). */
bool hv_io(struct vcpu *v, uint16_t port, unsigned int size, bool in, uint32_t *val);

/* VMCALL/VMMCALL: regs hold the call; returns the value for RAX. cpl: guest CPL. */
uint64_t hv_hypercall(struct vcpu *v, unsigned int cpl);

/* Guest touched a guest-physical address without a mapping (EPT violation,
 * nested page fault). access: VEXIT_ACCESS_* bits. */
void hv_gpt_fault(struct vcpu *v, gpa_t gpa, uint64_t gla, bool gla_valid, uint32_t access);

#endif /* HV_VM_H */
