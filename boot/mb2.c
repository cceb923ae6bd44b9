/* SPDX-License-Identifier: MIT */
/*
 * Multiboot2 information structure → struct boot_info. Runs once at boot, on
 * the BSP, before anything else; plain C, also compiled into the unit tests.
 */
#include <boot_info.h>
#include <errcode.h>
#include <string.h>

#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_MODULE 3
#define MB2_TAG_MMAP 6
#define MB2_TAG_ACPI_OLD 14
#define MB2_TAG_ACPI_NEW 15

#define MB2_MEM_AVAILABLE 1
#define MB2_MEM_ACPI_RECLAIMABLE 3
#define MB2_MEM_NVS 4

struct mb2_tag {
	uint32_t type;
	uint32_t size;
};

struct mb2_mmap_entry {
	uint64_t base;
	uint64_t len;
	uint32_t type;
	uint32_t reserved;
};

static uint32_t mem_type(uint32_t mb2_type)
{
	switch (mb2_type) {
	case MB2_MEM_AVAILABLE:
		return BOOT_MEM_USABLE;
	case MB2_MEM_ACPI_RECLAIMABLE:
	case MB2_MEM_NVS:
		return BOOT_MEM_ACPI;
	default:
		return BOOT_MEM_RESERVED;
	}
}

static int parse_mmap(const uint8_t *tag, uint32_t size, struct boot_info *bi)
{
	uint32_t esize, off;

	if (size < 16)
		return -EINVAL;
	memcpy(&esize, tag + 8, sizeof(esize));
	if (esize < sizeof(struct mb2_mmap_entry) || esize % 8)
		return -EINVAL;
	for (off = 16; off + esize <= size; off += esize) {
		struct mb2_mmap_entry e;

		memcpy(&e, tag + off, sizeof(e));
		if (e.base + e.len < e.base)
			return -EINVAL;
		if (!boot_add_mem(bi, e.base, e.len, mem_type(e.type)))
			return -EINVAL;
	}
	return 0;
}

static void copy_str(char *dst, size_t cap, const uint8_t *src, size_t max)
{
	size_t n = 0;

	while (n < max && n < cap - 1 && src[n])
		n++;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

int mb2_parse(const void *mbi, struct boot_info *bi)
{
	const uint8_t *base = mbi;
	uint32_t total, off;
	bool seen_end = false, seen_mmap = false;

	memcpy(&total, base, sizeof(total));
	if (total < 16 || total > (1u << 24))
		return -EINVAL;
	for (off = 8; off + sizeof(struct mb2_tag) <= total;) {
		struct mb2_tag t;
		const uint8_t *tag = base + off;
		int rc = 0;

		memcpy(&t, tag, sizeof(t));
		if (t.size < sizeof(t) || off + t.size > total)
			return -EINVAL;
		switch (t.type) {
		case MB2_TAG_END:
			seen_end = true;
			break;
		case MB2_TAG_CMDLINE:
			copy_str(bi->cmdline, sizeof(bi->cmdline), tag + 8, t.size - 8);
			break;
		case MB2_TAG_MODULE: {
			uint32_t start, end;
			char name[BOOT_NAME_LEN];

			if (t.size < 16)
				return -EINVAL;
			memcpy(&start, tag + 8, 4);
			memcpy(&end, tag + 12, 4);
			if (end < start)
				return -EINVAL;
			copy_str(name, sizeof(name), tag + 16, t.size - 16);
			if (!boot_add_module(bi, start, end - start, name))
				return -EINVAL;
			break;
		}
		case MB2_TAG_MMAP:
			rc = parse_mmap(tag, t.size, bi);
			seen_mmap = true;
			break;
		case MB2_TAG_ACPI_OLD:
		case MB2_TAG_ACPI_NEW:
			if (!bi->acpi_rsdp)
				bi->acpi_rsdp = (uint64_t)(uintptr_t)(tag + 8);
			break;
		default:
			break;
		}
		if (rc)
			return rc;
		if (seen_end)
			break;
		off += ALIGN_UP(t.size, 8u);
	}
	return seen_end && seen_mmap ? 0 : -EINVAL;
}
