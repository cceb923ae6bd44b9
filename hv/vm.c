/* SPDX-License-Identifier: MIT */
/*
 * VM life cycle: creation from a config entry (RAM, nested page tables,
 * image, hvboot start state), lazy population of guest RAM, the ways a VM
 * stops, and its restart from the same images after a reset the guest
 * requested. Hypervisor context, BSP.
 */
#include <asm/tsc.h>
#include <asm/virt.h>
#include <errcode.h>
#include <hv/acpi.h>
#include <hv/console.h>
#include <hv/elf.h>
#include <hv/gmem.h>
#include <hv/hint.h>
#include <hv/linux.h>
#include <hv/mem.h>
#include <hv/multiboot.h>
#include <hv/pool.h>
#include <hv/vm.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* hvboot layout in guest-physical memory (guest-abi/ABI.md). */
#define BOOT_GDT_GPA 0x1800
#define BOOT_CMDLINE_GPA 0x1c00
#define BOOT_PML4_GPA 0x2000
#define BOOT_STACK_TOP 0x80000
/* The balloon asks for fresh guest statistics after this much guest time. */
#define BALLOON_STATS_MS 1000

struct vm *vms[VM_MAX];
unsigned int nr_vms;
static struct vm vm_storage[VM_MAX];
static const struct boot_info *boot_modules; /* the images, kept for restarts */

static int copy_to_guest(void *ctx, uint64_t gpa, const void *src, size_t n)
{
	return gmem_write(ctx, gpa, src, n);
}

int vm_identity_tables(struct vm *vm, uint64_t pml4)
{
	uint64_t pdpt = pml4 + PAGE_SIZE, pd = pml4 + 2 * PAGE_SIZE, e = pdpt | 0x3;
	int rc = gmem_write(vm, pml4, &e, sizeof(e));

	for (uint64_t i = 0; i < 4 && !rc; i++) {
		e = (pd + i * PAGE_SIZE) | 0x3;
		rc = gmem_write(vm, pdpt + i * 8, &e, sizeof(e));
	}
	for (uint64_t i = 0; i < 4 * 512 && !rc; i++) {
		e = (i << 21) | 0x83; /* present, writable, 2 MiB */
		rc = gmem_write(vm, pd + i * 8, &e, sizeof(e));
	}
	return rc;
}

/* Start info, GDT and identity page tables for a 64-bit guest. */
static int build_boot_area(struct vm *vm, const struct vm_config *cfg)
{
	struct hv_start_info si = { 0 };
	uint64_t gdt[3] = { 0, 0x00af9a000000ffffULL, 0x00cf92000000ffffULL };
	int rc;

	si.magic = HV_START_MAGIC;
	si.version = HV_ABI_VERSION;
	si.vcpus = 1;
	si.mem_bytes = vm->mem_bytes;
	si.cmdline_gpa = cfg->cmdline[0] ? BOOT_CMDLINE_GPA : 0;
	snprintf(si.name, sizeof(si.name), "%s", vm->name);
	rc = copy_to_guest(vm, HV_START_INFO_GPA, &si, sizeof(si));
	rc = rc ?: copy_to_guest(vm, BOOT_GDT_GPA, gdt, sizeof(gdt));
	rc = rc ?: copy_to_guest(vm, BOOT_CMDLINE_GPA, cfg->cmdline, strlen(cfg->cmdline) + 1);
	return rc ?: vm_identity_tables(vm, BOOT_PML4_GPA);
}

/* A 64-bit ELF test kernel with the hvboot start state (ABI.md §8). */
static int load_hvboot(struct vm *vm, const struct vm_config *cfg, const struct boot_module *img,
		       struct vcpu_start *start, const char **why)
{
	int rc = elf_load(hpa_to_virt(_hpa(img->base)), img->len, vm->mem_bytes, copy_to_guest, vm,
			  &vm->entry, why);

	rc = rc ?: build_boot_area(vm, cfg);
	*start = (struct vcpu_start){
		.mode = VCPU_MODE_LONG,
		.rip = vm->entry,
		.rsp = BOOT_STACK_TOP,
		.cr3 = BOOT_PML4_GPA,
		.gdt_base = BOOT_GDT_GPA,
		.gdt_limit = 23,
		.cs = 0x08,
		.ds = 0x10,
		.regs = { .rdi = HV_START_INFO_GPA },
	};
	return rc;
}

static const struct boot_module *find(const struct boot_info *bi, const struct vm_config *cfg,
				      const char *name)
{
	const struct boot_module *m = boot_find_module(bi, name);

	if (!m)
		printk("hintvisor: VM %s: %s not found among the boot modules\n", cfg->name, name);
	return m;
}

/* A multiboot kernel's modules: initrd= first (its string is its name), then
 * each module= (its string is the whole value). */
