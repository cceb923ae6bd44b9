/* SPDX-License-Identifier: MIT */
/*
 * The hvboot protocol (guest-abi/ABI.md §8): a 64-bit ELF test kernel
 * loaded with its start info, a flat GDT and identity page tables, entered
 * in long mode; the identity tables serve the Linux loader too. Boot time
 * and VM restarts.
 */
#include <hv/load/elf.h>
#include <hv/load/hvboot.h>
#include <hv/mem/gmem.h>
#include <hv/vm/vm.h>
#include <stdio.h>
#include <string.h>

/* hvboot layout in guest-physical memory (guest-abi/ABI.md). */
#define BOOT_GDT_GPA 0x1800
#define BOOT_CMDLINE_GPA 0x1c00
#define BOOT_PML4_GPA 0x2000
#define BOOT_STACK_TOP 0x80000

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
	si.vcpus = cfg->nr_vcpus;
	si.mem_bytes = vm->mem_bytes;
	si.cmdline_gpa = cfg->cmdline[0] ? BOOT_CMDLINE_GPA : 0;
	snprintf(si.name, sizeof(si.name), "%s", vm->name);
	rc = copy_to_guest(vm, HV_START_INFO_GPA, &si, sizeof(si));
	rc = rc ?: copy_to_guest(vm, BOOT_GDT_GPA, gdt, sizeof(gdt));
	rc = rc ?: copy_to_guest(vm, BOOT_CMDLINE_GPA, cfg->cmdline, strlen(cfg->cmdline) + 1);
	return rc ?: vm_identity_tables(vm, BOOT_PML4_GPA);
}

/* A 64-bit ELF test kernel with the hvboot start state (ABI.md §8). */
int hvboot_load(struct vm *vm, const struct vm_config *cfg, const void *image, size_t len,
		struct vcpu_start *start, const char **why)
{
	int rc = elf_load(image, len, vm->mem_bytes, copy_to_guest, vm,
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
