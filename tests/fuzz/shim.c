/* SPDX-License-Identifier: MIT */
/*
 * Host shim for the fuzz harnesses (see shim.h): the few symbols of the
 * hypervisor's console, memory and VMX layers that the fuzzed files call.
 */
#include "shim.h"

#include <asm/virt.h>
#include <base/console.h>
#include <hv/mem/gmem.h>
#include <hv/hint/hint.h>
#include <base/mem.h>
#include <hv/mem/pool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Host frames at a fixed low address: an hfn is the frame's address >> 12. */
#define FZ_HOST_BASE 0x10000000ULL
#define FZ_HOST_FRAMES (4096 + 1024 + FZ_POOL_FRAMES + FZ_SWAP_SLOTS)

struct frames host_frames;
unsigned int fz_discard_faults;
static uint64_t frames_bitmap[(FZ_HOST_BASE / PAGE_SIZE + FZ_HOST_FRAMES) / 64 + 1];

void printk(const char *fmt, ...)
{
	(void)fmt; /* the fuzzer's output stays readable */
}

void vprintk(const char *fmt, va_list ap)
{
	(void)fmt;
}

void con_shutdown(int status)
{
	fprintf(stderr, "con_shutdown(%d)\n", status);
	abort();
}

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* Weak, as vm_console_flush(), vm_destroy() and vm_identity_tables() below:
 * a harness that links hv/vm/vm.c and hv/dev/board.c gets the real ones. */
__attribute__((weak)) void vcpu_kick(struct vcpu *t)
{
	(void)t; /* an IPI to another vCPU: nothing runs elsewhere here */
}

__attribute__((weak)) void vm_crash(struct vm *vm, const char *fmt, ...)
{
	va_list ap;

	if (vm->state == VM_STOPPED)
		return;
	va_start(ap, fmt);
	vsnprintf(vm->stop_reason, sizeof(vm->stop_reason), fmt, ap);
	va_end(ap);
	vm->state = VM_STOPPED;
}

/* Host out of memory (hv/mem/pool.c) stops and destroys a victim VM. The shim's
 * paging device holds all of guest RAM, so it never happens here. */
__attribute__((weak)) void vm_console_flush(struct vm *vm)
{
	(void)vm;
}

__attribute__((weak)) void vm_destroy(struct vm *vm)
{
	hint_vm_destroy(vm);
}

void stats_print_line(struct vm *vm)
{
	(void)vm;
}

uint64_t tsc_hz = 2000000000; /* what the Linux loader passes as tsc_early_khz= */

static void fz_flush_gpt(struct vm *vm)
{
	(void)vm; /* no TLB here: the harness accesses memory through the EPT */
}

static bool fz_inject_discard_fault(struct vcpu *v)
{
	fz_discard_faults++;
	return true;
}

/* The back end as the code under test sees it: the EPT format, no TLB. */
static const struct virt_ops fz_ops = {
	.name = "fuzz",
	.fault_name = "EPT violation",
	.inject_discard_fault = fz_inject_discard_fault,
	.flush_gpt = fz_flush_gpt,
};
const struct virt_ops *virt = &fz_ops;

__attribute__((weak)) int vm_identity_tables(struct vm *vm, uint64_t pml4)
{
	/* The page tables are guest data; loaders are fuzzed for what they copy. */
	return gmem_write(vm, pml4, NULL, 6 * PAGE_SIZE);
}

void *pages_alloc(uint64_t n)
{
	void *p = aligned_alloc(PAGE_SIZE, n * PAGE_SIZE);

	if (p)
		memset(p, 0, n * PAGE_SIZE);
	return p;
}

void *page_alloc(void)
{
	return pages_alloc(1);
}

void pages_free(void *p, uint64_t n)
{
	free(p);
}

static void *gpt_alloc(void *ctx)
{
	return page_alloc();
}

static void gpt_free(void *p)
{
	free(p);
}

