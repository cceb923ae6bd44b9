/* SPDX-License-Identifier: MIT */
/*
 * Multiboot loader (see multiboot.h). Header and information structure
 * layout: the Multiboot Specification 0.6.96, §3.1 and §3.3. Only ELF
 * kernels are loaded (the a.out kludge, flag 16, is refused).
 */
#include <errcode.h>
#include <hv/gmem.h>
#include <hv/multiboot.h>
#include <hv/vm.h>
#include <string.h>

#define MB_HEADER_MAGIC 0x1badb002u
#define MB_BOOT_MAGIC 0x2badb002u
#define MB_SEARCH 8192
#define MB_FLAG_AOUT_KLUDGE (1u << 16)
#define MB_FLAGS_SUPPORTED 0x0000ffffu /* page-align modules, memory info: fine */
#define MB_INFO_MEM (1u << 0)
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MMAP (1u << 6)

/* Guest-physical layout below 1 MiB. */
#define MB_GDT 0x8000
#define MB_INFO 0x9000
#define MB_MMAP 0x9100
#define MB_CMDLINE 0x9800

struct elf32_ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version, entry, phoff, shoff, flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf32_phdr {
	uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
};

long multiboot_find_header(const uint8_t *img, size_t len)
{
	for (size_t off = 0; off + 12 <= MIN(len, (size_t)MB_SEARCH); off += 4) {
		uint32_t h[3];

		memcpy(h, img + off, sizeof(h));
		if (h[0] == MB_HEADER_MAGIC && h[0] + h[1] + h[2] == 0)
			return (long)off;
	}
	return -1;
}

static int put(struct vm *vm, uint64_t gpa, const void *src, size_t n)
{
	return gmem_write(vm, gpa, src, n);
}

static int load_elf32(struct vm *vm, const uint8_t *img, size_t len, uint32_t *entry,
		      const char **why)
{
	struct elf32_ehdr eh;
	unsigned int loads = 0;

	if (len < sizeof(eh))
		goto bad;
	memcpy(&eh, img, sizeof(eh));
	if (memcmp(eh.ident, "\177ELF\1\1", 6) || eh.type != 2 || eh.machine != 3 ||
	    eh.phentsize != sizeof(struct elf32_phdr) || eh.phoff > len ||
	    (uint64_t)eh.phnum * sizeof(struct elf32_phdr) > len - eh.phoff)
		goto bad;
	for (unsigned int i = 0; i < eh.phnum; i++) {
		struct elf32_phdr ph;
		int rc;

		memcpy(&ph, img + eh.phoff + i * sizeof(ph), sizeof(ph));
		if (ph.type != 1 || !ph.memsz)
			continue;
		if (ph.filesz > ph.memsz || ph.offset > len || ph.filesz > len - ph.offset ||
		    ph.paddr < 0x100000 || (uint64_t)ph.paddr + ph.memsz > vm->mem_bytes) {
			*why = "segment outside the file or guest RAM (or below 1 MiB)";
			return -ERANGE;
		}
		rc = put(vm, ph.paddr, img + ph.offset, ph.filesz);
		rc = rc ?: put(vm, (uint64_t)ph.paddr + ph.filesz, NULL, ph.memsz - ph.filesz);
		if (rc) {
			*why = "out of memory while loading";
			return rc;
		}
		loads++;
	}
	if (!loads)
		goto bad;
	if (eh.entry >= vm->mem_bytes) {
		*why = "entry point outside guest RAM";
		return -ERANGE;
	}
	*entry = eh.entry;
	return 0;
bad:
	*why = "not a 32-bit x86 ELF executable";
	return -EINVAL;
}

int multiboot_load(struct vm *vm, const uint8_t *img, size_t len, const char *cmdline,
		   struct vcpu_start *start, const char **why)
{
	long hoff = multiboot_find_header(img, len);
	uint32_t flags, entry = 0, info[12] = { 0 };
	uint64_t gdt[3] = { 0, 0x00cf9a000000ffffULL, 0x00cf92000000ffffULL };
	struct __attribute__((packed)) {
		uint32_t size;
		uint64_t addr, len;
		uint32_t type;
	} mmap[2];
	int rc;

	if (hoff < 0) {
		*why = "no multiboot header";
		return -EINVAL;
	}
	memcpy(&flags, img + hoff + 4, 4);
	if (flags & MB_FLAG_AOUT_KLUDGE || flags & ~(MB_FLAGS_SUPPORTED | MB_FLAG_AOUT_KLUDGE)) {
		*why = "multiboot header asks for something unsupported (a.out kludge or video)";
		return -EINVAL;
	}
	rc = load_elf32(vm, img, len, &entry, why);
	if (rc)
		return rc;

	/* RAM ends at the APIC page at the latest (a hole there, ABI §8). */
	mmap[0] = (typeof(mmap[0])){ 20, 0, 0x9fc00, 1 };
	mmap[1] = (typeof(mmap[1])){ 20, 0x100000, MIN(vm->mem_bytes, APIC_DEFAULT_BASE) - 0x100000, 1 };
	info[0] = MB_INFO_MEM | MB_INFO_CMDLINE | MB_INFO_MMAP;
	info[1] = 639;                                                     /* mem_lower, KiB */
	info[2] = (uint32_t)((MIN(vm->mem_bytes, APIC_DEFAULT_BASE) - 0x100000) >> 10); /* mem_upper */
	info[4] = MB_CMDLINE;
	info[11] = sizeof(mmap); /* mmap_length at +44, mmap_addr at +48 */
	rc = put(vm, MB_INFO, info, sizeof(info));
	rc = rc ?: put(vm, MB_INFO + 48, &(uint32_t){ MB_MMAP }, 4);
	rc = rc ?: put(vm, MB_MMAP, mmap, sizeof(mmap));
	rc = rc ?: put(vm, MB_CMDLINE, cmdline, MIN(strlen(cmdline) + 1, (size_t)0x800));
	rc = rc ?: put(vm, MB_GDT, gdt, sizeof(gdt));
	if (rc) {
		*why = "out of memory while loading";
		return rc;
	}
	*start = (struct vcpu_start){
		.mode = VCPU_MODE_PROT32,
		.rip = entry,
		.gdt_base = MB_GDT,
		.gdt_limit = sizeof(gdt) - 1,
		.cs = 0x08,
		.ds = 0x10,
		.regs = { .rax = MB_BOOT_MAGIC, .rbx = MB_INFO },
	};
	return 0;
}
