/* SPDX-License-Identifier: MIT */
/*
 * Registering the vCPU layer's answers to the back ends (upcalls.c).
 */
#ifndef HV_VCPU_UPCALLS_H
#define HV_VCPU_UPCALLS_H

/* Before virt_init(): the back ends reach the layers above through it. */
void vcpu_layer_init(void);

#endif /* HV_VCPU_UPCALLS_H */
