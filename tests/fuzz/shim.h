/* SPDX-License-Identifier: MIT */
/*
 * Host build of hypervisor code for the libFuzzer harnesses: host frames in
 * a fixed low mapping (host-virtual == host-physical, as in the hypervisor),
 * the console and back-end entry points the code calls, and one VM with a
 * real EPT (arch/x86_64/gpt.c) and frame table (mm/ through hv/mem/pool.c).
 */
#ifndef FUZZ_SHIM_H
#define FUZZ_SHIM_H

#include <hv/vm/vm.h>

/* Pool of the shared mm (frames) and its paging device (slots). */
#define FZ_POOL_FRAMES 96
#define FZ_SWAP_SLOTS 4096

/* Reads the fuzzer input in pieces; past the end every read gives 0. */
struct fz_in {
	const uint8_t *p;
	size_t n;
};

static inline uint64_t fz_take(struct fz_in *in, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < bytes && in->n > 0; i++, in->n--)
		v |= (uint64_t)*in->p++ << (8 * i);
	return v;
}

/* Set up the host frames and pool_init() once, then a fresh VM of mem_bytes
 * RAM (ad: EPT accessed/dirty flags). Aborts if that fails. */
void fz_vm_create(struct vm *vm, uint64_t mem_bytes, bool ad);
/* Give everything back; checks mm/ invariants and that no frame leaked. */
void fz_vm_destroy(struct vm *vm);
/* mm_check() on the shared mm; aborts with its reason on a violation. */
void fz_mm_check(void);
/*
 * A guest access to gpa as a vCPU does it: through the EPT (setting A, and
 * D for a write), else an EPT violation into pool_fault() and one retry.
 * Returns the host pointer of the byte, or NULL (discard fault, VM stopped).
 */
uint8_t *fz_guest_access(struct vm *vm, uint64_t gpa, bool write);
/* Does the EPT let the guest read (write: and write) gpa now? */
bool fz_ept_allows(struct vm *vm, uint64_t gpa, bool write);
/* Discard faults injected since the VM was created. */
extern unsigned int fz_discard_faults;

#endif /* FUZZ_SHIM_H */
