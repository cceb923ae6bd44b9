/* SPDX-License-Identifier: MIT */
/*
 * Serial stats. Columns are fixed width so that tests and people can read
 * them; every number is a count (exits, calls, TSC ticks), never wall time.
 */
#include <asm/mitigations.h>
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
		       "guest_tsc\n");
		header = true;
	}
	hint_get_stats(vm, &st);
	printk("STATS,%lu,%s,%s", rdtsc_now(), vm->name, state_name(vm->state));
	for (unsigned int s = 0; s < 4; s++)
		printk(",%lu,%lu,%lu", st.pages[s][HV_HOST_RESIDENT], st.pages[s][HV_HOST_PRESERVED],
		       st.pages[s][HV_HOST_ZERO]);
	printk(",%lu,%lu,%lu,%lu,%lu,%lu,%lu,%lu,%lu,%lu,%lu\n", st.page_outs, st.page_ins,
	       st.drops_unused, st.drops_volatile, st.drops_pot_volatile, st.discard_faults,
	       st.zero_fills, st.reuse_detected, st.exits, st.hypercalls, vm->tsc_run);
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
	if (final) {
		print_exit_table();
		print_hypercall_table();
		print_work_table();
		print_port_table();
		if (host_nmis)
			printk("host NMIs ignored: %lu\n", host_nmis);
		print_mitigations();
	}
	printk("==== end of stats ====\n");
	for (unsigned int i = 0; !final && i < nr_vms; i++)
		if (vms[i]->state != VM_STOPPED)
			stats_print_line(vms[i]);
}
