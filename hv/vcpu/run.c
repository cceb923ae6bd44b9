/* SPDX-License-Identifier: MIT */
/*
 * The run loop of a vCPU, one for both back ends: the scheduler gives a
 * vCPU a slice, and until the slice ends, the VM stops or the vCPU halts,
 * each turn does the device work left from earlier exits, raises the timers
 * that are due, decides which event goes in, has the back end enter the
 * guest once, counts the exit and the host's work for it, and hands the
 * decoded exit to the neutral handlers (vexit.c), whose action the back end
 * carries out. The back end does only what its hardware needs (asm/virt.h:
 * enter, decode, apply, the injection primitives). Host context, the CPU
 * the vCPU runs on, interrupts off.
 */
#include <asm/cpu.h>
#include <asm/guest_cpu.h>
#include <asm/mitigations.h>
#include <asm/pcpu.h>
#include <asm/vexit.h>
#include <asm/virt.h>
#include <hv/mem/pool.h>
#include <hv/vcpu/run.h>
#include <hv/vm/vm.h>
#include <string.h>

/*
 * Host work per exit, for the stats: vcpu_exit_begin() with the TSC read
 * right after the exit and the exit's counter index (as in vm->exits),
 * vcpu_exit_end() with the TSC read right before the next entry, or when the
 * run ends. A call to vcpu_exit_end() without an exit begun does nothing.
 */
static inline void vcpu_exit_begin(struct vcpu *v, unsigned int reason, uint64_t tsc)
{
	v->in_exit = true;
	v->exit_reason = MIN(reason, VM_EXIT_COUNTERS - 1);
	v->exit_tsc = tsc;
	v->exit_walked = pool_walked();
}

static inline void vcpu_exit_end(struct vcpu *v, uint64_t tsc)
{
	struct vm *vm = v->vm;
	uint64_t ticks = tsc - v->exit_tsc, walked = pool_walked() - v->exit_walked;

	if (!v->in_exit)
		return;
	v->in_exit = false;
	if (ticks > vm->work_ticks_max) {
		vm->work_ticks_max = ticks;
		vm->work_ticks_reason = v->exit_reason;
	}
	vm->work_ticks_by_reason[v->exit_reason] = MAX(vm->work_ticks_by_reason[v->exit_reason], ticks);
	vm->work_walked_max = MAX(vm->work_walked_max, walked);
}

/*
 * Before an entry: the highest pending event goes in if the guest can take
 * it now (an NMI first, then an interrupt), else the back end is asked for
 * an exit as soon as it can (interrupt or NMI window). An interrupt that
 * cannot go in now, also behind an event being injected, asks for the
 * window, so that it comes right after that event's handler if it runs
 * with IF=0.
 */
static inline void vcpu_inject_events(struct vcpu *v)
{
	bool from_pic, window = false, nmi_window = false;
	int vec;

	if (lapic_nmi_pending(&v->lapic)) {
		switch (virt->nmi_gate(v)) {
		case VIRT_NMI_NOW:
			virt->inject_nmi(v);
			lapic_nmi_ack(&v->lapic);
			break;
		case VIRT_NMI_IRQ_WINDOW:
			window = true;
			break;
		case VIRT_NMI_WAIT:
			nmi_window = true;
			break;
		}
	}
	vec = vcpu_irq_pending(v, &from_pic); /* nothing of the back end when idle */
	if (vec >= 0) {
		if (virt->irq_allowed(v)) {
			virt->inject_irq(v, (uint8_t)vec);
			vcpu_irq_ack(v, vec, from_pic);
			v->irq_from_pic = from_pic;
		} else {
			window = true;
		}
	}
	if (window != v->irq_window || nmi_window != v->nmi_window) {
		virt->set_windows(v, window, nmi_window);
		v->irq_window = window;
		v->nmi_window = nmi_window;
	}
}

