/* SPDX-License-Identifier: MIT */
/*
 * C side of the multiboot2 entry: long mode, identity-mapped first 4 GiB,
 * boot stack. Turns GRUB's information structure into struct boot_info.
 */
#include <boot_info.h>
#include <base/console.h>
#include <string.h>

#define MB2_BOOTLOADER_MAGIC 0x36d76289

extern char __image_start[], __image_end[];
static struct boot_info mb2_boot_info;

void mb2_main(uint32_t magic, uint64_t mbi);

void mb2_main(uint32_t magic, uint64_t mbi)
{
	struct boot_info *bi = &mb2_boot_info;

	con_init();
	if (magic != MB2_BOOTLOADER_MAGIC)
		panic("multiboot2: bad magic %#x", magic);
	bi->loader = "multiboot2";
	bi->image_base = (uint64_t)(uintptr_t)__image_start;
	bi->image_end = (uint64_t)(uintptr_t)__image_end;
	if (mb2_parse((const void *)(uintptr_t)mbi, bi))
		panic("multiboot2: malformed information structure at %#lx", mbi);
	/* The RSDP lives inside the MBI, which the frame allocator may reuse. */
	bi->acpi_rsdp = 0;
	hv_main(bi);
}
