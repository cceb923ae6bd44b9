/* SPDX-License-Identifier: MIT */
/*
 * Multiboot loader (see multiboot.h). Header and information structure
 * layout: the Multiboot Specification 0.6.96, §3.1 and §3.3 (modules:
 * mods_count/mods_addr, entries of mod_start, mod_end, string, reserved).
 * Only ELF kernels are loaded (the a.out kludge, flag 16, is refused).
 */
#include <errcode.h>
#include <hv/mem/gmem.h>
#include <hv/load/memmap.h>
#include <hv/load/multiboot.h>
#include <hv/vm/vm.h>
#include <string.h>

#define MB_HEADER_MAGIC 0x1badb002u
#define MB_BOOT_MAGIC 0x2badb002u
#define MB_SEARCH 8192
#define MB_FLAG_AOUT_KLUDGE (1u << 16)
#define MB_FLAGS_SUPPORTED 0x0000ffffu /* page-align modules, memory info: fine */
#define MB_INFO_MEM (1u << 0)
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MODS (1u << 3)
#define MB_INFO_MMAP (1u << 6)
#define MB_MODS_LIMIT 0xfffff000ULL /* mod_start and mod_end are 32-bit */

/*
 * The loader's own structures share one page, placed where the image is
 * not: at 0x8000 if free, else the first free page of conventional memory
 * from 0x1000, else the first page after the image. Offsets in that page:
 */
#define MB_PAGE_PREFERRED 0x8000
#define MB_GDT 0x000
#define MB_INFO 0x100
#define MB_MMAP 0x200
#define MB_MODS 0x300    /* MULTIBOOT_MAX_MODULES entries of 16 bytes */
#define MB_MODSTR 0x400  /* their strings, MULTIBOOT_STRINGS_MAX bytes */
#define MB_CMDLINE 0x800
#define MB_CMDLINE_MAX 0x800
#define MB_MAX_SEGS 16
/* Busy ranges for module placement: segments, loader page, BIOS area, the
 * two APIC pages, modules placed so far. */
#define MB_MAX_BUSY (MB_MAX_SEGS + 4 + MULTIBOOT_MAX_MODULES)

_Static_assert(MB_MMAP + MEMMAP_MAX * 24 <= MB_MODS, "memory map overlaps the module list");
_Static_assert(MB_MODS + MULTIBOOT_MAX_MODULES * 16 <= MB_MODSTR, "module list too long");
_Static_assert(MB_MODSTR + MULTIBOOT_STRINGS_MAX <= MB_CMDLINE, "module strings too long");

/* Address ranges [base, end): the kernel's segments (at most MB_MAX_SEGS),
 * then, for module placement, everything else that is busy. */
struct segs {
	unsigned int n;
	uint64_t base[MB_MAX_BUSY], end[MB_MAX_BUSY];
};

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
		      struct segs *segs, const char **why)
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
		    !vm_is_ram(vm, ph.paddr, ph.memsz) ||
		    ranges_overlap(ph.paddr, ph.memsz, MEMMAP_LOW_END, MEMMAP_BIOS_END - MEMMAP_LOW_END)) {
			*why = "segment outside the file or guest RAM (or in the BIOS area)";
			return -ERANGE;
		}
		if (segs->n == MB_MAX_SEGS) {
			*why = "too many loadable segments";
			return -ENOSPC;
		}
		segs->base[segs->n] = ph.paddr;
		segs->end[segs->n++] = (uint64_t)ph.paddr + ph.memsz;
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

static bool page_free(const struct vm *vm, const struct segs *segs, uint64_t page)
{
	if (!vm_is_ram(vm, page, PAGE_SIZE) ||
	    ranges_overlap(page, PAGE_SIZE, MEMMAP_LOW_END, MEMMAP_BIOS_END - MEMMAP_LOW_END))
		return false;
	for (unsigned int i = 0; i < segs->n; i++)
		if (ranges_overlap(page, PAGE_SIZE, segs->base[i], segs->end[i] - segs->base[i]))
			return false;
	return true;
}

