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

/* Guest-linear to guest-physical through the guest's own page tables
 * (paging off, 32-bit, PAE or 4-level paging). false if not mapped. */
bool guest_walk(struct vcpu *v, uint64_t va, uint64_t *pa);

/* Copy up to n instruction bytes at the guest's RIP rip (CS.base + rip
 * outside 64-bit code) into buf; returns how many could be read (stops at
 * the first unmapped byte). */
unsigned int guest_fetch(struct vcpu *v, uint64_t rip, uint8_t *buf, unsigned int n);

/* Read (write: write) n bytes of guest-linear memory at va; false if a page
 * is not mapped or not RAM the host may touch (a prefix may be done). */
bool guest_copy(struct vcpu *v, uint64_t va, void *buf, size_t n, bool write);

/* Is the instruction at RIP rip (as for guest_fetch()) a hypercall
 * instruction of either vendor (VMCALL 0F 01 C1, VMMCALL 0F 01 D9)? For #UD
 * intercepts: the CPU raises #UD for the other vendor's one, and guests may
 * use either. */
bool guest_hypercall_insn(struct vcpu *v, uint64_t rip);

/* Is gpa emulated here: a range of the device bus (board_mmio_owns()), or
 * guest-physical space outside RAM where nothing answers (open bus: reads
 * all ones, writes lost), below the guest's physical address width? */
bool emulate_mmio_owns(struct vcpu *v, uint64_t gpa);

/* The guest touched device memory or open bus at gpa: fetch and decode the instruction
 * at e->rip (any paging mode, 16/32/64-bit code) and do it against the
 * device. VEXIT_SKIP with e->insn_len set; VEXIT_RESUME for a REP string
 * instruction not finished yet (registers updated, it restarts); VEXIT_STOP
 * after vm_crash. */
enum vexit_action emulate_mmio(struct vcpu *v, struct vexit *e, uint64_t gpa);

#endif /* ASM_EMULATE_H */