static int load_multiboot(struct vm *vm, const struct vm_config *cfg, const struct boot_info *bi,
			  const uint8_t *p, size_t len, struct vcpu_start *start, const char **why)
{
	struct multiboot_module mods[1 + CFG_MAX_MODULES];
	unsigned int n = 0;

	_Static_assert(1 + CFG_MAX_MODULES <= MULTIBOOT_MAX_MODULES, "module list");
	for (unsigned int i = 0; i <= cfg->nr_modules; i++) {
		const char *file = i ? cfg->modules[i - 1].file : cfg->initrd;
		const struct boot_module *m;

		if (!file[0])
			continue;
		m = find(bi, cfg, file);
		if (!m)
			return -ENOENT;
		mods[n++] = (struct multiboot_module){
			.data = hpa_to_virt(_hpa(m->base)),
			.len = m->len,
			.string = i ? cfg->modules[i - 1].string : cfg->initrd,
		};
	}
	return multiboot_load(vm, p, len, cfg->cmdline, mods, n, start, why);
}

static int load_image(struct vm *vm, const struct vm_config *cfg, const struct boot_info *bi,
		      struct vcpu_start *start, const char **why)
{
	const struct boot_module *img = find(bi, cfg, cfg->image), *rd = NULL;
	const uint8_t *p;

	if (!img)
		return -ENOENT;
	p = hpa_to_virt(_hpa(img->base));
	if (multiboot_find_header(p, img->len) >= 0 && img->len > 4 && p[4] == 1 /* ELF32 */)
		return load_multiboot(vm, cfg, bi, p, img->len, start, why);
	if (cfg->nr_modules) {
		*why = "module= is for multiboot kernels only";
		return -EINVAL;
	}
	if (!linux_is_bzimage(p, img->len))
		return load_hvboot(vm, cfg, img, start, why);
	if (cfg->initrd[0] && !(rd = find(bi, cfg, cfg->initrd)))
		return -ENOENT;
	return linux_load(vm, p, img->len, rd ? hpa_to_virt(_hpa(rd->base)) : NULL,
			  rd ? rd->len : 0, cfg->cmdline, start, why);
}

/* A balloon, per the config; by default for Linux guests only. */
static int attach_balloon(struct vm *vm, const struct vm_config *cfg, const struct boot_info *bi)
{
	const struct boot_module *img = boot_find_module(bi, cfg->image);
	bool want = cfg->balloon == CFG_BALLOON_ON;

	if (cfg->balloon == CFG_BALLOON_DEFAULT && img)
		want = linux_is_bzimage(hpa_to_virt(_hpa(img->base)), img->len);
	if (!want)
		return 0;
	vm->has_balloon = true;
	return virtio_balloon_init(vm, &vm->balloon, (uint32_t)(cfg->balloon_bytes >> PAGE_SHIFT),
				   ms_to_tsc(BALLOON_STATS_MS));
}

static int attach_devices(struct vm *vm, const struct vm_config *cfg, const struct boot_info *bi)
{
	const struct boot_module *disk;

	int rc;

	uart_reset(&vm->uart);
	pic_reset(&vm->pic);
	ioapic_reset(&vm->ioapic, 1u << PCI_INTX_IRQ); /* the PCI INTA# line: active low */
	platform_reset(&vm->plat);
	lapic_reset(&vm->vcpu.lapic, vm->vcpu.id);
	pci_init(&vm->pci, &vm->host_bridge);
	rc = vm_bus_setup(vm);
	if (rc)
		return rc;
	if (cfg->disk[0]) {
		disk = find(bi, cfg, cfg->disk);
		if (!disk)
			return -ENOENT;
		vm->has_blk = true;
		rc = virtio_blk_init(vm, &vm->blk, hpa_to_virt(_hpa(disk->base)), disk->len);
		if (rc)
			return rc;
	}
	return attach_balloon(vm, cfg, bi);
}

/*
 * Everything a VM runs on, from its config and the boot modules: nested
 * tables, frame table, devices in their power-on state, the image, ACPI
 * tables, the vCPU. On failure what was built stays for vm_destroy(), and
 * *why may say what went wrong.
 */
static int vm_build(struct vm *vm, const char **why)
{
	struct vcpu_start start;
	int rc;

	rc = pool_gpt_init(vm);
	rc = rc ?: pool_vm_init(vm);
	rc = rc ?: attach_devices(vm, vm->cfg, boot_modules);
	rc = rc ?: load_image(vm, vm->cfg, boot_modules, &start, why);
	if (!rc && (rc = acpi_build(vm)))
		*why = "out of memory while writing the ACPI tables";
	rc = rc ?: virt->vcpu_init(&vm->vcpu, &start);
	if (!rc)
		vm->entry = start.rip;
	return rc;
}

