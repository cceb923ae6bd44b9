/* SPDX-License-Identifier: MIT */
/*
 * hv_main: the common path after either boot loader. Brings up the host
 * (tables, paging, frames), VT-x or SVM, the VMs of the config, then runs them
 * round-robin on every host CPU until every one has stopped (docs/smp.md).
 * Interrupts off.
 */
#include <asm/cpu.h>
#include <asm/mitigations.h>
#include <asm/paging.h>
#include <asm/pcpu.h>
#include <asm/smp.h>
#include <asm/trap.h>
#include <asm/tsc.h>
#include <asm/virt.h>
#include <hv/vm/config.h>
#include <base/console.h>
#include <base/mem.h>
#include <hv/mem/pool.h>
#include <hv/core/lifecycle.h>
#include <hv/core/stats.h>
#include <hv/vcpu/run.h>
#include <hv/vcpu/upcalls.h>
#include <hv/vm/vm.h>
#include <string.h>

#define HV_VERSION "0.1"
#define SLICE_MS 10

static struct hv_config config;

static uint64_t memory_top(const struct boot_info *bi)
{
	uint64_t top = 0;

	for (uint32_t i = 0; i < bi->nr_mem; i++)
		if (bi->mem[i].type != BOOT_MEM_RESERVED)
			top = MAX(top, bi->mem[i].base + bi->mem[i].len);
	return top;
}

static void load_config(const struct boot_info *bi)
{
	const struct boot_module *m = boot_find_module(bi, CFG_FILE_NAME);
	char err[192];

	if (!m) {
		printk("hintvisor: no %s among the boot modules\n", CFG_FILE_NAME);
		con_shutdown(1);
	}
	if (config_parse(hpa_to_virt(_hpa(m->base)), m->len, &config, err, sizeof(err))) {
		printk("hintvisor: %s: %s\n", CFG_FILE_NAME, err);
		con_shutdown(1);
	}
}

static struct vm *find_vm(const char *name)
{
	for (unsigned int i = 0; i < nr_vms; i++)
		if (strcmp(vms[i]->name, name) == 0)
			return vms[i];
	return NULL; /* its creation failed: nothing to wait for */
}

static bool any_runnable(void)
{
	for (unsigned int i = 0; i < nr_vms; i++)
		if (vms[i]->state != VM_STOPPED)
			return true;
	return false;
}

static bool all_halted(const struct vm *vm)
{
	for (unsigned int c = 0; c < vm->nr_vcpus; c++)
		if (!vm->vcpus[c].halted)
			return false;
	return true;
}

/*
 * Can vCPU v run now? Not before its VM may start; a halted vCPU wakes when
 * an interrupt is pending for it. Device work left from earlier exits
 * (virtio-blk requests beyond a budget, or waiting for host memory) goes on
 * while it is halted: its completion may be what the vCPU waits for.
 */
static bool runnable(struct vcpu *v, uint64_t now)
{
	struct vm *vm = v->vm;
	bool from_pic;

	if (vm->state == VM_STOPPED || (vm->after && vm->after->state != VM_STOPPED) ||
	    now < vm->start_at)
		return false;
	if (v->lapic.init_received)
		return v->lapic.sipi_received; /* in wait-for-SIPI */
	if (!v->halted)
		return true;
	if (board_work_pending(vm)) {
		board_poll(v);
		if (vm->state == VM_STOPPED)
			return false;
	}
	(void)vm_timers_tick(v, now);
	if (!lapic_nmi_pending(&v->lapic) &&
	    (v->halted_nmi_only || vcpu_irq_pending(v, &from_pic) < 0))
		return false;
	v->halted = v->halted_nmi_only = false;
	return true;
}

/*
 * Nothing can run: every VM left is halted or waits for another (after=).
 * Wait for the first timer of a halted vCPU, or until the TSC until (the
 * next stats lines). With none armed nothing can
 * ever change (no device raises an interrupt by itself, no VM wakes
 * another), so stop the halted VMs, which can never wake; the VMs that
 * waited for them get their turn. Never stop a VM that has not started.
 */
