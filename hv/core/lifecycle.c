/* SPDX-License-Identifier: MIT */
/*
 * VM life cycle: creation from a config entry (nested page tables, frame
 * table, devices, the image by its boot protocol, ACPI tables, vCPUs), the
 * restart from the same images after a reset the guest requested, and
 * freeing what a stopped VM holds. Hypervisor context, boot time and the
 * scheduler.
 */
#include <asm/tsc.h>
#include <asm/virt.h>
#include <base/console.h>
#include <base/mem.h>
#include <errcode.h>
#include <hv/core/lifecycle.h>
#include <hv/core/stats.h>
#include <hv/hint/hint.h>
#include <hv/load/acpi.h>
#include <hv/load/hvboot.h>
#include <hv/load/linux.h>
#include <hv/load/multiboot.h>
#include <hv/mem/pool.h>
#include <hv/vm/vm.h>
#include <stdio.h>
#include <string.h>

/* The balloon asks for fresh guest statistics after this much guest time. */
#define BALLOON_STATS_MS 1000

static struct vm vm_storage[VM_MAX];
static const struct boot_info *boot_modules; /* the images, kept for restarts */

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
		return hvboot_load(vm, cfg, p, img->len, start, why);
	if (cfg->initrd[0] && !(rd = find(bi, cfg, cfg->initrd)))
		return -ENOENT;
	return linux_load(vm, p, img->len, rd ? hpa_to_virt(_hpa(rd->base)) : NULL,
			  rd ? rd->len : 0, cfg->cmdline, start, why);
}

/* The vCPUs in their power-on state, before the back end's part is built. */
static void vm_vcpus_clear(struct vm *vm)
{
	vm->nr_vcpus = vm->cfg->nr_vcpus;
	memset(vm->vcpus, 0, sizeof(vm->vcpus));
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		vm->vcpus[i].vm = vm;
		vm->vcpus[i].id = i;
	}
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
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		lapic_reset(&vm->vcpus[i].lapic, vm->vcpus[i].id);
	pci_init(&vm->pci, &vm->host_bridge);
	rc = board_setup(vm);
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
	rc = rc ?: virt->vcpu_init(&vm->vcpus[0], &start);
	/* The others (APs) in their INIT state, waiting for a SIPI. */
	for (unsigned int i = 1; !rc && i < vm->nr_vcpus; i++) {
		rc = virt->vcpu_init(&vm->vcpus[i], &(struct vcpu_start){ .mode = VCPU_MODE_REAL });
		vm->vcpus[i].lapic.init_received = true;
	}
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
	vm_vcpus_clear(vm);

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
	vm_vcpus_clear(vm); /* the #VE areas, halt, APICs, MSRs, registers */
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
	vm_flush_gpt(vm);
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
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		virt->vcpu_destroy(&vm->vcpus[i]);
	gpt_destroy(&vm->arch.gpt);
	if (vm->mm_storage && vm->state == VM_STOPPED)
		stats_print_line(vm); /* its last line, with the numbers as it stopped */
	hint_vm_destroy(vm);
}