int vm_create(const struct vm_config *cfg, const struct boot_info *bi)
{
	struct vm *vm;
	const char *why = "";
	int rc;

	if (nr_vms == VM_MAX)
		return -ENOSPC;
	boot_modules = bi;
	vm = &vm_storage[nr_vms];
	memset(vm, 0, sizeof(*vm));
	snprintf(vm->name, sizeof(vm->name), "%s", cfg->name);
	vm->id = nr_vms;
	vm->cfg = cfg;
	vm->mem_bytes = cfg->mem_bytes;
	vm->nr_frames = cfg->mem_bytes >> PAGE_SHIFT;
	vm->exit_code = -1;
	vm->boots = 1;
	vm->vcpu.vm = vm;

	rc = vm_build(vm, &why);
	if (rc) {
		printk("hintvisor: VM %s: cannot load %s: %s (%d)\n", cfg->name, cfg->image,
		       why[0] ? why : "missing module or out of memory", rc);
		vm_destroy(vm);
		return rc;
	}
	vm->state = VM_READY;
	vms[nr_vms++] = vm;
	printk("hintvisor: VM %s: %lu MiB RAM, image %s, entry %#lx%s%s", vm->name,
	       vm->mem_bytes >> 20, cfg->image, vm->entry, cfg->disk[0] ? ", disk " : "", cfg->disk);
	if (vm->has_balloon)
		printk(", balloon (target %lu KiB)", cfg->balloon_bytes >> 10);
	printk("\n");
	return 0;
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

/*
 * A reset is another boot of the same VM, as a PC's reset line gives: all
 * its RAM goes back to the pool (a new boot reads zeros, then the loader's
 * fresh copy of the image), and it waits for its next turn of the
 * round-robin like any VM, so a guest that resets in a loop costs the
 * others one rebuild per turn of its own, no more. The disk module keeps
 * what the guest wrote, as a disk does.
 */
int vm_restart(struct vm *vm)
{
	const char *why = "";
	int rc;

	if (vm->state != VM_RESETTING)
		return -EINVAL;
	vm_destroy(vm); /* not stopped: no last stats line */
	memset(&vm->vcpu, 0, sizeof(vm->vcpu)); /* the #VE area, halt, APIC, MSRs, registers */
	vm->vcpu.vm = vm;
	vm->table_gpa = vm->table_nr = vm->table_pinned = 0;
	vm->table_ready = false;
	vm->has_blk = vm->has_balloon = false;
	vm_console_flush(vm); /* a partial line of the last boot */
	rc = vm_build(vm, &why);
	if (rc) {
		vm_crash(vm, "cannot restart after a reset (%s): %s (%d)", vm->reset_reason,
			 why[0] ? why : "missing module or out of memory", rc);
		return rc;
	}
	/* The VPID/ASID is the VM's own and the new tables may sit where the
	 * old ones were: no translation of the last boot may survive. */
	virt->flush_gpt(vm);
	vm->boots++;
	vm->state = VM_READY; /* the scheduler powers it on (PM timer from 0) */
	printk("hintvisor: VM %s restarted: reset requested by the guest (%s); boot %lu\n", vm->name,
	       vm->reset_reason, vm->boots);
	return 0;
}

void vm_destroy(struct vm *vm)
{
	if (vm->has_blk)
		virtio_blk_release(vm, &vm->blk);
	if (vm->has_balloon)
		virtio_balloon_release(vm, &vm->balloon);
	virt->vcpu_destroy(&vm->vcpu);
	gpt_destroy(&vm->arch.gpt);
	hint_vm_destroy(vm);
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

bool hv_device_work(const struct vm *vm)
{
	return (vm->has_blk && vm->blk.kicked && vm->blk.q.pinned) ||
	       (vm->has_balloon && virtio_balloon_busy(&vm->balloon));
}

void vcpu_exit_begin(struct vcpu *v, unsigned int reason, uint64_t tsc)
{
	v->in_exit = true;
	v->exit_reason = MIN(reason, VM_EXIT_COUNTERS - 1);
	v->exit_tsc = tsc;
	v->exit_walked = pool_walked();
}

void vcpu_exit_end(struct vcpu *v, uint64_t tsc)
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

uint64_t vm_timers_fire(struct vcpu *v, uint64_t now)
{
	struct platform_ports *p = &v->vm->plat;
	uint64_t pit = platform_pit_next_irq0(p);

	lapic_tick(&v->lapic, now);
	if (now >= pit && platform_pit_irq0(p, now)) {
		vm_set_irq(v->vm, 0, true); /* an edge */
		vm_set_irq(v->vm, 0, false);
		pit = platform_pit_next_irq0(p);
	}
	return MIN(lapic_next_event(&v->lapic), pit);
}

void hv_gpt_fault(struct vcpu *v, gpa_t gpa, uint64_t gla, bool gla_valid, uint32_t access)
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
