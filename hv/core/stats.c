/* SPDX-License-Identifier: MIT */
/*
 * Serial stats. Columns are fixed width so that tests and people can read
 * them; every number is a count (exits, calls, TSC ticks), never wall time.
 */
#include <asm/mitigations.h>
#include <asm/pcpu.h>
#include <asm/trap.h>
#include <asm/tsc.h>
#include <asm/virt.h>
#include <base/console.h>
#include <hv/hint/hint.h>
#include <hv/mem/pool.h>
#include <hv/core/stats.h>
#include <hv/vm/vm.h>

static const char *state_name(enum vm_state s)
{
	return s == VM_READY ? "ready" : s == VM_RUNNING ? "running" : s == VM_RESETTING ? "resetting" :
	       "stopped";
}

static void print_vm_table(void)
{
	printk("%-12s %-8s %6s %10s %10s %16s %7s %6s %6s %5s  %s\n", "vm", "state", "exit", "exits",
	       "hypercalls", "guest-tsc", "#GP-msr", "?port", "?mmio", "boots", "reason");
	for (unsigned int i = 0; i < nr_vms; i++) {
		const struct vm *vm = vms[i];
		uint64_t exits = 0, calls = 0;

		for (unsigned int r = 0; r < VM_EXIT_COUNTERS; r++)
			exits += vm->exits[r];
		for (unsigned int c = 0; c < ARRAY_SIZE(vm->hypercalls); c++)
			calls += vm->hypercalls[c];
		printk("%-12s %-8s %6d %10lu %10lu %16lu %7lu %6lu %6lu %5lu  %s\n", vm->name,
		       state_name(vm->state), vm->exit_code, exits, calls, vm->tsc_run, vm->unknown_msrs,
		       vm->unknown_ports, vm->open_bus.count, vm->boots, vm->stop_reason);
	}
}

/* Per VM, the ports that were accessed but not handled (the ?port column),
 * and where the accesses to guest-physical space nothing answers began
 * (?mmio). */
static void print_port_table(void)
{
	for (unsigned int i = 0; i < nr_vms; i++) {
		const struct vm *vm = vms[i];

		if (vm->open_bus.count)
			printk("open bus of %s: %lu accesses, the first a %s at gpa %#lx\n", vm->name,
			       vm->open_bus.count, vm->open_bus.first_write ? "write" : "read",
			       vm->open_bus.first_gpa);
		if (!vm->unknown_ports)
			continue;
		printk("unhandled ports of %s:", vm->name);
		for (unsigned int p = 0; p < VM_PORT_SLOTS && vm->port_counts[p].count; p++)
			printk(" %#x:%lu", vm->port_counts[p].port, vm->port_counts[p].count);
		printk("\n");
	}
}

/* Page states of all VMs (stopped ones as they stopped) and mm counters. */
static void print_memory(void)
{
	uint64_t total[4][3] = { { 0 } };

	printk("%-12s %10s %10s %9s %9s %9s %9s %10s %8s\n", "memory", "page-outs", "page-ins",
	       "drops-U", "drops-V", "drops-P", "discards", "zero-fills", "reuse");
	for (unsigned int i = 0; i < nr_vms; i++) {
		struct hv_vm_stats st;

		hint_get_stats(vms[i], &st);
		printk("%-12s %10lu %10lu %9lu %9lu %9lu %9lu %10lu %8lu\n", vms[i]->name, st.page_outs,
		       st.page_ins, st.drops_unused, st.drops_volatile, st.drops_pot_volatile,
		       st.discard_faults, st.zero_fills, st.reuse_detected);
		for (unsigned int s = 0; s < 4; s++)
			for (unsigned int h = 0; h < 3; h++)
				total[s][h] += st.pages[s][h];
	}
	pool_print_pages(total);
	pool_print_tables(vms, nr_vms);
}

/* Guest statistic tag (VIRTIO_BALLOON_S_*) in KiB, or -1 if never sent. */
#define GS_MEMFREE 4
#define GS_MEMTOT 5
#define GS_AVAIL 6
#define GS_CACHES 7

static int64_t guest_kib(const struct virtio_balloon *b, unsigned int tag)
{
	if (!(b->guest_stats_seen & (1u << tag)))
		return -1;
	return (int64_t)(b->guest_stats[tag] >> 10 & (UINT64_MAX >> 11));
}

/* Per VM with a balloon: target, counters, and what its guest last said
 * (KiB, "-" for nothing yet). */
