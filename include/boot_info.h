/* SPDX-License-Identifier: MIT */
/*
 * The one structure both boot paths (multiboot2 via GRUB, UEFI via GNU-EFI)
 * hand to hv_main(). After it is built nothing calls firmware again.
 */
#ifndef HV_BOOT_INFO_H
#define HV_BOOT_INFO_H

#include <types.h>

#define BOOT_MAX_MEM 256
#define BOOT_MAX_MODULES 32
#define BOOT_NAME_LEN 64
#define BOOT_CMDLINE_LEN 256

enum boot_mem_type {
	BOOT_MEM_USABLE = 1, /* free RAM the hypervisor may take */
	BOOT_MEM_RESERVED,   /* firmware, MMIO, anything else: never touched */
	BOOT_MEM_ACPI,       /* ACPI tables and NVS: kept */
	BOOT_MEM_LOADED,     /* hypervisor image, modules, boot data: in use */
};

struct boot_mem_region {
	uint64_t base;
	uint64_t len;
	uint32_t type; /* enum boot_mem_type */
};

struct boot_module {
	uint64_t base; /* host-physical, page aligned on both paths */
	uint64_t len;
	char name[BOOT_NAME_LEN]; /* basename, e.g. "hello.elf" */
};

struct boot_info {
	const char *loader; /* "multiboot2" or "uefi" */
	char cmdline[BOOT_CMDLINE_LEN];
	uint32_t nr_mem;
	struct boot_mem_region mem[BOOT_MAX_MEM];
	uint32_t nr_modules;
	struct boot_module modules[BOOT_MAX_MODULES];
	uint64_t image_base, image_end; /* the hypervisor itself */
	uint64_t acpi_rsdp;             /* 0 if unknown */
};

/* Add a region, merging with the previous one when contiguous and equal. */
bool boot_add_mem(struct boot_info *bi, uint64_t base, uint64_t len, uint32_t type);
/* Add a module; the name is reduced to its basename. false when full. */
bool boot_add_module(struct boot_info *bi, uint64_t base, uint64_t len, const char *name);
/* Find a module by basename, NULL if absent. */
const struct boot_module *boot_find_module(const struct boot_info *bi, const char *name);
/* Parse a multiboot2 information structure into bi. Returns 0 or -EINVAL. */
int mb2_parse(const void *mbi, struct boot_info *bi);

/* The common entry point after either boot path. Never returns. */
void hv_main(struct boot_info *bi) __attribute__((noreturn));

#endif /* HV_BOOT_INFO_H */