static void idle(uint64_t until)
{
	uint64_t wake = UINT64_MAX;
	bool any = false;

	for (unsigned int i = 0; i < nr_vms; i++)
		if (vms[i]->state != VM_STOPPED && board_work_pending(vms[i]))
			return; /* the next round's runnable() does some of it */

	for (unsigned int i = 0; i < nr_vms; i++) {
		if (vms[i]->state == VM_STOPPED)
			continue;
		for (unsigned int c = 0; c < vms[i]->nr_vcpus; c++)
			if (vms[i]->vcpus[c].halted)
				wake = MIN(wake, vm_next_timer(&vms[i]->vcpus[c]));
		if (vms[i]->start_at > rdtsc_now())
			wake = MIN(wake, vms[i]->start_at); /* not started yet (delay_ms=) */
	}
	if (wake != UINT64_MAX) {
		wake = MIN(wake, until);
		while (rdtsc_now() < wake)
			cpu_relax();
		return;
	}
	for (unsigned int i = 0; i < nr_vms; i++) {
		if (vms[i]->state != VM_STOPPED && all_halted(vms[i])) {
			vm_crash(vms[i], "halted with no interrupt source armed");
			any = true;
		}
	}
	if (any)
		return;
	/* Only waiters left, none of them able to start: cannot happen while
	 * after= names an earlier VM, but never spin for ever. */
	for (unsigned int i = 0; i < nr_vms; i++)
		if (vms[i]->state != VM_STOPPED)
			vm_crash(vms[i], "waits for a VM that never stops");
}

static void stop_vm(struct vm *vm)
{
	vm_console_flush(vm);
	vm_destroy(vm);
}

/* The scheduler's state, under vm_lock. */
static struct {
	uint64_t slice, interval, next_stats, guest_time;
	uint64_t host_stats; /* also every interval of host time (reporting works while guests sleep) */
	unsigned int cursor; /* the VM whose turn is next */
} sched;

/* A vCPU running on a CPU, or a VM with one. */
static bool on_cpu(const struct vm *vm)
{
	for (unsigned int c = 0; c < vm->nr_vcpus; c++)
		if (vm->vcpus[c].on_cpu)
			return true;
	return false;
}

static bool any_on_cpu(void)
{
	for (unsigned int i = 0; i < nr_vms; i++)
		if (on_cpu(vms[i]))
			return true;
	return false;
}

/*
 * The next vCPU that can run and runs nowhere, round-robin over the VMs and
 * over the vCPUs of each: a vCPU that spins waiting for another of its VM
 * (a TLB shootdown, a lock) must not keep taking the only CPU from it.
 */
static struct vcpu *pick(uint64_t now)
{
	for (unsigned int n = 0; n < nr_vms; n++) {
		unsigned int i = (sched.cursor + n) % nr_vms;
		struct vm *vm = vms[i];

		for (unsigned int k = 0; k < vm->nr_vcpus; k++) {
			unsigned int c = (vm->vcpu_cursor + k) % vm->nr_vcpus;
			struct vcpu *v = &vm->vcpus[c];

			if (!v->on_cpu && vm->state != VM_RESETTING && runnable(v, now)) {
				sched.cursor = (i + 1) % nr_vms;
				vm->vcpu_cursor = (c + 1) % vm->nr_vcpus;
				return v;
			}
		}
	}
	return NULL;
}

/*
 * One slice of SLICE_MS guest time for v on this CPU, then what its end asks
 * for: the restart after a reset, the CPU-time limit, freeing a stopped VM,
 * balancing the pool. Under vm_lock (vcpu_run() drops it while the guest
 * runs, with several CPUs).
 */
static void run_slice(struct vcpu *v)
{
	struct vm *vm = v->vm;
	uint64_t before = vm->tsc_run, t;

	if (vm->state == VM_READY)
		platform_power_on(&vm->plat, rdtsc_now());
	vm->state = VM_RUNNING;
	v->on_cpu = this_cpu()->index + 1;
	this_cpu()->slices++;
	t = rdtsc_now();
	vcpu_run(v, sched.slice);
	vm->cpu_time += rdtsc_now() - t;
	v->on_cpu = 0;
	sched.guest_time += vm->tsc_run - before;
	if (on_cpu(vm))
		return; /* another vCPU of it runs: the last one out does the rest */
	if (vm->state == VM_RESETTING)
		vm_restart(vm); /* runs again from its next turn */
	/* A guest that can end no other way (one spinning in an event loop
	 * the CPU never leaves, but for the exits): its CPU time, in the guest
	 * and in the host for its exits, since a loop of exits is mostly the
	 * latter. */
	if (vm->time_limit && vm->cpu_time >= vm->time_limit)
		vm_crash(vm, "time limit of %lu ms of CPU time reached",
			 vm->time_limit / (tsc_hz / 1000));
	if (vm->state == VM_STOPPED)
		stop_vm(vm);
	pool_balance();
	smp_kick_idle(); /* v, or a VM waiting for this one, may run there */
}

/*
 * The host's out-of-memory rule chose vm: free it now, or, while a vCPU of
 * it runs on another CPU, kick that CPU so that it stops the VM (stopped by
 * now) at once; the faulting access is tried again then.
 */
