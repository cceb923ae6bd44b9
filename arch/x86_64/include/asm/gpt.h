/* SPDX-License-Identifier: MIT */
/*
 * Guest-physical page tables of one VM: the nested tables of either vendor,
 * 4-level, 4 KiB leaves, write-back memory, accessed/dirty flags when the
 * CPU has them. Two entry formats behind one descriptor: Intel EPT (SDM Vol.
 * 3C §29.3.2, tables 29-1..29-6) and AMD nested paging, which uses ordinary
 * long-mode entries (AMD APM Vol. 2 §15.25.5, §5.4: A bit 5, D bit 6; every
 * nested access counts as a user access, so U is set at every level).
 * Plain C (the TLB flush lives in the vendor back end), so the unit tests
 * run it on heap pages.
 */
#ifndef ASM_GPT_H
#define ASM_GPT_H

#include <asm/pgtable.h>

/* EPT entry bits. */
#define EPT_R (1ULL << 0)
#define EPT_W (1ULL << 1)
#define EPT_X (1ULL << 2)
#define EPT_RWX (EPT_R | EPT_W | EPT_X)
#define EPT_MT_SHIFT 3
#define EPT_MT_WB (6ULL << EPT_MT_SHIFT)
#define EPT_IGNORE_PAT (1ULL << 6)
#define EPT_A (1ULL << 8)
#define EPT_D (1ULL << 9)

/* Nested-paging (ordinary x86-64) entry bits. */
#define NPT_P (1ULL << 0)
#define NPT_W (1ULL << 1)
#define NPT_U (1ULL << 2)
#define NPT_A (1ULL << 5)
#define NPT_D (1ULL << 6)

/* Ignored by the CPU in both formats; see gpt_unmap(). */
#define GPT_SOFT_DIRTY (1ULL << 52)

/* EPTP (SDM §25.6.11): memory type, walk length - 1, A/D enable. */
#define EPTP_MT_WB 6ULL
#define EPTP_WALK_4 (3ULL << 3)
#define EPTP_AD (1ULL << 6)

/* What one format calls its bits. */
struct gpt_format {
	const char *name;
	uint64_t present;  /* any of these set: the entry maps something */
	uint64_t table;    /* flags of an entry pointing to a table */
	uint64_t leaf;     /* flags of a read/write/execute write-back leaf */
	uint64_t write;    /* the write permission */
	uint64_t accessed, dirty;
};

extern const struct gpt_format gpt_ept_format, gpt_npt_format;

enum gpt_bit { GPT_ACCESSED, GPT_DIRTY };

struct gpt {
	const struct gpt_format *fmt;
	uint64_t *root;
	bool ad;            /* the CPU maintains accessed/dirty flags */
	pt_alloc_fn alloc;  /* zeroed table pages */
	void (*free)(void *);
	void *ctx;
	uint64_t nr_tables; /* table pages below the root, linked in */
	uint64_t *dead;     /* unlinked tables waiting for a flush (gpt_reap()) */
};

/* Root page allocated through alloc. Returns 0 or -ENOMEM. */
int gpt_init(struct gpt *g, const struct gpt_format *fmt, bool ad, pt_alloc_fn alloc,
	     void (*free_fn)(void *), void *ctx);
/* Free every table including the root. Mappings are gone; flush first. */
void gpt_destroy(struct gpt *g);
/* Host-physical address of the root table (EPTP / nCR3 without flags). */
uint64_t gpt_root(const struct gpt *g);
/* The EPTP value for a VMCS (EPT format only). */
uint64_t gpt_eptp(const struct gpt *g);
/* Map one 4 KiB guest frame read/write/execute, write-back. -EEXIST if mapped. */
int gpt_map(struct gpt *g, gfn_t gfn, hfn_t hfn);
/* Remove the mapping of gfn, keeping its accessed/dirty state for
 * gpt_test_and_clear(); returns the old entry (0 if not mapped). Caller flushes. */
uint64_t gpt_unmap(struct gpt *g, gfn_t gfn);
/*
 * gfn is unmapped and its accessed/dirty state no longer needed: clear its
 * entry, and unlink the tables this leaves empty. Returns how many were
 * unlinked; they are freed by gpt_reap(), which the caller calls after a
 * flush of the VM's translations (never before: the CPU may still walk them).
 */
unsigned int gpt_release(struct gpt *g, gfn_t gfn);
void gpt_reap(struct gpt *g);
/* Host frame gfn is mapped to, or INVALID_HFN. */
hfn_t gpt_lookup(const struct gpt *g, gfn_t gfn);
/*
 * Atomically clear the accessed or dirty flag of gfn's leaf, mapped or
 * unmapped since its last mapping; true if it was set.
 * Without A/D support: accessed is always false (FIFO ageing) and dirty is
 * emulated by write protection (W cleared; see gpt_write_fault()).
 * The caller flushes before relying on the cleared state.
 */
bool gpt_test_and_clear(struct gpt *g, gfn_t gfn, enum gpt_bit bit);
/* Without A/D support: a write hit a write-protected present leaf; make it
 * writable again (the page is now dirty). false if that was not the cause. */
bool gpt_write_fault(struct gpt *g, gfn_t gfn);

#endif /* ASM_GPT_H */