static void print_balloons(void)
{
	static const unsigned int tags[] = { GS_MEMTOT, GS_MEMFREE, GS_AVAIL, GS_CACHES };
	bool any = false;

	for (unsigned int i = 0; i < nr_vms; i++)
		any |= vms[i]->has_balloon;
	if (!any)
		return;
	printk("%-12s %8s %8s %9s %9s %9s %9s %6s %10s %10s %10s %10s\n", "balloon", "target",
	       "actual", "inflated", "deflated", "reported", "dropped", "errors", "g-total-K",
	       "g-free-K", "g-avail-K", "g-cache-K");
	for (unsigned int i = 0; i < nr_vms; i++) {
		const struct virtio_balloon *b = &vms[i]->balloon;

		if (!vms[i]->has_balloon)
			continue;
		printk("%-12s %8u %8u %9lu %9lu %9lu %9lu %6lu", vms[i]->name, b->target, b->actual,
		       b->inflated, b->deflated, b->reported, b->dropped, b->errors);
		for (unsigned int t = 0; t < ARRAY_SIZE(tags); t++) {
			int64_t k = guest_kib(b, tags[t]);

			if (k < 0)
				printk(" %10s", "-");
			else
				printk(" %10ld", k);
		}
		printk("\n");
	}
}

static void print_exit_table(void)
{
	printk("exits by reason:\n%-28s", "  reason");
	for (unsigned int i = 0; i < nr_vms; i++)
		printk(" %10.10s", vms[i]->name);
	printk(" %10s\n", "total");
	for (unsigned int r = 0; r < VM_EXIT_COUNTERS; r++) {
		uint64_t total = 0;

		for (unsigned int i = 0; i < nr_vms; i++)
			total += vms[i]->exits[r];
		if (!total)
			continue;
		printk("  %3u %-22s", r, virt->exit_name(r));
		for (unsigned int i = 0; i < nr_vms; i++)
			printk(" %10lu", vms[i]->exits[r]);
		printk(" %10lu\n", total);
	}
}

static void print_hypercall_table(void)
{
	static const char *const names[HV_HC_MAX + 2] = {
		[HV_HC_GET_VERSION] = "get_version", [HV_HC_GET_FEATURES] = "get_features",
		[HV_HC_SET_PAGE_STATE] = "set_page_state", [HV_HC_SET_RANGE_STATE] = "set_range_state",
		[HV_HC_SET_BATCH_STATE] = "set_batch_state", [HV_HC_GET_PAGE_STATE] = "get_page_state",
		[HV_HC_REGISTER_TABLE] = "register_table", [HV_HC_REGISTER_VE_AREA] = "register_ve_area",
		[HV_HC_GET_STATS] = "get_stats", [HV_HC_RESET] = "reset", [HV_HC_MAX + 1] = "unknown",
	};

	printk("hypercalls by number:\n");
	for (unsigned int c = 0; c < HV_HC_MAX + 2; c++) {
		uint64_t total = 0;

		for (unsigned int i = 0; i < nr_vms; i++)
			total += vms[i]->hypercalls[c];
		if (!total || !names[c])
			continue;
		printk("  %2u %-23s", c, names[c]);
		for (unsigned int i = 0; i < nr_vms; i++)
			printk(" %10lu", vms[i]->hypercalls[c]);
		printk(" %10lu\n", total);
	}
}

/*
 * The largest host work one exit caused, per VM and over all: TSC ticks from
 * the exit to the next entry (with the exit reason that took the most), and
 * frame-table entries or table bytes walked, the work that grows with guest
 * RAM; how often a long hypercall was entered again to go on; then the
 * largest ticks per exit reason over all VMs.
 */
static void print_work_table(void)
{
	uint64_t ticks = 0, walked = 0, continued = 0, by_reason, parts, retries;
	unsigned int reason = 0;

	printk("host work per exit (largest: TSC ticks from an exit to the next entry; gfns walked):\n");
	printk("  %-12s %14s %10s %10s  %s\n", "vm", "max-ticks", "max-gfns", "continued",
	       "reason of max-ticks");
	for (unsigned int i = 0; i < nr_vms; i++) {
		const struct vm *vm = vms[i];

		printk("  %-12s %14lu %10lu %10lu  %s\n", vm->name, vm->work_ticks_max,
		       vm->work_walked_max, vm->hc_continued,
		       vm->work_ticks_max ? virt->exit_name(vm->work_ticks_reason) : "-");
		if (vm->work_ticks_max > ticks) {
			ticks = vm->work_ticks_max;
			reason = vm->work_ticks_reason;
		}
		walked = MAX(walked, vm->work_walked_max);
		continued += vm->hc_continued;
	}
	printk("  %-12s %14lu %10lu %10lu  %s\n", "(all)", ticks, walked, continued,
	       ticks ? virt->exit_name(reason) : "-");
	pool_slot_reclaim_stats(&parts, &retries);
	printk("  slot reclaim (paging device full): %lu parts, %lu accesses tried again meanwhile\n",
	       parts, retries);
	printk("  by reason:\n");
	for (unsigned int r = 0; r < VM_EXIT_COUNTERS; r++) {
		by_reason = 0;
		for (unsigned int i = 0; i < nr_vms; i++)
			by_reason = MAX(by_reason, vms[i]->work_ticks_by_reason[r]);
		if (by_reason)
			printk("    %3u %-22s %14lu\n", r, virt->exit_name(r), by_reason);
	}
}

