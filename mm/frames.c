/* SPDX-License-Identifier: MIT */
/*
 * Host frame allocator over the boot memory map (see frames.h). First fit
 * with a rotating hint for single frames; a linear scan for ranges, which are
 * rare (per-VM tables at VM creation).
 */
#include <mm/frames.h>
#include <string.h>

#define BITS 64u

static inline bool test_bit(const uint64_t *bm, uint64_t i)
{
	return (bm[i / BITS] >> (i % BITS)) & 1;
}

size_t frames_bitmap_bytes(uint64_t nr)
{
	return (size_t)(ALIGN_UP(nr, (uint64_t)BITS) / 8);
}

void frames_init(struct frames *fa, uint64_t *bitmap, uint64_t nr)
{
	fa->bitmap = bitmap;
	fa->nr = nr;
	fa->nr_free = 0;
	fa->nr_total = 0;
	fa->hint = 0;
	memset(bitmap, 0xff, frames_bitmap_bytes(nr));
}

void frames_add_free(struct frames *fa, uint64_t base, uint64_t len)
{
	uint64_t first = ALIGN_UP(base, PAGE_SIZE) >> PAGE_SHIFT;
	uint64_t end = ALIGN_DOWN(base + len, PAGE_SIZE) >> PAGE_SHIFT;

	if (base + len < base)
		return;
	end = MIN(end, fa->nr);
	for (uint64_t i = first; i < end; i++) {
		if (test_bit(fa->bitmap, i)) {
			fa->bitmap[i / BITS] &= ~(1ULL << (i % BITS));
			fa->nr_free++;
			fa->nr_total++;
		}
	}
}

void frames_reserve(struct frames *fa, uint64_t base, uint64_t len)
{
	uint64_t first = base >> PAGE_SHIFT;
	uint64_t end = ALIGN_UP(base + len, PAGE_SIZE) >> PAGE_SHIFT;

	end = MIN(end, fa->nr);
	for (uint64_t i = first; i < end; i++) {
		if (!test_bit(fa->bitmap, i)) {
			fa->bitmap[i / BITS] |= 1ULL << (i % BITS);
			fa->nr_free--;
			fa->nr_total--;
		}
	}
}

uint64_t frames_withhold(struct frames *fa, uint64_t keep)
{
	uint64_t held = 0;

	/* From the top, so that low memory stays for what needs it. */
	for (uint64_t i = fa->nr; i-- > 0 && fa->nr_free > keep;) {
		if (!test_bit(fa->bitmap, i)) {
			fa->bitmap[i / BITS] |= 1ULL << (i % BITS);
			fa->nr_free--;
			fa->nr_total--;
			held++;
		}
	}
	return held;
}

static void mark(struct frames *fa, uint64_t first, uint64_t n)
{
	for (uint64_t i = first; i < first + n; i++)
		fa->bitmap[i / BITS] |= 1ULL << (i % BITS);
	fa->nr_free -= n;
}

hfn_t frames_alloc(struct frames *fa)
{
	uint64_t words = ALIGN_UP(fa->nr, (uint64_t)BITS) / BITS;

	if (fa->nr_free == 0)
		return INVALID_HFN;
	for (uint64_t k = 0; k < words; k++) {
		uint64_t w = (fa->hint + k) % words;
		uint64_t inv = ~fa->bitmap[w];

		if (inv) {
			uint64_t i = w * BITS + (uint64_t)__builtin_ctzll(inv);

			if (i >= fa->nr)
				continue;
			mark(fa, i, 1);
			fa->hint = w;
			return _hfn(i);
		}
	}
	return INVALID_HFN;
}

hfn_t frames_alloc_range(struct frames *fa, uint64_t n, uint64_t align)
{
	if (n == 0 || align == 0 || (align & (align - 1)) || n > fa->nr_free)
		return INVALID_HFN;
	for (uint64_t i = 0; i + n <= fa->nr;) {
		uint64_t run = 0;

		while (run < n && !test_bit(fa->bitmap, i + run))
			run++;
		if (run == n) {
			mark(fa, i, n);
			return _hfn(i);
		}
		/* Skip past the used frame, then to the next aligned start. */
		i = ALIGN_UP(i + run + 1, align);
	}
	return INVALID_HFN;
}

bool frames_free(struct frames *fa, hfn_t first, uint64_t n)
{
	uint64_t f = hfn_x(first);

	if (f >= fa->nr || n > fa->nr - f)
		return false;
	for (uint64_t i = f; i < f + n; i++)
		if (!test_bit(fa->bitmap, i))
			return false;
	for (uint64_t i = f; i < f + n; i++)
		fa->bitmap[i / BITS] &= ~(1ULL << (i % BITS));
	fa->nr_free += n;
	return true;
}

bool frames_is_free(const struct frames *fa, hfn_t f)
{
	return hfn_x(f) < fa->nr && !test_bit(fa->bitmap, hfn_x(f));
}
