/* SPDX-License-Identifier: MIT */
/*
 * UEFI entry (GNU-EFI application, BOOTX64.EFI). Reads every file of the
 * ESP's \hintvisor directory (the config and the guest images) byte for byte
 * into loader memory, turns the firmware memory map into struct boot_info,
 * exits boot services, moves to a stack of our own and calls hv_main().
 * Nothing after ExitBootServices touches firmware again.
 */
#include <efi.h>
#include <efilib.h>

#include <boot_info.h>
#include <base/console.h>

#define MODULE_DIR L"\\hintvisor"
#define EFI_STACK_SIZE (64 * 1024)

static struct boot_info efi_boot_info;
static uint8_t efi_stack[EFI_STACK_SIZE] __attribute__((aligned(16)));

static uint32_t mem_type(EFI_MEMORY_TYPE t)
{
	switch (t) {
	case EfiConventionalMemory:
	case EfiBootServicesCode:
	case EfiBootServicesData:
		return BOOT_MEM_USABLE; /* free once boot services are gone */
	case EfiLoaderCode:
	case EfiLoaderData:
		return BOOT_MEM_LOADED; /* this image, the modules */
	case EfiACPIReclaimMemory:
	case EfiACPIMemoryNVS:
		return BOOT_MEM_ACPI;
	default:
		return BOOT_MEM_RESERVED;
	}
}

static void ascii_name(char *dst, size_t cap, const CHAR16 *src)
{
	size_t i;

	for (i = 0; i + 1 < cap && src[i]; i++)
		dst[i] = src[i] < 0x80 ? (char)src[i] : '?';
	dst[i] = '\0';
}

/* Read all size bytes of f into dst, as they are on the volume (nothing is
 * unpacked). A Read that returns fewer bytes than asked is continued; one
 * that finds the end of the file before size is an error, not a short module. */
static EFI_STATUS read_all(EFI_FILE_HANDLE f, UINT64 size, uint8_t *dst)
{
	UINT64 done = 0;

	while (done < size) {
		UINTN n = size - done;
		EFI_STATUS st = uefi_call_wrapper(f->Read, 3, f, &n, dst + done);

		if (EFI_ERROR(st))
			return st;
		if (n == 0)
			return EFI_END_OF_FILE;
		done += n;
	}
	return EFI_SUCCESS;
}

static EFI_STATUS load_file(EFI_FILE_HANDLE dir, EFI_FILE_INFO *info, struct boot_info *bi)
{
	EFI_FILE_HANDLE f;
	EFI_PHYSICAL_ADDRESS addr = 0;
	UINTN size = info->FileSize, pages = EFI_SIZE_TO_PAGES(info->FileSize ? info->FileSize : 1);
	char name[BOOT_NAME_LEN];
	EFI_STATUS st;

	st = uefi_call_wrapper(dir->Open, 5, dir, &f, info->FileName, EFI_FILE_MODE_READ, 0);
	if (EFI_ERROR(st))
		return st;
	st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateAnyPages, EfiLoaderData, pages, &addr);
	if (!EFI_ERROR(st))
		st = read_all(f, size, (uint8_t *)(uintptr_t)addr);
	uefi_call_wrapper(f->Close, 1, f);
	if (EFI_ERROR(st))
		return st;
	ascii_name(name, sizeof(name), info->FileName);
	if (!boot_add_module(bi, addr, size, name))
		return EFI_OUT_OF_RESOURCES;
	printk("hintvisor-efi: loaded %s (%lu bytes) at %#lx\n", name, (unsigned long)size,
	       (unsigned long)addr);
	return EFI_SUCCESS;
}

