/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the Linux bzImage loader (hv/load/linux.c) on arbitrary
 * kernel and initramfs images (the input's last quarter is the initramfs),
 * loading into a VM's real guest memory (hv/mem/gmem.c, hv/mem/pool.c, mm/). Checked:
 * ASan/UBSan, mm_check(), no frame leaked, entry inside RAM on success.
 */
#include "shim.h"

#include <hv/load/linux.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vm vm;
	struct vcpu_start start;
	const char *why = NULL;
	size_t klen = size - size / 4;
	uint8_t *img = malloc(klen ? klen : 1), *rd = malloc(size - klen + 1);

	memcpy(img, data, klen);
	memcpy(rd, data + klen, size - klen);
	fz_vm_create(&vm, 16u << 20, true);
	if (linux_is_bzimage(img, klen) &&
	    linux_load(&vm, img, klen, size > klen ? rd : NULL, size - klen, "console=ttyS0",
		       &start, &why) == 0 &&
	    start.rip >= vm.mem_bytes)
		abort();
	fz_vm_destroy(&vm);
	free(img);
	free(rd);
	return 0;
}
