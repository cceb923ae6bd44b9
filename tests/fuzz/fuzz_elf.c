/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the 64-bit ELF loader (hv/load/elf.c) on arbitrary images.
 * Guest RAM is a plain buffer behind the copy callback, which checks that
 * every copy the loader asks for lies inside RAM and inside the image.
 */
#include <hv/load/elf.h>
#include <stdlib.h>
#include <string.h>

#define RAM (4u << 20)

struct ram {
	uint8_t *mem;
	const uint8_t *img;
	size_t len;
};

static int copy(void *ctx, uint64_t gpa, const void *src, size_t n)
{
	struct ram *r = ctx;

	if (gpa > RAM || n > RAM - gpa)
		abort(); /* the loader validated the segment: must be in RAM */
	if (src && ((const uint8_t *)src < r->img || (const uint8_t *)src + n > r->img + r->len))
		abort();
	if (src)
		memcpy(r->mem + gpa, src, n);
	else
		memset(r->mem + gpa, 0, n);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t mem[RAM];
	uint8_t *img = malloc(size ? size : 1);
	struct ram r = { mem, img, size };
	const char *why = NULL;
	uint64_t entry;

	memcpy(img, data, size);
	if (elf_load(img, size, RAM, copy, &r, &entry, &why) != 0 && why == NULL)
		abort();
	free(img);
	return 0;
}
