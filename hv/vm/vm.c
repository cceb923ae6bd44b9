/* SPDX-License-Identifier: MIT */
/*
 * The VMs as every layer sees them: the registry of VMs, and the ways a VM
 * stops (vm_crash(), the debug exit) or asks for a reset. Building, restarting
 * and freeing a VM are the core's (hv/core/lifecycle.c). Hypervisor context.
 */
#include <asm/host_timer.h>
#include <asm/pcpu.h>
#include <asm/smp.h>
#include <asm/virt.h>
#include <base/console.h>
#include <hv/vm/vm.h>
#include <stdarg.h>
#include <stdio.h>

struct vm *vms[VM_MAX];
unsigned int nr_vms;
struct spinlock vm_lock;

/*
 * Drop vm's guest-physical translations everywhere before the caller frees
 * or reuses what they pointed at: here at once; every other CPU before it
 * next runs a vCPU of vm (a bit in its flush_vms); and a CPU that runs a vCPU
 * of vm now is waited for, kicked out of its guest if it is in one. The
 * caller holds vm_lock, and a waited-for CPU handles its flushes without it
 * (vm_process_flushes() after each exit, before each entry and while it
 * waits for the lock): no deadlock. The request is seen either by the
 * target's last check before its entry or through its in_guest flag (both
 * sides use sequentially consistent atomics: store, then load).
 */
void vm_flush_gpt(struct vm *vm)
{
	struct pcpu *self = this_cpu();
	uint64_t want[PCPU_MAX];

	virt->flush_gpt(vm);
	if (nr_pcpus == 1)
		return;
	for (unsigned int i = 0; i < nr_pcpus; i++)
		if (&pcpus[i] != self)
			__atomic_fetch_or(&pcpus[i].flush_vms, 1ULL << vm->id, __ATOMIC_SEQ_CST);
	for (unsigned int i = 0; i < nr_pcpus; i++) {
		struct pcpu *c = &pcpus[i];
		struct vcpu *cur = __atomic_load_n(&c->current, __ATOMIC_SEQ_CST);

		want[i] = 0;
		if (c == self || !cur || cur->vm != vm)
			continue;
		want[i] = __atomic_add_fetch(&c->flush_req, 1, __ATOMIC_SEQ_CST);
		vm->shootdowns++;
		if (__atomic_load_n(&c->in_guest, __ATOMIC_SEQ_CST)) {
			host_apic_ipi(c->apic_id, HOST_KICK_VECTOR);
			vm->shootdown_ipis++;
		}
	}
	for (unsigned int i = 0; i < nr_pcpus; i++)
		while (want[i] && __atomic_load_n(&pcpus[i].flush_done, __ATOMIC_SEQ_CST) < want[i])
			__builtin_ia32_pause();
}

/*
 * Without vm_lock only the VM of the vCPU this CPU runs is flushed: it
 * cannot be freed meanwhile (its vCPU is on this CPU). The bits of other
 * VMs stay until a vCPU of theirs is loaded here (vm_flush_loaded(), under
 * vm_lock), when the VM is known to be alive.
 */
void vm_process_flushes(void)
{
	struct pcpu *p = this_cpu();
	uint64_t req = __atomic_load_n(&p->flush_req, __ATOMIC_SEQ_CST);
	struct vcpu *cur = p->current;

	if (cur) {
		uint64_t bit = 1ULL << cur->vm->id;

		if (__atomic_fetch_and(&p->flush_vms, ~bit, __ATOMIC_SEQ_CST) & bit)
			virt->flush_gpt(cur->vm);
	}
	__atomic_store_n(&p->flush_done, req, __ATOMIC_SEQ_CST);
}

void vm_flush_loaded(struct vcpu *v)
{
	uint64_t bit = 1ULL << v->vm->id;

	if (__atomic_fetch_and(&this_cpu()->flush_vms, ~bit, __ATOMIC_SEQ_CST) & bit)
		virt->flush_gpt(v->vm);
}

void vcpu_kick(struct vcpu *t)
{
	unsigned int cpu = t->on_cpu;

	if (cpu && cpu - 1 != this_cpu()->index)
		smp_kick(cpu - 1);
	else if (!cpu)
		smp_kick_idle();
}

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
