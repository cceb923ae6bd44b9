/* SPDX-License-Identifier: MIT */
/*
 * What newlib's libc needs from its environment. The hypervisor never
 * allocates through malloc (frames come from base/mem.c), so the allocator
 * entry points are defined here and refuse, which keeps newlib's own
 * allocator and sbrk out of the image.
 */
#include <errno.h>
#include <reent.h>
#include <stddef.h>

void *_malloc_r(struct _reent *r, size_t n);
void _free_r(struct _reent *r, void *p);
void *_realloc_r(struct _reent *r, void *p, size_t n);

void *_malloc_r(struct _reent *r, size_t n)
{
	r->_errno = ENOMEM;
	return NULL;
}

void _free_r(struct _reent *r, void *p)
{
}

void *_realloc_r(struct _reent *r, void *p, size_t n)
{
	r->_errno = ENOMEM;
	return NULL;
}