/* A page for the loader's structures, or 0 if the image leaves none. */
static uint64_t loader_page(const struct vm *vm, const struct segs *segs)
{
	uint64_t top = 0;

	if (page_free(vm, segs, MB_PAGE_PREFERRED))
		return MB_PAGE_PREFERRED;
	for (uint64_t p = PAGE_SIZE; p + PAGE_SIZE <= MEMMAP_LOW_END; p += PAGE_SIZE)
		if (page_free(vm, segs, p))
			return p;
	for (unsigned int i = 0; i < segs->n; i++)
		top = MAX(top, ALIGN_UP(segs->end[i], (uint64_t)PAGE_SIZE));
	for (; top < vm->mem_bytes && top < 0xffffe000ULL; top += PAGE_SIZE)
		if (page_free(vm, segs, top))
			return top;
	return 0;
}

static void busy_add(struct segs *busy, uint64_t base, uint64_t end)
{
	busy->base[busy->n] = base;
	busy->end[busy->n++] = end;
}

/* The lowest page-aligned address from from (> 0) up where len bytes (at
 * least one) are RAM below MB_MODS_LIMIT and overlap nothing busy; 0 if none. */
static uint64_t module_place(const struct vm *vm, const struct segs *busy, uint64_t from,
			     uint64_t len)
{
	uint64_t limit = MIN(vm->mem_bytes, MB_MODS_LIMIT), size = MAX(len, 1ULL), a;

	if (size > limit)
		return 0;
	for (a = ALIGN_UP(from, (uint64_t)PAGE_SIZE); a <= limit - size;) {
		uint64_t next = 0;

		for (unsigned int i = 0; i < busy->n; i++)
			if (ranges_overlap(a, size, busy->base[i], busy->end[i] - busy->base[i]))
				next = MAX(next, busy->end[i]);
		if (!next)
			return vm_is_ram(vm, a, size) ? a : 0;
		a = ALIGN_UP(next, (uint64_t)PAGE_SIZE); /* past every range it hit: a grows */
	}
	return 0;
}

/* Place and copy the modules; fill the list and the strings in the loader's
 * page (page). */
static int load_modules(struct vm *vm, const struct segs *segs, uint64_t page,
			const struct multiboot_module *mods, unsigned int nr, const char **why)
{
	struct segs busy = *segs;
	uint32_t list[MULTIBOOT_MAX_MODULES][4] = { { 0 } };
	uint64_t from = MEMMAP_BIOS_END, str = 0;
	int rc;

	if (nr > MULTIBOOT_MAX_MODULES) {
		*why = "too many modules";
		return -EINVAL;
	}
	for (unsigned int i = 0; i < segs->n; i++)
		from = MAX(from, segs->end[i]);
	busy_add(&busy, page, page + PAGE_SIZE);
	busy_add(&busy, MEMMAP_LOW_END, MEMMAP_BIOS_END);
	busy_add(&busy, IOAPIC_BASE, IOAPIC_BASE + PAGE_SIZE);
	busy_add(&busy, APIC_DEFAULT_BASE, APIC_DEFAULT_BASE + PAGE_SIZE);
	for (unsigned int i = 0; i < nr; i++) {
		size_t slen = strlen(mods[i].string) + 1;
		/* After the kernel and the modules before, as GRUB does; else
		 * wherever there is room. */
		uint64_t at = module_place(vm, &busy, from, mods[i].len);

		at = at ?: module_place(vm, &busy, MEMMAP_BIOS_END, mods[i].len);
		at = at ?: module_place(vm, &busy, PAGE_SIZE, mods[i].len);
		if (!at) {
			*why = "no room in guest RAM below 4 GiB for a module";
			return -ENOSPC;
		}
		if (slen > MULTIBOOT_STRINGS_MAX - str) {
			*why = "module strings too long";
			return -EINVAL;
		}
		rc = put(vm, at, mods[i].data, mods[i].len);
		rc = rc ?: put(vm, page + MB_MODSTR + str, mods[i].string, slen);
		if (rc) {
			*why = "out of memory while loading a module";
			return rc;
		}
		busy_add(&busy, at, at + MAX(mods[i].len, (size_t)1));
		from = at + mods[i].len;
		list[i][0] = (uint32_t)at;                        /* mod_start */
		list[i][1] = (uint32_t)(at + mods[i].len);        /* mod_end: first byte after */
		list[i][2] = (uint32_t)(page + MB_MODSTR + str);  /* string */
		str += slen;
	}
	return put(vm, page + MB_MODS, list, nr * sizeof(list[0]));
}

