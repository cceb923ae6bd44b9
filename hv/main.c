/* SPDX-License-Identifier: MIT */
/*
 * hv_main: the common path after either boot loader. Brings up the host
 * (tables, paging, frames), VT-x or SVM, the VMs of the config, then runs them
 * round-robin until every one has stopped. BSP only, interrupts off.
 */
#include <asm/cpu.h>
#include <asm/mitigations.h>
#include <asm/paging.h>
#include <asm/trap.h>
#include <asm/tsc.h>
#include <asm/virt.h>
#include <hv/config.h>
#include <hv/console.h>
#include <hv/mem.h>
#include <hv/pool.h>
#include <hv/stats.h>
#include <hv/vm.h>
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
		hv_shutdown(1);
	}
	if (config_parse(hpa_to_virt(_hpa(m->base)), m->len, &config, err, sizeof(err))) {
		printk("hintvisor: %s: %s\n", CFG_FILE_NAME, err);
		hv_shutdown(1);
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

/*
 * Can vm run now? A halted vCPU wakes when an interrupt is pending for it.
 * Device work left from earlier exits (virtio-blk requests beyond a budget,
 * or waiting for host memory) goes on while it is halted: its completion may
 * be what the vCPU waits for.
 */
static bool runnable(struct vm *vm, uint64_t now)
{
	struct vcpu *v = &vm->vcpu;
	bool from_pic;

	if (vm->state == VM_STOPPED || (vm->after && vm->after->state != VM_STOPPED) ||
	    now < vm->start_at)
		return false;
	if (!v->halted)
		return true;
	if (hv_device_work(vm)) {
		hv_before_entry(v);
		if (vm->state == VM_STOPPED)
			return false;
	}
	(void)vm_timers_tick(v, now);
	if (vcpu_irq_pending(v, &from_pic) < 0)
		return false;
	v->halted = false;
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
		if (vms[i]->state != VM_STOPPED && hv_device_work(vms[i]))
			return; /* the next round's runnable() does some of it */

	for (unsigned int i = 0; i < nr_vms; i++) {
		if (vms[i]->state == VM_STOPPED)
			continue;
		if (vms[i]->vcpu.halted)
			wake = MIN(wake, vm_next_timer(&vms[i]->vcpu));
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
		if (vms[i]->state != VM_STOPPED && vms[i]->vcpu.halted) {
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

/*
 * Round-robin, one slice of SLICE_MS guest time each, until all stopped.
 * Stats every stats_interval_ms of guest time (summed over the VMs) or of
 * host time, whichever comes first: while the VMs idle, guest time stands
 * still, but what the host holds for them still changes (free page
 * reporting hands memory back while its guest sleeps).
 */
static void schedule(void)
{
	uint64_t slice = ms_to_tsc(SLICE_MS);
	uint64_t interval = ms_to_tsc(config.stats_interval_ms), next_stats = interval;
	uint64_t host_stats = rdtsc_now() + interval;
	uint64_t guest_time = 0;

	while (any_runnable()) {
		bool ran = false;

		for (unsigned int i = 0; i < nr_vms; i++) {
			struct vm *vm = vms[i];
			uint64_t before = vm->tsc_run, t;

			if (!runnable(vm, rdtsc_now()))
				continue;
			if (vm->state == VM_READY)
				platform_power_on(&vm->plat, rdtsc_now());
			vm->state = VM_RUNNING;
			t = rdtsc_now();
			virt->vcpu_run(&vm->vcpu, slice);
			vm->cpu_time += rdtsc_now() - t;
			ran = true;
			guest_time += vm->tsc_run - before;
			if (vm->state == VM_RESETTING)
				vm_restart(vm); /* runs again from its next turn */
			/* A guest that can end no other way (one spinning in an
			 * event loop the CPU never leaves, but for the exits):
			 * its CPU time, in the guest and in the host for its
			 * exits, since a loop of exits is mostly the latter. */
			if (vm->time_limit && vm->cpu_time >= vm->time_limit)
				vm_crash(vm, "time limit of %lu ms of CPU time reached",
					 vm->time_limit / (tsc_hz / 1000));
			if (vm->state == VM_STOPPED)
				stop_vm(vm);
			pool_balance();
		}
		if (!ran) {
			idle(interval ? host_stats : UINT64_MAX);
			for (unsigned int i = 0; i < nr_vms; i++)
				if (vms[i]->state == VM_STOPPED && vms[i]->mm_storage)
					stop_vm(vms[i]);
		}
		if (interval && (guest_time >= next_stats || rdtsc_now() >= host_stats)) {
			stats_print(false);
			next_stats = guest_time + interval;
			host_stats = rdtsc_now() + interval;
		}
	}
}

void hv_main(struct boot_info *bi)
{
	con_init();
	printk("\nHintvisor %s: guest page hinting hypervisor (loader: %s)\n", HV_VERSION,
	       bi->loader);
	cpu_init_tables();
	paging_init(memory_top(bi));
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

	if (virt_init()) {
		printk("hintvisor: %s unusable on this CPU: no guest can run\n", virt->name);
		hv_shutdown(1);
	}
	mitig_init(config.mitigations == CFG_MITIGATIONS_FORCE ? MITIG_FORCE :
		   config.mitigations == CFG_MITIGATIONS_OFF ? MITIG_OFF : MITIG_AUTO);
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
		hv_shutdown(1);
	}
	schedule();
	stats_print(true);
	hv_shutdown(0);
}
