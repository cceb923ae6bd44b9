/* SPDX-License-Identifier: MIT */
/*
 * AMD SVM back end: the functions behind svm_ops (asm/virt.h), shared by
 * the svm*.c files only. Host context, BSP, interrupts off.
 */
#ifndef ASM_SVM_CPU_H
#define ASM_SVM_CPU_H

#include <asm/vexit.h>
#include <asm/virt.h>
#include <hv/vm/vcpu.h>

/* Check the SVM features Hintvisor relies on, print what was found, enable
 * SVM. 0, or -1 after "svm: missing feature: <name>". */
int svm_init(void);
/* Create the VMCB of a vCPU that starts in the state s describes. 0 or -ENOMEM. */
int svm_vcpu_init(struct vcpu *v, const struct vcpu_start *s);
void svm_vcpu_destroy(struct vcpu *v);
/* The back end's part of the run loop (svm_exit.c; asm/virt.h). */
void svm_vcpu_load(struct vcpu *v);
void svm_vcpu_put(struct vcpu *v);
int svm_enter_guest(struct vcpu *v, uint64_t ticks, struct vexit *e);
void svm_apply(struct vcpu *v, const struct vexit *e, enum vexit_action act);
enum virt_nmi_gate svm_nmi_gate(struct vcpu *v);
bool svm_irq_allowed(struct vcpu *v);
void svm_inject_nmi(struct vcpu *v);
void svm_inject_irq(struct vcpu *v, uint8_t vector);
void svm_set_windows(struct vcpu *v, bool irq_window, bool nmi_window);
void svm_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error);
/* The discard fault through EVENTINJ; false while another event is pending. */
bool svm_inject_discard_fault(struct vcpu *v);
/* Flush vm's nested translations at its next VMRUN (TLB_CONTROL). */
void svm_flush_gpt(struct vm *vm);
void svm_sipi(struct vcpu *v, uint8_t vector);
const char *svm_exit_name(unsigned int counter);
void svm_dump(const struct vcpu *v);

#endif /* ASM_SVM_CPU_H */
