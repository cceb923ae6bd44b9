/* SPDX-License-Identifier: MIT */
/*
 * Fake architecture and host for mm/ outside the hypervisor: an EPT as a
 * plain array with A/D bits, a small TLB that caches translations and dirty
 * state until flushed, host frames in malloc'd memory, and a guest-access
 * helper that takes faults like a vCPU. Host code only (unit tests, hvsim, bench).
 */
#ifndef HV_MM_FAKE_ARCH_H
#define HV_MM_FAKE_ARCH_H

#include "mm/mm.h"

/* Fake EPT entry, 32 bits per gfn: hfn in bits 0..27, then P, A, D. */
#define FAKE_PTE_HFN_MASK ((1u << 28) - 1)
#define FAKE_PTE_P (1u << 28)
#define FAKE_PTE_A (1u << 29)
#define FAKE_PTE_D (1u << 30)

#define FAKE_TLB_SIZE 64
#define FAKE_LOG_SIZE 256

enum fake_op { FAKE_OP_YOUNG, FAKE_OP_DIRTY, FAKE_OP_MAP, FAKE_OP_UNMAP, FAKE_OP_FLUSH };

struct fake_tlb {
	uint64_t gfn;
	uint32_t hfn;
	bool valid, dirty;
};

struct fake_vm {
	struct mm_vm vm;
	uint64_t *ft_buf;     /* frame-table storage */
	uint32_t *pte;
	uint64_t nr;
	struct fake_tlb tlb[FAKE_TLB_SIZE];
	/* Test hook: runs inside unmap(), before the flush (a racing vCPU). */
	void (*on_unmap)(struct fake_vm *fv, uint64_t gfn, void *arg);
	void *hook_arg;
	unsigned int map_fail;  /* fail this many coming map() calls */
	uint64_t ops[5];        /* calls per enum fake_op */
	/* Ring of the last calls, for ordering tests: op << 56 | gfn. */
	uint64_t log[FAKE_LOG_SIZE];
	unsigned int log_n;
};

struct fake_world_cfg {
	uint32_t host_frames;
	uint32_t swap_slots;   /* 0: no paging device */
	bool store;            /* keep page contents (tests) or share one scratch frame (sim, bench) */
	unsigned int nvms;
	uint64_t gfns;         /* per VM */
	uint32_t wmark_low, wmark_high;
};

struct fake_world {
	struct mm mm;
	struct swap_mem swap;
	void *pool_buf, *swap_buf;
	size_t swap_bytes;
	uint8_t *mem;          /* host_frames * PAGE_SIZE when store */
	uint8_t *scratch;
	uint64_t hfn_base;
	uint32_t host_frames;
	unsigned int nvms;
	struct fake_vm *vms;
};

enum fake_result { FAKE_OK, FAKE_DISCARD, FAKE_NOMEM, FAKE_RANGE, FAKE_IOERR };

extern const struct mm_arch_ops fake_arch_ops;
extern const struct mm_host_ops fake_host_ops;

/* Build mm, pool (all host frames added), paging device and VMs. 0 or -1. */
int fake_world_init(struct fake_world *w, const struct fake_world_cfg *cfg);
/* Destroy the VMs and free everything. */
void fake_world_fini(struct fake_world *w);
/*
 * A guest access as a vCPU does it: TLB, then EPT, then mm_fault() and retry.
 * A write stores *val in the page (content mode), a read returns it.
 */
enum fake_result fake_access(struct fake_vm *fv, uint64_t gfn, bool write, uint64_t *val);
/* Is gfn mapped in the fake EPT? */
bool fake_mapped(const struct fake_vm *fv, uint64_t gfn);
/* Position of the last logged (op, gfn) in the call log, or -1. */
int fake_log_find(const struct fake_vm *fv, enum fake_op op, uint64_t gfn);

#endif /* HV_MM_FAKE_ARCH_H */
