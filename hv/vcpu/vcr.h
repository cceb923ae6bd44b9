/* SPDX-License-Identifier: MIT */
/*
 * The guest's control registers and EFER, vendor neutral: what MOV to and
 * from CR0, CR3, CR4 and CR8 and a write of IA32_EFER do when a back end
 * hands them over, as the SDM (Vol. 3A §2.5, §4.1, §9.8.5; Vol. 2B MOV CR)
 * describes them, including the mode switches into and out of long mode.
 * Hypervisor context, on an exit of the current vCPU.
 */
#ifndef ASM_VCR_H
#define ASM_VCR_H

#include <asm/vexit.h>
#include <types.h>

struct vcpu;

/* CR0 bits the architecture defines; writes to the others are ignored. */
#define VCR_CR0_DEFINED 0xe005003fULL

/* The CR4 bits v may set: GUEST_CR4_ALLOWED (state that is switched)
 * narrowed to the features v's CPUID shows. Any other bit is #GP. */
uint64_t vcr_cr4_allowed(struct vcpu *v);

/* The exit handlers for VEXIT_CR_WRITE and VEXIT_CR_READ (vexit.c). */
enum vexit_action vcr_write(struct vcpu *v, struct vexit *e);
enum vexit_action vcr_read(struct vcpu *v, struct vexit *e);

/* WRMSR of IA32_EFER: false if the guest gets #GP (a bit CPUID hides, or
 * LME changed with paging on); LMA is read-only and follows CR0.PG. */
bool vcr_set_efer(struct vcpu *v, uint64_t val);
/* Load CR3 as a task switch does: the PDPTEs with PAE paging (false if one
 * is invalid: nothing changed), the guest's TLB flushed. */
bool vcr_load_cr3(struct vcpu *v, uint64_t val);

#endif /* ASM_VCR_H */
