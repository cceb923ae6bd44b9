/* SPDX-License-Identifier: MIT */
/*
 * Linux x86 64-bit boot protocol loader (see linux.h). Offsets of the setup
 * header and boot_params fields: Documentation/x86/boot.rst and
 * Documentation/x86/zero-page.rst. The MP table layout: Intel MultiProcessor
 * Specification 1.4, chapter 4.
 */
#include <asm/cpu.h>
#include <asm/tsc.h>
#include <errcode.h>
#include <hv/mem/gmem.h>
#include <hv/load/hvboot.h>
#include <hv/load/linux.h>
#include <hv/load/memmap.h>
#include <hv/vm/vm.h>
#include <stdio.h>
#include <string.h>

/* Guest-physical layout for Linux guests. */
#define LX_GDT 0x0500
#define LX_BOOT_PARAMS 0x7000
#define LX_PML4 0x10000 /* + PDPT + four PDs: 4 GiB identity (vm_identity_tables) */
#define LX_CMDLINE 0x20000
#define LX_MPTABLE 0xf0000
#define LX_KERNEL_MIN 0x1000000 /* 16 MiB: where non-relocatable kernels go */

/* Setup header fields (offsets in the bzImage / boot_params). */
#define HDR_SETUP_SECTS 0x1f1
#define HDR_BOOT_FLAG 0x1fe
#define HDR_JUMP 0x200
#define HDR_MAGIC 0x202
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21c
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_RELOCATABLE 0x234
#define HDR_XLOADFLAGS 0x236
#define HDR_CMDLINE_SIZE 0x238
#define HDR_PREF_ADDRESS 0x258
#define HDR_INIT_SIZE 0x260
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE 0x0c4
#define BP_EXT_CMD_LINE_PTR 0x0c8
#define BP_E820_ENTRIES 0x1e8
#define BP_E820_TABLE 0x2d0
#define E820_MAX 128
#define XLF_KERNEL_64 (1u << 0)
#define LOADED_HIGH (1u << 0)

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

bool linux_is_bzimage(const uint8_t *img, size_t len)
{
	return len > 0x300 && rd16(img + HDR_BOOT_FLAG) == 0xaa55 &&
	       memcmp(img + HDR_MAGIC, "HdrS", 4) == 0;
}

static int put(struct vm *vm, uint64_t gpa, const void *src, size_t n)
{
	return gmem_write(vm, gpa, src, n);
}

static uint8_t checksum(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;

	while (n--)
		sum = (uint8_t)(sum + *p++);
	return (uint8_t)-sum;
}

/* For kernels without ACPI (or booted acpi=off): one processor (the BSP,
 * APIC ID 0) and an ISA bus, no I/O APIC (the ACPI MADT describes it): Linux
 * then keeps the 8259 for ISA interrupts, delivered through LINT0. */
static int write_mptable(struct vm *vm)
{
	uint8_t t[16 + 44 + 20 + 8] = { 0 };
	uint8_t *fp = t, *ct = t + 16, *cpu = ct + 44, *bus = cpu + 20;
	uint32_t ct_gpa = LX_MPTABLE + 16;
	uint16_t ct_len = 44 + 20 + 8;

	memcpy(fp, "_MP_", 4);
	memcpy(fp + 4, &ct_gpa, 4);
	fp[8] = 1;   /* length in 16-byte units */
	fp[9] = 4;   /* spec revision 1.4 */
	/* IMCR present: "PIC mode". Linux then keeps LINT0 as an unmasked
	 * ExtINT input, the path by which the 8259 reaches the CPU here. */
	fp[12] = 0x80;
	memcpy(ct, "PCMP", 4);
	memcpy(ct + 4, &ct_len, 2);
	ct[6] = 4;
	memcpy(ct + 8, "HINTVSR ", 8);
	memcpy(ct + 16, "VIRTUAL PC  ", 12);
	ct[34] = 2;  /* entry count */
	ct[36] = 0x00; ct[37] = 0x00; ct[38] = 0xe0; ct[39] = 0xfe; /* LAPIC at 0xfee00000 */
	cpu[0] = 0;  /* processor */
	cpu[1] = 0;  /* APIC ID */
	cpu[2] = 0x14;
	cpu[3] = 0x3; /* enabled, bootstrap processor */
	bus[0] = 1;  /* bus */
	memcpy(bus + 2, "ISA   ", 6);
	ct[7] = checksum(ct, ct_len);
	fp[10] = checksum(fp, 16);
	return put(vm, LX_MPTABLE, t, sizeof(t));
}

static void e820_add(uint8_t *bp, uint64_t addr, uint64_t size, uint32_t type)
{
	uint8_t n = bp[BP_E820_ENTRIES];
	uint8_t *e = bp + BP_E820_TABLE + 20 * n;

	if (n == E820_MAX)
		return;
	memcpy(e, &addr, 8);
	memcpy(e + 8, &size, 8);
	memcpy(e + 16, &type, 4);
	bp[BP_E820_ENTRIES] = (uint8_t)(n + 1);
}

/*
 * Linux takes the TSC frequency from CPUID leaf 0x15 only on Intel CPUs
 * (native_calibrate_tsc()); elsewhere it calibrates against PIT channel 2,
 * polled through port 0x61, where every read is an exit: a timing loop that
 * long can fail Linux's accuracy checks whenever another VM's time slice
 * fell into it. Hintvisor knows the frequency: on other CPUs it appends
 * tsc_early_khz= unless the configured command line sets it.
 */
