/* SPDX-License-Identifier: MIT */
/*
 * A guest-physical fault (EPT violation, nested page fault) on RAM: the
 * memory module makes the page present, or says the guest discarded it and
 * the hinting layer raises the discard fault. Hypervisor context, on an
 * exit of the current vCPU.
 */
#include <asm/virt.h>
#include <errcode.h>
#include <hv/hint/hint.h>
#include <hv/mem/pool.h>
#include <hv/vm/vm.h>

void vcpu_gpt_fault(struct vcpu *v, gpa_t gpa, uint64_t gla, bool gla_valid, uint32_t access)
{
	struct vm *vm = v->vm;

	/* The default APIC page and the one at IA32_APIC_BASE never reach here:
	 * the MMIO emulation takes them, also while nothing answers there
	 * (emulate_mmio_owns()). */
	if (!vm_is_ram(vm, gpa_x(gpa), 1)) {
		vm_crash(vm, "%s: %s at gpa %#lx (linear %#lx), outside guest RAM (%lu MiB)",
			 virt->fault_name, access & 2 ? "write" : access & 4 ? "fetch" : "read", gpa_x(gpa),
			 gla_valid ? gla : 0, vm->mem_bytes >> 20);
		return;
	}
	if (pool_fault(v, gpa, access) == -EDISCARDED)
		hint_discard_fault(v, gpa, gla_valid ? gla : 0, access);
}