static bool release_victim(struct vm *vm)
{
	for (unsigned int c = 0; c < vm->nr_vcpus; c++) {
		unsigned int cpu = vm->vcpus[c].on_cpu;

		if (cpu) {
			smp_kick(cpu - 1);
			return false;
		}
	}
	stop_vm(vm);
	return true;
}

/*
 * Every CPU: run the vCPUs that can run, one slice at a time, until every VM
 * has stopped. Nothing can run anywhere: the boot CPU waits for the next
 * timer (idle()); the others look again.
 */
static void schedule(void)
{
	bool boot = this_cpu()->index == 0;

	spin_lock(&vm_lock);
	while (any_runnable()) {
		struct vcpu *v = pick(rdtsc_now());

		if (v) {
			run_slice(v);
		} else if (boot && !any_on_cpu()) {
			idle(sched.interval ? sched.host_stats : UINT64_MAX);
			for (unsigned int i = 0; i < nr_vms; i++)
				if (vms[i]->state == VM_STOPPED && vms[i]->mm_storage)
					stop_vm(vms[i]);
		} else {
			/* Halted until a CPU whose slice ended kicks it, or a
			 * millisecond: timers and device work of halted vCPUs
			 * are looked at again then. */
			struct pcpu *p = this_cpu();

			__atomic_store_n(&p->idle, true, __ATOMIC_SEQ_CST);
			spin_unlock(&vm_lock);
			vm_process_flushes();
			smp_idle_wait(ms_to_tsc(1));
			spin_lock(&vm_lock);
			__atomic_store_n(&p->idle, false, __ATOMIC_SEQ_CST);
		}
		if (sched.interval && (sched.guest_time >= sched.next_stats ||
				       rdtsc_now() >= sched.host_stats)) {
			stats_print(false);
			sched.next_stats = sched.guest_time + sched.interval;
			sched.host_stats = rdtsc_now() + sched.interval;
		}
	}
	spin_unlock(&vm_lock);
}

void hv_main(struct boot_info *bi)
{
	con_init();
	printk("\nHintvisor %s: guest page hinting hypervisor (loader: %s)\n", HV_VERSION,
	       bi->loader);
	cpu_init_tables();
	paging_init(memory_top(bi));
	smp_find_cpus(bi); /* before memory is handed out */
	mem_init(bi);
	tsc_init();
	printk("hintvisor: %lu MiB free host memory, %u modules, TSC %lu kHz\n",
	       (host_frames.nr_free << PAGE_SHIFT) >> 20, bi->nr_modules, tsc_hz / 1000);
	load_config(bi);
	if (config.host_mem_bytes && host_frames.nr_free > config.host_mem_bytes >> PAGE_SHIFT) {
		uint64_t held = frames_withhold(&host_frames, config.host_mem_bytes >> PAGE_SHIFT);

		printk("hintvisor: host_mem: using %lu MiB, %lu MiB left unused\n",
		       (host_frames.nr_free << PAGE_SHIFT) >> 20, (held << PAGE_SHIFT) >> 20);
	}

	vcpu_layer_init();
	pool_on_oom_victim(release_victim);
	if (virt_init()) {
		printk("hintvisor: %s unusable on this CPU: no guest can run\n", virt->name);
		con_shutdown(1);
	}
	mitig_init(config.mitigations == CFG_MITIGATIONS_FORCE ? MITIG_FORCE :
		   config.mitigations == CFG_MITIGATIONS_OFF ? MITIG_OFF : MITIG_AUTO);
	smp_start(bi, config.max_cpus);
	pool_init(&config);
	for (unsigned int i = 0; i < config.nr_vms; i++) {
		const struct vm_config *c = &config.vms[i];

		if (vm_create(c, bi) == 0 && c->after >= 0)
			vms[nr_vms - 1]->after = find_vm(config.vms[c->after].name);
	}
	printk("hintvisor: %lu host frames free after set-up, for nested page tables\n",
	       host_frames.nr_free);
	for (unsigned int i = 0, k = 0; i < config.nr_vms && k < nr_vms; i++)
		if (strcmp(config.vms[i].name, vms[k]->name) == 0) {
			vms[k]->start_at = rdtsc_now() + ms_to_tsc(config.vms[i].delay_ms);
			vms[k++]->time_limit = ms_to_tsc(config.vms[i].time_limit_ms);
		}
	if (!nr_vms) {
		printk("hintvisor: no VM could be created\n");
		con_shutdown(1);
	}
	sched.slice = ms_to_tsc(SLICE_MS);
	sched.interval = sched.next_stats = ms_to_tsc(config.stats_interval_ms);
	sched.host_stats = rdtsc_now() + sched.interval;
	smp_release(schedule); /* the other CPUs join in */
	schedule();
	spin_lock(&vm_lock); /* no CPU is in a VM's slice any more */
	stats_print(true);
	con_shutdown(0);
}
