/* SPDX-License-Identifier: MIT */
/*
 * The strict guest-memory fake of fake_gmem.h: hv/mem/gmem.h's functions over
 * per-page allocations, with the real checks (range, APIC holes, one page per
 * pointer, the state table) and the errors of a page the host cannot have.
 */
#include "fake_gmem.h"

#include <errcode.h>
#include <hv/mem/gmem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t *pages[FG_MAX_PAGES];
static bool unavailable[FG_MAX_PAGES];
static unsigned int nr_pages;
static uint8_t table_dummy; /* vm->table_pages only needs to be non-NULL */
uint64_t fg_bytes_written;

/* Read-only copies handed out: the copy and the guest bytes it was made of. */
static struct copy {
	uint8_t *copy, *orig;
	uint64_t gpa;
	size_t len;
} *copies;
static unsigned int nr_copies, max_copies;

void fg_init(struct vm *vm, unsigned int n)
{
	if (n > FG_MAX_PAGES)
		abort();
	for (unsigned int i = 0; i < n; i++) {
		pages[i] = calloc(1, PAGE_SIZE);
		unavailable[i] = false;
	}
	nr_pages = n;
	vm->mem_bytes = (uint64_t)n << PAGE_SHIFT;
	vm->nr_frames = n;
	vm->table_pages = NULL;
	fg_bytes_written = 0;
}

void fg_release(void)
{
	for (unsigned int i = 0; i < nr_copies; i++) {
		if (memcmp(copies[i].copy, copies[i].orig, copies[i].len)) {
			fprintf(stderr, "gmem_ptr(%#lx, %zu, read only) was written through\n",
				copies[i].gpa, copies[i].len);
			abort();
		}
		free(copies[i].copy);
		free(copies[i].orig);
	}
	nr_copies = 0;
}

void fg_destroy(void)
{
	fg_release();
	for (unsigned int i = 0; i < nr_pages; i++)
		free(pages[i]);
	nr_pages = 0;
}

uint8_t *fg_host(uint64_t gpa)
{
	return pages[gpa >> PAGE_SHIFT] + (gpa & (PAGE_SIZE - 1));
}

void fg_set_unavailable(uint64_t gfn, bool u)
{
	if (gfn < nr_pages)
		unavailable[gfn] = u;
}

void fg_set_table(struct vm *vm, uint64_t gpa, uint64_t len)
{
	vm->table_pages = len ? (uint8_t **)&table_dummy : NULL;
	vm->table_gpa = gpa;
	vm->table_nr = len;
}

int gmem_check(const struct vm *vm, uint64_t gpa, uint64_t len)
{
	if (gpa >= vm->mem_bytes || len > vm->mem_bytes - gpa)
		return -ERANGE;
	return vm_is_ram(vm, gpa, len) ? 0 : -EFAULT;
}

/* Can the host have every page of [gpa, gpa + n) (checked range)? */
static int available(uint64_t gpa, size_t n)
{
	for (uint64_t g = gpa >> PAGE_SHIFT; n && g <= (gpa + n - 1) >> PAGE_SHIFT; g++)
		if (unavailable[g])
			return -EDISCARDED;
	return 0;
}

void *gmem_ptr(struct vm *vm, gpa_t gpa, size_t len, bool write)
{
	uint64_t a = gpa_x(gpa);
	unsigned int i = nr_copies;

	if (gmem_check(vm, a, len) || len > PAGE_SIZE - (a & (PAGE_SIZE - 1)) ||
	    (write && vm_on_table(vm, a, len)) || available(a, len))
		return NULL;
	if (write) {
		fg_bytes_written += len;
		return fg_host(a);
	}
	if (i == max_copies) {
		max_copies = max_copies ? 2 * max_copies : 64;
		copies = realloc(copies, max_copies * sizeof(*copies));
		if (!copies)
			abort();
	}
	/* Exactly len bytes: ASan catches a read past what was asked for. */
	copies[i].copy = malloc(len ? len : 1);
	copies[i].orig = malloc(len ? len : 1);
	memcpy(copies[i].copy, fg_host(a), len);
	memcpy(copies[i].orig, fg_host(a), len);
	copies[i].gpa = a;
	copies[i].len = len;
	nr_copies++;
	return copies[i].copy;
}

static int copy(struct vm *vm, uint64_t gpa, void *dst, const void *src, size_t n)
{
	int rc = gmem_check(vm, gpa, n);

	if (!rc && !dst && vm_on_table(vm, gpa, n))
		rc = -EACCES;
	rc = rc ?: available(gpa, n);
	if (rc)
		return rc;
	for (size_t done = 0; done < n;) {
		size_t chunk = MIN(n - done, PAGE_SIZE - ((gpa + done) & (PAGE_SIZE - 1)));

		if (dst)
			memcpy((uint8_t *)dst + done, fg_host(gpa + done), chunk);
		else if (src)
			memcpy(fg_host(gpa + done), (const uint8_t *)src + done, chunk);
		else
			memset(fg_host(gpa + done), 0, chunk);
		done += chunk;
	}
	if (!dst)
		fg_bytes_written += n;
	return 0;
}

int gmem_read(struct vm *vm, void *dst, uint64_t gpa, size_t n)
{
	return copy(vm, gpa, dst, NULL, n);
}

int gmem_write(struct vm *vm, uint64_t gpa, const void *src, size_t n)
{
	return copy(vm, gpa, NULL, src, n);
}