/*
 * The machine-readable form (README, "Stats lines"): one line per VM,
 * comma-separated, fields never reordered (new ones go at the end). The
 * header line, printed once before the first, names them.
 */
void stats_print_line(struct vm *vm)
{
	static bool header;
	struct hv_vm_stats st;

	if (!header) {
		printk("STATS,tsc,vm,state,S_r,S_p,S_z,U_r,U_p,U_z,V_r,V_p,V_z,P_r,P_p,P_z,page_outs,"
		       "page_ins,drops_u,drops_v,drops_p,discards,zero_fills,reuse,exits,hypercalls,"
		       "guest_tsc,reported,balloon,g_total_k,g_free_k,g_avail_k,g_cache_k\n");
		header = true;
	}
	hint_get_stats(vm, &st);
	printk("STATS,%lu,%s,%s", rdtsc_now(), vm->name, state_name(vm->state));
	for (unsigned int s = 0; s < 4; s++)
		printk(",%lu,%lu,%lu", st.pages[s][HV_HOST_RESIDENT], st.pages[s][HV_HOST_PRESERVED],
		       st.pages[s][HV_HOST_ZERO]);
	printk(",%lu,%lu,%lu,%lu,%lu,%lu,%lu,%lu,%lu,%lu,%lu", st.page_outs, st.page_ins,
	       st.drops_unused, st.drops_volatile, st.drops_pot_volatile, st.discard_faults,
	       st.zero_fills, st.reuse_detected, st.exits, st.hypercalls, vm->tsc_run);
	/* The balloon: pages reported, pages it holds, the guest's numbers
	 * (empty fields: no balloon, or not sent yet). */
	if (vm->has_balloon) {
		static const unsigned int tags[] = { GS_MEMTOT, GS_MEMFREE, GS_AVAIL, GS_CACHES };

		printk(",%lu,%u", vm->balloon.reported, vm->balloon.actual);
		for (unsigned int t = 0; t < ARRAY_SIZE(tags); t++) {
			int64_t k = guest_kib(&vm->balloon, tags[t]);

			if (k < 0)
				printk(",");
			else
				printk(",%ld", k);
		}
		printk("\n");
	} else {
		printk(",0,0,,,,\n");
	}
}

/* With several host CPUs: the slices each ran, the kicks it took, and per
 * VM the translation shootdowns (CPUs waited for, of them kicked out of the
 * guest by an IPI). */
static void print_cpus(void)
{
	if (nr_pcpus == 1)
		return;
	printk("host CPUs:");
	for (unsigned int i = 0; i < nr_pcpus; i++)
		printk(" cpu%u %lu slices %lu kicks;", i, pcpus[i].slices, pcpus[i].kicks);
	printk("\nshootdowns:");
	for (unsigned int i = 0; i < nr_vms; i++)
		printk(" %s %lu (%lu IPIs);", vms[i]->name, vms[i]->shootdowns, vms[i]->shootdown_ipis);
	printk("\n");
}

/* How often each barrier between VMs ran (those on; asm/mitigations.h). */
static void print_mitigations(void)
{
	if (!mitig_on)
		return;
	printk("mitigations run:");
	for (unsigned int i = 0; i < MITIG_NR; i++)
		if (mitig_on & MITIG_BIT(i))
			printk(" %s %lu", mitig_name(i), mitig_count[i]);
	printk("\n");
}

void stats_print(bool final)
{
	printk("==== hintvisor stats%s ====\n", final ? " (end of run)" : "");
	print_vm_table();
	print_memory();
	print_balloons();
	if (final) {
		print_exit_table();
		print_hypercall_table();
		print_work_table();
		print_port_table();
		if (host_nmis)
			printk("host NMIs ignored: %lu\n", host_nmis);
		print_mitigations();
		print_cpus();
	}
	printk("==== end of stats ====\n");
	for (unsigned int i = 0; !final && i < nr_vms; i++)
		if (vms[i]->state != VM_STOPPED)
			stats_print_line(vms[i]);
}