static const char *with_tsc_khz(const char *cmdline)
{
	static char line[1024];
	struct cpuid_regs v = cpuid(0, 0);
	bool intel = v.ebx == 0x756e6547 && v.edx == 0x49656e69 && v.ecx == 0x6c65746e;

	if (intel || strstr(cmdline, "tsc_early_khz="))
		return cmdline;
	snprintf(line, sizeof(line), "%s%stsc_early_khz=%lu", cmdline, cmdline[0] ? " " : "",
		 tsc_hz / 1000);
	return line;
}

int linux_load(struct vm *vm, const uint8_t *img, size_t len, const uint8_t *initrd,
	       size_t initrd_len, const char *cmdline, struct vcpu_start *start, const char **why)
{
	static uint8_t bp[PAGE_SIZE]; /* boot_params, built here then copied */
	uint64_t setup_sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4;
	uint64_t koff = (setup_sects + 1) * 512, ksize, init_size, align, load, rd = 0;
	uint64_t mem = vm->mem_bytes;
	uint64_t gdt[4] = { 0, 0, 0x00af9a000000ffffULL, 0x00cf92000000ffffULL };
	struct memmap_entry map[MEMMAP_MAX];
	unsigned int nmap;
	size_t hdr_end;
	int rc;

	if (!linux_is_bzimage(img, len) || rd16(img + HDR_VERSION) < 0x020c ||
	    !(img[HDR_XLOADFLAGS] & XLF_KERNEL_64) || koff >= len) {
		*why = "not a bzImage with a 64-bit entry point (boot protocol >= 2.12)";
		return -EINVAL;
	}
	ksize = len - koff;
	init_size = rd32(img + HDR_INIT_SIZE);
	align = MAX(rd32(img + HDR_KERNEL_ALIGNMENT), (uint32_t)PAGE_SIZE);
	load = rd64(img + HDR_PREF_ADDRESS);
	/* pref_address is the image's 64-bit word: compare without load + size,
	 * which can wrap. */
	if (img[HDR_RELOCATABLE] && (load > mem || init_size > mem - load || load < LX_KERNEL_MIN))
		load = ALIGN_UP(LX_KERNEL_MIN, align);
	if (load < LX_KERNEL_MIN || load > mem || MAX(init_size, ksize) > mem - load) {
		*why = "guest RAM too small for the kernel";
		return -ERANGE;
	}
	if (initrd) {
		uint64_t max = MIN(mem, (uint64_t)rd32(img + HDR_INITRD_ADDR_MAX) + 1);

		rd = ALIGN_DOWN(max - initrd_len, (uint64_t)PAGE_SIZE);
		if (initrd_len > max || rd < load + init_size) {
			*why = "guest RAM too small for kernel and initramfs";
			return -ERANGE;
		}
	}
	cmdline = with_tsc_khz(cmdline);
	if (strlen(cmdline) + 1 > MAX(rd32(img + HDR_CMDLINE_SIZE), 256u)) {
		*why = "command line too long for this kernel";
		return -EINVAL;
	}

	memset(bp, 0, sizeof(bp));
	hdr_end = HDR_JUMP + 2 + img[HDR_JUMP + 1]; /* the jump skips the header */
	memcpy(bp + HDR_SETUP_SECTS, img + HDR_SETUP_SECTS, MIN(hdr_end, 0x290u) - HDR_SETUP_SECTS);
	bp[HDR_TYPE_OF_LOADER] = 0xff;
	bp[HDR_LOADFLAGS] |= LOADED_HIGH;
	memcpy(bp + HDR_CMD_LINE_PTR, &(uint32_t){ LX_CMDLINE }, 4);
	memcpy(bp + HDR_RAMDISK_IMAGE, &(uint32_t){ (uint32_t)rd }, 4);
	memcpy(bp + HDR_RAMDISK_SIZE, &(uint32_t){ (uint32_t)initrd_len }, 4);
	memcpy(bp + BP_EXT_RAMDISK_IMAGE, &(uint32_t){ (uint32_t)(rd >> 32) }, 4);
	memcpy(bp + BP_EXT_RAMDISK_SIZE, &(uint32_t){ (uint32_t)((uint64_t)initrd_len >> 32) }, 4);
	/* The VM's memory map (hv/load/memmap.h): the BIOS area with the MP and ACPI
	 * tables and the APIC pages are reserved. */
	nmap = vm_memmap(vm, map);
	for (unsigned int i = 0; i < nmap; i++)
		e820_add(bp, map[i].base, map[i].len, map[i].type);

	rc = put(vm, load, img + koff, ksize);
	rc = rc ?: initrd ? put(vm, rd, initrd, initrd_len) : 0;
	rc = rc ?: put(vm, LX_CMDLINE, cmdline, strlen(cmdline) + 1);
	rc = rc ?: put(vm, LX_BOOT_PARAMS, bp, sizeof(bp));
	rc = rc ?: put(vm, LX_GDT, gdt, sizeof(gdt));
	rc = rc ?: vm_identity_tables(vm, LX_PML4);
	rc = rc ?: write_mptable(vm);
	if (rc) {
		*why = "out of memory while loading";
		return rc;
	}
	*start = (struct vcpu_start){
		.mode = VCPU_MODE_LONG,
		.rip = load + 0x200, /* 64-bit entry: startup_64 */
		.rsp = 0,
		.cr3 = LX_PML4,
		.gdt_base = LX_GDT,
		.gdt_limit = sizeof(gdt) - 1,
		.cs = 0x10, /* __BOOT_CS */
		.ds = 0x18, /* __BOOT_DS */
		.regs = { .rsi = LX_BOOT_PARAMS },
	};
	return 0;
}