static EFI_STATUS load_modules(EFI_HANDLE image, struct boot_info *bi)
{
	EFI_LOADED_IMAGE *li;
	EFI_FILE_HANDLE root, dir;
	UINT8 buf[1024] __attribute__((aligned(8)));
	EFI_STATUS st;

	st = uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (void **)&li);
	if (EFI_ERROR(st))
		return st;
	bi->image_base = (uint64_t)(uintptr_t)li->ImageBase;
	bi->image_end = bi->image_base + li->ImageSize;
	root = LibOpenRoot(li->DeviceHandle);
	if (!root)
		return EFI_NOT_FOUND;
	st = uefi_call_wrapper(root->Open, 5, root, &dir, MODULE_DIR, EFI_FILE_MODE_READ, 0);
	if (EFI_ERROR(st))
		return st;
	for (;;) {
		EFI_FILE_INFO *info = (EFI_FILE_INFO *)buf;
		UINTN size = sizeof(buf);

		st = uefi_call_wrapper(dir->Read, 3, dir, &size, buf);
		if (EFI_ERROR(st) || size == 0)
			break;
		if (info->Attribute & EFI_FILE_DIRECTORY)
			continue;
		st = load_file(dir, info, bi);
		if (EFI_ERROR(st))
			break;
	}
	uefi_call_wrapper(dir->Close, 1, dir);
	return st;
}

/* Convert the firmware map; called again if ExitBootServices wants a new one. */
static EFI_STATUS take_memory_map(struct boot_info *bi, UINT8 *buf, UINTN cap, UINTN *key)
{
	UINTN size = cap, desc_size;
	UINT32 desc_ver;
	EFI_STATUS st;

	st = uefi_call_wrapper(BS->GetMemoryMap, 5, &size, (EFI_MEMORY_DESCRIPTOR *)buf, key,
			       &desc_size, &desc_ver);
	if (EFI_ERROR(st))
		return st;
	bi->nr_mem = 0;
	for (UINTN off = 0; off + desc_size <= size; off += desc_size) {
		EFI_MEMORY_DESCRIPTOR *d = (EFI_MEMORY_DESCRIPTOR *)(buf + off);

		if (!boot_add_mem(bi, d->PhysicalStart, d->NumberOfPages << EFI_PAGE_SHIFT,
				  mem_type(d->Type)))
			return EFI_BUFFER_TOO_SMALL;
	}
	return EFI_SUCCESS;
}

/* The ACPI RSDP firmware published (2.0 preferred), for the host's CPUs. */
static uint64_t find_rsdp(EFI_SYSTEM_TABLE *systab)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
	uint64_t old = 0;

	for (UINTN i = 0; i < systab->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &systab->ConfigurationTable[i];

		if (!CompareGuid(&t->VendorGuid, &acpi20))
			return (uint64_t)(uintptr_t)t->VendorTable;
		if (!CompareGuid(&t->VendorGuid, &acpi10))
			old = (uint64_t)(uintptr_t)t->VendorTable;
	}
	return old;
}

static void __attribute__((noreturn)) enter_hv(struct boot_info *bi)
{
	asm volatile("movq %0, %%rsp\n\t"
		     "xorl %%ebp, %%ebp\n\t"
		     "movq %1, %%rdi\n\t"
		     "call hv_main"
		     :
		     : "r"(efi_stack + EFI_STACK_SIZE), "r"(bi)
		     : "memory");
	__builtin_unreachable();
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	struct boot_info *bi = &efi_boot_info;
	EFI_PHYSICAL_ADDRESS mapbuf = 0;
	UINTN key = 0, cap = 16 * EFI_PAGE_SIZE;
	EFI_STATUS st;

	InitializeLib(image, systab);
	con_init();
	printk("\nhintvisor-efi: UEFI loader\n");
	bi->loader = "uefi";
	bi->acpi_rsdp = find_rsdp(systab);
	st = load_modules(image, bi);
	if (EFI_ERROR(st)) {
		printk("hintvisor-efi: cannot read %s on the boot volume (status %#lx)\n",
		       "\\hintvisor", (unsigned long)st);
		return st;
	}
	st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateAnyPages, EfiLoaderData, 16, &mapbuf);
	if (EFI_ERROR(st))
		return st;
	for (int tries = 0; tries < 4; tries++) {
		st = take_memory_map(bi, (UINT8 *)(uintptr_t)mapbuf, cap, &key);
		if (EFI_ERROR(st))
			break;
		st = uefi_call_wrapper(BS->ExitBootServices, 2, image, key);
		if (!EFI_ERROR(st))
			enter_hv(bi);
	}
	printk("hintvisor-efi: ExitBootServices failed (status %#lx)\n", (unsigned long)st);
	return st;
}