/*
 * With several CPUs, guests run without vm_lock: it is dropped right before
 * the entry and taken again after the exit. in_guest is set before the last
 * look at the translation flushes other CPUs asked for (vm_flush_gpt()):
 * a request either is seen here or finds in_guest set and kicks this CPU
 * out of its guest. Flushes are handled while waiting for the lock too.
 */
static inline void guest_enter_smp(struct pcpu *p)
{
	spin_unlock(&vm_lock);
	__atomic_store_n(&p->in_guest, true, __ATOMIC_SEQ_CST);
	if ((__atomic_load_n(&p->flush_vms, __ATOMIC_SEQ_CST) & 1ULL << p->current->vm->id) ||
	    __atomic_load_n(&p->flush_req, __ATOMIC_SEQ_CST) != p->flush_done)
		vm_process_flushes();
}

void vcpu_exited_smp(struct vcpu *v)
{
	struct pcpu *p = this_cpu();

	(void)v;
	p->exit_tsc = rdtsc();
	__atomic_store_n(&p->in_guest, false, __ATOMIC_SEQ_CST);
	vm_process_flushes();
	while (!spin_trylock(&vm_lock)) {
		if (__atomic_load_n(&p->flush_req, __ATOMIC_SEQ_CST) != p->flush_done)
			vm_process_flushes();
		__builtin_ia32_pause();
	}
}

void vcpu_run(struct vcpu *v, uint64_t slice)
{
	struct vm *vm = v->vm;
	struct pcpu *p = this_cpu();
	uint64_t deadline = rdtsc() + slice;
	bool smp = nr_pcpus > 1;

	__atomic_store_n(&p->current, v, __ATOMIC_SEQ_CST);
	virt->vcpu_load(v);
	if (smp)
		vm_flush_loaded(v);
	guest_cpu_switch(v, virt->switch_syscall_msrs);
	if (v->lapic.init_received) {
		/* Out of wait-for-SIPI (runnable() waited for the SIPI): an AP's
		 * first run, or a vCPU that an INIT reset. INIT resets the local
		 * APIC too, and nothing of the vCPU's last life goes on. */
		uint8_t vector = v->lapic.sipi_vector;

		if (v->ran)
			lapic_reset(&v->lapic, v->id);
		virt->sipi(v, vector);
		v->lapic.init_received = v->lapic.sipi_received = false;
		v->halted = v->halted_nmi_only = false;
		memset(v->hc_cont, 0, sizeof(v->hc_cont));
	}
	v->ran = true;
	while (vm->state == VM_RUNNING && !v->halted) {
		uint64_t now = rdtsc(), t0, t1, next;
		struct vexit e;
		int reason;

		if (now >= deadline)
			break;
		board_poll(v);
		if (vm->state != VM_RUNNING)
			break;
		next = vm_timers_tick(v, now);
		vcpu_inject_events(v);
		mitig_before_entry();
		t0 = rdtsc();
		vcpu_exit_end(v, t0);
		if (smp)
			guest_enter_smp(p);
		reason = virt->enter(v, MIN(deadline, MAX(next, now)) - now, &e);
		t1 = smp ? p->exit_tsc : rdtsc(); /* with vm_lock again (vcpu_exited_smp()) */
		vm->tsc_run += t1 - t0;
		if (reason < 0)
			break; /* the entry failed: the VM was stopped */
		vm->exits[MIN((unsigned int)reason, VM_EXIT_COUNTERS - 1)]++;
		vcpu_exit_begin(v, (unsigned int)reason, t1);
		if (vm->state != VM_RUNNING)
			break; /* the back end stopped it (failed entry) */
		virt->apply(v, &e, vexit_handle(v, &e));
	}
	vcpu_exit_end(v, rdtsc());
	if (smp) /* the vCPU may run on another CPU next */
		guest_cpu_release(v, virt->switch_syscall_msrs);
	virt->vcpu_put(v);
	__atomic_store_n(&p->current, NULL, __ATOMIC_SEQ_CST);
}
