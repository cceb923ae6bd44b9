/* SPDX-License-Identifier: MIT */
/*
 * The vCPU layer's answers to the back ends (asm/virt.h: struct
 * virt_upcalls): guest memory through the guest's page tables (emulate.c),
 * CR3 loads (vcr.c), the interrupt controllers, stopping a VM. Registered
 * once at boot, before the back end starts. Host context.
 */
#include <asm/virt.h>
#include <hv/vcpu/emulate.h>
#include <hv/vcpu/run.h>
#include <hv/vcpu/upcalls.h>
#include <hv/vcpu/vcr.h>
#include <hv/vm/vm.h>

static void event_undone(struct vcpu *v, bool nmi, uint8_t vector)
{
	if (nmi)
		lapic_nmi_unack(&v->lapic);
	else
		vcpu_irq_unack(v, vector, v->irq_from_pic);
}

static uint8_t tpr(struct vcpu *v)
{
	return (uint8_t)lapic_get_tpr(&v->lapic);
}

static bool nmi_pending(struct vcpu *v)
{
	return lapic_nmi_pending(&v->lapic);
}

static const struct virt_upcalls upcalls = {
	.exited = vcpu_exited_smp,
	.crash = vm_crash,
	.event_undone = event_undone,
	.tpr = tpr,
	.nmi_pending = nmi_pending,
	.hypercall_insn = guest_hypercall_insn,
	.fetch = guest_fetch,
	.copy = guest_copy,
	.load_cr3 = vcr_load_cr3,
};

void vcpu_layer_init(void)
{
	virt_register_upcalls(&upcalls);
}