static void host_init(void)
{
	static bool done;
	struct hv_config cfg = { .nr_vms = 1 };
	void *base;

	if (done)
		return;
	done = true;
	base = mmap((void *)FZ_HOST_BASE, FZ_HOST_FRAMES * PAGE_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (base != (void *)FZ_HOST_BASE)
		panic("fuzz shim: cannot map host frames at %#llx", FZ_HOST_BASE);
	frames_init(&host_frames, frames_bitmap, FZ_HOST_BASE / PAGE_SIZE + FZ_HOST_FRAMES);
	frames_add_free(&host_frames, FZ_HOST_BASE, FZ_HOST_FRAMES * PAGE_SIZE);
	cfg.pool_bytes = (uint64_t)FZ_POOL_FRAMES << PAGE_SHIFT;
	cfg.swap_bytes = (uint64_t)FZ_SWAP_SLOTS << PAGE_SHIFT;
	cfg.vms[0].mem_bytes = (uint64_t)FZ_SWAP_SLOTS << PAGE_SHIFT;
	pool_init(&cfg);
}

void fz_vm_create(struct vm *vm, uint64_t mem_bytes, bool ad)
{
	host_init();
	memset(vm, 0, sizeof(*vm));
	snprintf(vm->name, sizeof(vm->name), "fuzz");
	vm->mem_bytes = mem_bytes;
	vm->nr_frames = mem_bytes >> PAGE_SHIFT;
	vm->exit_code = -1;
	vm->vcpus[0].vm = vm;
	vm->nr_vcpus = 1;
	fz_discard_faults = 0;
	if (gpt_init(&vm->arch.gpt, &gpt_ept_format, ad, gpt_alloc, gpt_free, NULL) || pool_vm_init(vm))
		panic("fuzz shim: cannot create the VM");
}

void fz_mm_check(void)
{
	char why[160];

	if (mm_check(&hv_mm, why, sizeof(why)) != 0)
		panic("mm_check: %s", why);
}

void fz_vm_destroy(struct vm *vm)
{
	fz_mm_check();
	gpt_destroy(&vm->arch.gpt);
	hint_vm_destroy(vm);
	if (mm_pool_free(&hv_mm) != FZ_POOL_FRAMES)
		panic("fuzz shim: %u of %u pool frames free after the VM", mm_pool_free(&hv_mm),
		      FZ_POOL_FRAMES);
	fz_mm_check();
}

/* The EPT leaf of gfn, present or not (the walk of arch/x86_64/gpt.c). */
static uint64_t *ept_leaf(struct vm *vm, uint64_t gfn)
{
	static const struct pt_format fmt = { .present = EPT_RWX, .table_flags = EPT_RWX };

	return pt_walk(&fmt, vm->arch.gpt.root, gfn << PAGE_SHIFT, PT_LEVEL_4K, NULL, NULL);
}

bool fz_ept_allows(struct vm *vm, uint64_t gpa, bool write)
{
	uint64_t *e = ept_leaf(vm, gpa >> PAGE_SHIFT);

	return e && (*e & EPT_R) && (!write || (*e & EPT_W));
}

uint8_t *fz_guest_access(struct vm *vm, uint64_t gpa, bool write)
{
	uint64_t *e;

	if (gpa >= vm->mem_bytes)
		return NULL;
	for (int tries = 0; tries < 2 && vm->state != VM_STOPPED; tries++) {
		e = ept_leaf(vm, gpa >> PAGE_SHIFT);
		if (e && (*e & EPT_R) && (!write || (*e & EPT_W))) {
			/* The CPU's walk: A always, D on a write (with A/D enabled). */
			if (vm->arch.gpt.ad)
				*e |= EPT_A | (write ? EPT_D : 0);
			return (uint8_t *)(uintptr_t)(*e & PT_ADDR_MASK) + (gpa & (PAGE_SIZE - 1));
		}
		if (pool_fault(&vm->vcpus[0], _gpa(gpa), write ? 2 : 1) == -EDISCARDED)
			hint_discard_fault(&vm->vcpus[0], _gpa(gpa), gpa, write ? 2 : 1);
	}
	return NULL;
}

/* One CPU: the local flush is all (hv/vm/vm.c when the harness has it). */
__attribute__((weak)) void vm_flush_gpt(struct vm *vm)
{
	virt->flush_gpt(vm);
}
