/* SPDX-License-Identifier: MIT */
/*
 * Extended page tables of one VM: 4-level, 4 KiB leaves, write-back memory,
 * accessed/dirty flags when the CPU has them. Entry format: SDM Vol. 3C
 * §29.3.2, tables 29-1..29-6. Plain C (INVEPT lives in vmx.c), so the unit
 * tests run it on heap pages.
 */
#ifndef ASM_EPT_H
#define ASM_EPT_H

#include <asm/pgtable.h>

#define EPT_R (1ULL << 0)
#define EPT_W (1ULL << 1)
#define EPT_X (1ULL << 2)
#define EPT_RWX (EPT_R | EPT_W | EPT_X)
#define EPT_MT_SHIFT 3
#define EPT_MT_WB (6ULL << EPT_MT_SHIFT)
#define EPT_IGNORE_PAT (1ULL << 6)
#define EPT_A (1ULL << 8)
#define EPT_D (1ULL << 9)
#define EPT_SOFT_DIRTY (1ULL << 52) /* ignored by the CPU; see ept_unmap() */

/* EPTP (SDM §25.6.11): memory type, walk length - 1, A/D enable. */
#define EPTP_MT_WB 6ULL
#define EPTP_WALK_4 (3ULL << 3)
#define EPTP_AD (1ULL << 6)

struct ept {
	uint64_t *root;
	bool ad;            /* accessed/dirty flags enabled in the EPTP */
	pt_alloc_fn alloc;  /* zeroed table pages */
	void (*free)(void *);
	void *ctx;
	uint64_t nr_tables; /* table pages below the root */
};

/* Root page allocated through alloc. Returns 0 or -ENOMEM. */
int ept_init(struct ept *ept, bool ad, pt_alloc_fn alloc, void (*free_fn)(void *), void *ctx);
/* Free every table including the root. Mappings are gone; flush first. */
void ept_destroy(struct ept *ept);
/* The EPTP value for the VMCS. */
uint64_t ept_pointer(const struct ept *ept);
/* Map one 4 KiB guest frame read/write/execute, write-back. -EEXIST if mapped. */
int ept_map(struct ept *ept, gfn_t gfn, hfn_t hfn);
/* The same with the given permissions (EPT_R/W/X), e.g. read-only. */
int ept_map_perm(struct ept *ept, gfn_t gfn, hfn_t hfn, uint64_t perm);
/* Remove the mapping of gfn, keeping its accessed/dirty state for
 * ept_test_and_clear(); returns the old entry (0 if not mapped). Caller flushes. */
uint64_t ept_unmap(struct ept *ept, gfn_t gfn);
/* Host frame gfn is mapped to, or INVALID_HFN. */
hfn_t ept_lookup(const struct ept *ept, gfn_t gfn);
/*
 * Atomically clear bit (EPT_A or EPT_D) of gfn's leaf, mapped or unmapped
 * since its last mapping; true if it was set.
 * Without A/D support: EPT_A is always false (FIFO ageing) and EPT_D is
 * emulated by write protection (W cleared; see ept_write_fault()).
 * The caller flushes (INVEPT) before relying on the cleared state.
 */
bool ept_test_and_clear(struct ept *ept, gfn_t gfn, uint64_t bit);
/* Without A/D support: a write hit a write-protected present leaf; make it
 * writable again (the page is now dirty). false if that was not the cause. */
bool ept_write_fault(struct ept *ept, gfn_t gfn);

#endif /* ASM_EPT_H */
