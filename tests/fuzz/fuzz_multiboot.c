/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the multiboot loader (hv/load/multiboot.c) on arbitrary
 * images, with two modules cut from the input's last third, loading into a
 * VM's real guest memory (hv/mem/gmem.c, hv/mem/pool.c, mm/) under memory pressure.
 * Checked: ASan/UBSan, mm_check(), no frame leaked, a start state inside
 * guest RAM when the image is accepted, and the modules as the kernel would
 * find them: listed with their strings, page aligned, in RAM below 4 GiB,
 * clear of the kernel's segments, the loader's page, the BIOS area and each
 * other, and holding their bytes exactly.
 */
#include "shim.h"

#include <hv/mem/gmem.h>
#include <hv/load/memmap.h>
#include <hv/load/multiboot.h>
#include <stdlib.h>
#include <string.h>

#define NR_MODS 2

static bool overlap(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
	return an && bn && a < b + bn && b < a + an;
}

/* Does [a, a + n) overlap a loadable segment of the ELF32 image? The loader
 * accepted it, so the headers it read are inside the image. */
static bool on_segment(const uint8_t *img, uint64_t a, uint64_t n)
{
	uint32_t phoff;
	uint16_t phnum;

	memcpy(&phoff, img + 28, 4);
	memcpy(&phnum, img + 44, 2);
	for (unsigned int i = 0; i < phnum; i++) {
		uint32_t ph[8];

		memcpy(ph, img + phoff + i * 32, sizeof(ph));
		if (ph[0] == 1 && overlap(a, n, ph[3], ph[5])) /* PT_LOAD: paddr, memsz */
			return true;
	}
	return false;
}

static void check_modules(struct vm *vm, const uint8_t *img, uint64_t info_gpa,
			  const struct multiboot_module *mods)
{
	uint32_t info[12], list[NR_MODS][4];
	uint64_t page = info_gpa & ~(uint64_t)(PAGE_SIZE - 1);

	if (gmem_read(vm, info, info_gpa, sizeof(info)) || !(info[0] & 8) || info[5] != NR_MODS ||
	    gmem_read(vm, list, info[6], sizeof(list)))
		abort();
	for (unsigned int i = 0; i < NR_MODS; i++) {
		uint64_t a = list[i][0], n = (uint64_t)list[i][1] - a;
		char str[64];
		uint8_t *buf = malloc(n ? n : 1);

		if (list[i][1] < a || n != mods[i].len || a % PAGE_SIZE || !vm_is_ram(vm, a, n) ||
		    overlap(a, n, page, PAGE_SIZE) ||
		    overlap(a, n, MEMMAP_LOW_END, MEMMAP_BIOS_END - MEMMAP_LOW_END) ||
		    on_segment(img, a, n))
			abort();
		for (unsigned int j = 0; j < i; j++)
			if (overlap(a, n, list[j][0], list[j][1] - list[j][0]))
				abort();
		if (gmem_read(vm, buf, a, n) || memcmp(buf, mods[i].data, n) ||
		    gmem_read(vm, str, list[i][2], strlen(mods[i].string) + 1) ||
		    strcmp(str, mods[i].string))
			abort();
		free(buf);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vm vm;
	struct vcpu_start start;
	const char *why = NULL;
	uint8_t *img = malloc(size ? size : 1);
	size_t m0 = size - size / 3, m1 = size - size / 6;
	struct multiboot_module mods[NR_MODS] = {
		{ img + m0, m1 - m0, "first.mod" },
		{ img + m1, size - m1, "second.mod with a command line" },
	};

	memcpy(img, data, size);
	fz_vm_create(&vm, 8u << 20, true);
	if (multiboot_find_header(img, size) >= 0 &&
	    multiboot_load(&vm, img, size, "console=ttyS0", mods, NR_MODS, &start, &why) == 0) {
		if (start.rip >= vm.mem_bytes || start.mode != VCPU_MODE_PROT32)
			abort();
		check_modules(&vm, img, start.regs.rbx, mods);
	}
	fz_vm_destroy(&vm);
	free(img);
	return 0;
}
