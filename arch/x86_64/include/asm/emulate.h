/* SPDX-License-Identifier: MIT */
/*
 * Generic x86 emulation the exit handlers share, for either vendor: guest
 * GPRs by encoding number, the guest's own page walk, and the xAPIC MMIO
 * path (fetch, decode, access, write back).
 */
#ifndef ASM_EMULATE_H
#define ASM_EMULATE_H

#include <asm/vexit.h>
#include <types.h>

struct vcpu;

/* Guest register by its instruction-encoding number (0 RAX .. 15 R15). */
uint64_t *guest_gpr(struct vcpu *v, unsigned int n);

/* Guest-linear to guest-physical through the guest's own page tables
 * (4-level, PAE or 32-bit paging, or paging off). false if not mapped. */
bool guest_walk(struct vcpu *v, uint64_t va, uint64_t *pa);

/* Copy up to n instruction bytes at guest-linear rip into buf; returns how
 * many could be read (stops at the first unmapped byte). */
unsigned int guest_fetch(struct vcpu *v, uint64_t rip, uint8_t *buf, unsigned int n);

/* Is the instruction at guest-linear rip a hypercall instruction of either
 * vendor (VMCALL 0F 01 C1, VMMCALL 0F 01 D9)? For #UD intercepts: the CPU
 * raises #UD for the other vendor's one, and guests may use either. */
bool guest_hypercall_insn(struct vcpu *v, uint64_t rip);

/* The guest touched a device's MMIO range at gpa (hv_mmio_owns()): decode
 * the MOV at e->rip and do it on the device bus. VEXIT_SKIP with
 * e->insn_len set, or VEXIT_STOP after vm_crash. */
enum vexit_action emulate_mmio(struct vcpu *v, struct vexit *e, uint64_t gpa);

#endif /* ASM_EMULATE_H */
