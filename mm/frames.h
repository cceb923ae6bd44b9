/* SPDX-License-Identifier: MIT */
/*
 * Host frame allocator: a bitmap over host-physical frames, one bit per
 * 4 KiB frame (set = in use). Plain C without hardware access: the caller
 * provides the bitmap storage, so unit tests run it on malloc'ed memory.
 * Single-threaded (the hypervisor runs on one CPU with interrupts off).
 */
#ifndef MM_FRAMES_H
#define MM_FRAMES_H

#include <types.h>

struct frames {
	uint64_t *bitmap;
	uint64_t nr;       /* frames covered: [0, nr) */
	uint64_t nr_free;
	uint64_t nr_total; /* frames ever made free */
	uint64_t hint;     /* next word to search from */
};

/* Bytes of bitmap needed to cover nr frames. */
size_t frames_bitmap_bytes(uint64_t nr);
/* Start with every frame in use; bitmap must hold frames_bitmap_bytes(nr). */
void frames_init(struct frames *fa, uint64_t *bitmap, uint64_t nr);
/* Mark [base, base+len) free, rounded inwards to whole frames. */
void frames_add_free(struct frames *fa, uint64_t base, uint64_t len);
/* Mark [base, base+len) in use, rounded outwards. */
void frames_reserve(struct frames *fa, uint64_t base, uint64_t len);
/* One frame, or INVALID_HFN when none is left. */
/* Take free frames out of use for good, highest first, until at most keep
 * are free (a host memory limit); returns how many were taken. */
uint64_t frames_withhold(struct frames *fa, uint64_t keep);
hfn_t frames_alloc(struct frames *fa);
/* n contiguous frames aligned to align frames (power of two), or INVALID_HFN. */
hfn_t frames_alloc_range(struct frames *fa, uint64_t n, uint64_t align);
/* Give back frames; freeing a free frame is a bug and returns false. */
bool frames_free(struct frames *fa, hfn_t first, uint64_t n);
bool frames_is_free(const struct frames *fa, hfn_t f);

#endif /* MM_FRAMES_H */
