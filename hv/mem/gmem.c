/* SPDX-License-Identifier: MIT */
/*
 * Guest memory (see gmem.h): checked accesses to a VM's RAM through its
 * frame table. Hypervisor context, BSP; nothing here is re-entered.
 */
#include <errcode.h>
#include <hv/mem/gmem.h>
#include <base/mem.h>
#include <hv/mem/pool.h>
#include <hv/vm/vm.h>
#include <string.h>

int gmem_check(const struct vm *vm, uint64_t gpa, uint64_t len)
{
	if (gpa >= vm->mem_bytes || len > vm->mem_bytes - gpa)
		return -ERANGE;
	return vm_is_ram(vm, gpa, len) ? 0 : -EFAULT;
}

void *gmem_ptr(struct vm *vm, gpa_t gpa, size_t len, bool write)
{
	uint64_t a = gpa_x(gpa);
	hfn_t hfn;

	if (gmem_check(vm, a, len) || len > PAGE_SIZE - (a & ~PAGE_MASK) ||
	    (write && vm_on_table(vm, a, len)))
		return NULL;
	if (pool_gfn_get(vm, gpa_to_gfn(gpa), write, 0, &hfn))
		return NULL;
	return (uint8_t *)hpa_to_virt(hfn_to_hpa(hfn)) + (a & ~PAGE_MASK);
}

static int copy(struct vm *vm, uint64_t gpa, uint8_t *buf, const uint8_t *src, size_t n,
		bool to_guest, unsigned int flags)
{
	int rc = gmem_check(vm, gpa, n);

	if (!rc && to_guest && vm_on_table(vm, gpa, n))
		rc = -EACCES;
	while (!rc && n) {
		size_t chunk = MIN(n, PAGE_SIZE - (gpa & (PAGE_SIZE - 1)));
		hfn_t hfn;
		uint8_t *g;

		rc = pool_gfn_get(vm, _gfn(gpa >> PAGE_SHIFT), to_guest, flags, &hfn);
		if (rc)
			break;
		g = (uint8_t *)hpa_to_virt(hfn_to_hpa(hfn)) + (gpa & (PAGE_SIZE - 1));
		if (!to_guest)
			memcpy(buf, g, chunk);
		else if (src)
			memcpy(g, src, chunk);
		else
			memset(g, 0, chunk);
		gpa += chunk;
		n -= chunk;
		if (buf)
			buf += chunk;
		if (src)
			src += chunk;
	}
	return rc;
}

int gmem_read(struct vm *vm, void *dst, uint64_t gpa, size_t n)
{
	return copy(vm, gpa, dst, NULL, n, false, 0);
}

int gmem_write(struct vm *vm, uint64_t gpa, const void *src, size_t n)
{
	return copy(vm, gpa, NULL, src, n, true, 0);
}

int gmem_read_or_restart(struct vm *vm, void *dst, uint64_t gpa, size_t n)
{
	return copy(vm, gpa, dst, NULL, n, false, POOL_RESTART);
}

int gmem_write_or_restart(struct vm *vm, uint64_t gpa, const void *src, size_t n)
{
	return copy(vm, gpa, NULL, src, n, true, POOL_RESTART);
}

/* Pages covering [gpa, gpa + len), len > 0 and the range checked. */
static uint64_t first_page(uint64_t gpa) { return gpa >> PAGE_SHIFT; }
static uint64_t nr_pages(uint64_t gpa, uint64_t len)
{
	return ((gpa + len + PAGE_SIZE - 1) >> PAGE_SHIFT) - first_page(gpa);
}

static void unpin_pages(struct vm *vm, uint64_t first, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		mm_gfn_unpin(&vm->mm, _gfn(first + i));
}

static int pin(struct vm *vm, uint64_t gpa, uint64_t len, unsigned int flags)
{
	uint64_t first = first_page(gpa), n;
	int rc = gmem_check(vm, gpa, len);

	if (rc || !len)
		return rc;
	n = nr_pages(gpa, len);
	for (uint64_t i = 0; i < n; i++) {
		hfn_t hfn;

		/* Through the memory module: a pin that needs a frame when the
		 * host is out of memory takes the host OOM path like any access. */
		rc = pool_gfn_get(vm, _gfn(first + i), true, POOL_PIN | flags, &hfn);
		if (rc) {
			unpin_pages(vm, first, i);
			return rc == -EBUSY ? -ENOMEM : rc; /* pin count full: cannot keep it */
		}
	}
	return 0;
}

int gmem_pin(struct vm *vm, uint64_t gpa, uint64_t len)
{
	return pin(vm, gpa, len, 0);
}

void gmem_unpin(struct vm *vm, uint64_t gpa, uint64_t len)
{
	if (len && !gmem_check(vm, gpa, len))
		unpin_pages(vm, first_page(gpa), nr_pages(gpa, len));
}

int64_t gmem_discard(struct vm *vm, uint64_t gpa, uint64_t len)
{
	int rc;

	if ((gpa | len) & (PAGE_SIZE - 1))
		return -EINVAL;
	rc = gmem_check(vm, gpa, len);
	if (rc)
		return rc;
	if (vm_on_table(vm, gpa, len))
		return -EACCES;
	return mm_drop_range(&vm->mm, gpa_to_gfn(_gpa(gpa)), len >> PAGE_SHIFT);
}

int gmem_write_all(struct vm *vm, uint64_t gpa, const void *src, size_t n)
{
	int rc = vm_on_table(vm, gpa, n) ? -EACCES : pin(vm, gpa, n, POOL_RESTART);

	if (rc)
		return rc;
	rc = gmem_write(vm, gpa, src, n); /* pinned: cannot fail */
	gmem_unpin(vm, gpa, n);
	return rc;
}