int multiboot_load(struct vm *vm, const uint8_t *img, size_t len, const char *cmdline,
		   const struct multiboot_module *mods, unsigned int nr_mods,
		   struct vcpu_start *start, const char **why)
{
	long hoff = multiboot_find_header(img, len);
	uint32_t flags, entry = 0, info[12] = { 0 };
	uint64_t gdt[3] = { 0, 0x00cf9a000000ffffULL, 0x00cf92000000ffffULL }, page, upper = 0;
	struct memmap_entry map[MEMMAP_MAX];
	struct __attribute__((packed)) {
		uint32_t size;
		uint64_t addr, len;
		uint32_t type;
	} mmap[MEMMAP_MAX];
	struct segs segs = { 0 };
	unsigned int n;
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
	rc = load_elf32(vm, img, len, &entry, &segs, why);
	if (rc)
		return rc;
	page = loader_page(vm, &segs);
	if (!page) {
		*why = "no free page for the multiboot information";
		return -ENOSPC;
	}

	/* The VM's memory map (hv/load/memmap.h); mem_upper is the RAM from 1 MiB up
	 * to the first hole. */
	n = vm_memmap(vm, map);
	for (unsigned int i = 0; i < n; i++) {
		mmap[i] = (typeof(mmap[0])){ 20, map[i].base, map[i].len, map[i].type };
		if (map[i].base == MEMMAP_BIOS_END && map[i].type == MEMMAP_RAM)
			upper = map[i].len;
	}
	info[0] = MB_INFO_MEM | MB_INFO_CMDLINE | MB_INFO_MMAP | (nr_mods ? MB_INFO_MODS : 0);
	info[1] = (uint32_t)(MIN(vm->mem_bytes, MEMMAP_LOW_END) >> 10); /* mem_lower, KiB */
	info[2] = (uint32_t)(upper >> 10);                                 /* mem_upper, KiB */
	info[4] = (uint32_t)(page + MB_CMDLINE);
	info[5] = nr_mods;                                                 /* mods_count */
	info[6] = nr_mods ? (uint32_t)(page + MB_MODS) : 0;                /* mods_addr */
	info[11] = (uint32_t)(n * sizeof(mmap[0])); /* mmap_length at +44, mmap_addr at +48 */
	rc = put(vm, page + MB_INFO, info, sizeof(info));
	rc = rc ?: put(vm, page + MB_INFO + 48, &(uint32_t){ (uint32_t)(page + MB_MMAP) }, 4);
	rc = rc ?: put(vm, page + MB_MMAP, mmap, n * sizeof(mmap[0]));
	rc = rc ?: put(vm, page + MB_CMDLINE, cmdline, MIN(strlen(cmdline) + 1, (size_t)MB_CMDLINE_MAX));
	rc = rc ?: put(vm, page + MB_CMDLINE + MB_CMDLINE_MAX - 1, "", 1); /* always terminated */
	rc = rc ?: put(vm, page + MB_GDT, gdt, sizeof(gdt));
	if (rc) {
		*why = "out of memory while loading";
		return rc;
	}
	rc = load_modules(vm, &segs, page, mods, nr_mods, why);
	if (rc)
		return rc;
	*start = (struct vcpu_start){
		.mode = VCPU_MODE_PROT32,
		.rip = entry,
		.gdt_base = page + MB_GDT,
		.gdt_limit = sizeof(gdt) - 1,
		.cs = 0x08,
		.ds = 0x10,
		.regs = { .rax = MB_BOOT_MAGIC, .rbx = page + MB_INFO },
	};
	return 0;
}
