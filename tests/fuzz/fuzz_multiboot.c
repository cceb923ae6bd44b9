/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the multiboot loader (hv/multiboot.c) on arbitrary
 * images, loading into a VM's real guest memory (hv/gmem.c, hv/pool.c, mm/) under
 * memory pressure. Checked: ASan/UBSan, mm_check(), no frame leaked, and
 * a start state inside guest RAM when the image is accepted.
 */
#include "shim.h"

#include <hv/multiboot.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vm vm;
	struct vcpu_start start;
	const char *why = NULL;
	uint8_t *img = malloc(size ? size : 1);

	memcpy(img, data, size);
	fz_vm_create(&vm, 8u << 20, true);
	if (multiboot_find_header(img, size) >= 0 &&
	    multiboot_load(&vm, img, size, "console=ttyS0", &start, &why) == 0 &&
	    (start.rip >= vm.mem_bytes || start.mode != VCPU_MODE_PROT32))
		abort();
	fz_vm_destroy(&vm);
	free(img);
	return 0;
}
