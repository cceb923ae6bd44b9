/* SPDX-License-Identifier: MIT */
/*
 * Host memory bring-up: turn the boot memory map into the frame allocator.
 * Runs once on the BSP after the host page tables cover all of RAM.
 */
#include <base/console.h>
#include <base/mem.h>
#include <string.h>

#define LOW_MEMORY (1UL << 20) /* real-mode IVT, BIOS data, option ROMs */

struct frames host_frames;

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

bool mem_range_loaded(const struct boot_info *bi, uint64_t base, uint64_t len)
{
	if (overlaps(base, len, bi->image_base, bi->image_end - bi->image_base))
		return true;
	for (uint32_t i = 0; i < bi->nr_modules; i++)
		if (overlaps(base, len, bi->modules[i].base, ALIGN_UP(bi->modules[i].len, PAGE_SIZE)))
			return true;
	return false;
}

static bool range_is_taken(const struct boot_info *bi, uint64_t base, uint64_t len)
{
	return mem_range_loaded(bi, base, len) || base < LOW_MEMORY;
}

/* Find room for the bitmap in usable memory that nothing else claims. */
static uint64_t place_bitmap(const struct boot_info *bi, uint64_t bytes)
{
	for (uint32_t i = 0; i < bi->nr_mem; i++) {
		const struct boot_mem_region *r = &bi->mem[i];
		uint64_t end = r->base + r->len;

		if (r->type != BOOT_MEM_USABLE)
			continue;
		for (uint64_t a = ALIGN_UP(MAX(r->base, LOW_MEMORY), PAGE_SIZE); a + bytes <= end;
		     a += PAGE_SIZE)
			if (!range_is_taken(bi, a, bytes))
				return a;
	}
	return 0;
}

void mem_init(const struct boot_info *bi)
{
	uint64_t top = 0, bytes, bm;

	for (uint32_t i = 0; i < bi->nr_mem; i++)
		if (bi->mem[i].type == BOOT_MEM_USABLE)
			top = MAX(top, bi->mem[i].base + bi->mem[i].len);
	if (!top)
		panic("no usable memory in the boot memory map");

	bytes = ALIGN_UP(frames_bitmap_bytes(top >> PAGE_SHIFT), PAGE_SIZE);
	bm = place_bitmap(bi, bytes);
	if (!bm)
		panic("no room for the frame bitmap (%lu bytes)", bytes);

	frames_init(&host_frames, hpa_to_virt(_hpa(bm)), top >> PAGE_SHIFT);
	for (uint32_t i = 0; i < bi->nr_mem; i++)
		if (bi->mem[i].type == BOOT_MEM_USABLE)
			frames_add_free(&host_frames, bi->mem[i].base, bi->mem[i].len);
	frames_reserve(&host_frames, 0, LOW_MEMORY);
	frames_reserve(&host_frames, bi->image_base, bi->image_end - bi->image_base);
	for (uint32_t i = 0; i < bi->nr_modules; i++)
		frames_reserve(&host_frames, bi->modules[i].base, bi->modules[i].len);
	frames_reserve(&host_frames, bm, bytes);
}

void *pages_alloc(uint64_t n)
{
	hfn_t f = n == 1 ? frames_alloc(&host_frames) : frames_alloc_range(&host_frames, n, 1);
	void *p;

	if (hfn_x(f) == hfn_x(INVALID_HFN))
		return NULL;
	p = hpa_to_virt(hfn_to_hpa(f));
	memset(p, 0, n * PAGE_SIZE);
	return p;
}

void *page_alloc(void)
{
	return pages_alloc(1);
}

void pages_free(void *p, uint64_t n)
{
	BUG_ON(!frames_free(&host_frames, hpa_to_hfn(virt_to_hpa(p)), n));
}
