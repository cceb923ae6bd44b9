/* SPDX-License-Identifier: MIT */
/*
 * The VMs as every layer sees them: the registry of VMs, and the ways a VM
 * stops (vm_crash(), the debug exit) or asks for a reset. Building, restarting
 * and freeing a VM are the core's (hv/core/lifecycle.c). Hypervisor context.
 */
#include <base/console.h>
#include <hv/vm/vm.h>
#include <stdarg.h>
#include <stdio.h>

struct vm *vms[VM_MAX];
unsigned int nr_vms;

void vm_reset(struct vm *vm, const char *how)
{
	if (vm->state != VM_RUNNING)
		return; /* stopped, or a reset already on its way */
	vm_console_flush(vm);
	if (vm->cfg->reset_stops) {
		vm_crash(vm, "reset requested by the guest (%s)", how);
		return;
	}
	snprintf(vm->reset_reason, sizeof(vm->reset_reason), "%s", how);
	vm->state = VM_RESETTING;
}

void vm_crash(struct vm *vm, const char *fmt, ...)
{
	va_list ap;

	if (vm->state == VM_STOPPED)
		return;
	va_start(ap, fmt);
	vsnprintf(vm->stop_reason, sizeof(vm->stop_reason), fmt, ap);
	va_end(ap);
	vm->state = VM_STOPPED;
	printk("hintvisor: VM %s stopped: %s\n", vm->name, vm->stop_reason);
}

void vm_debug_exit(struct vm *vm, uint32_t value)
{
	vm->exit_code = (int)((value << 1) | 1);
	snprintf(vm->stop_reason, sizeof(vm->stop_reason), "debug exit, code %d", vm->exit_code);
	vm->state = VM_STOPPED;
	printk("hintvisor: VM %s exited with code %d\n", vm->name, vm->exit_code);
}
