/* SPDX-License-Identifier: MIT */
/*
 * Public API of mm/, the memory policy of Hintvisor: guest page states, the
 * host frame pool, one global LRU, reclaim, the paging device and statistics.
 * Plain C without hardware access; the same files build into the hypervisor
 * (VMX root, caller holds the one mm lock), the unit tests and the simulator.
 */
#ifndef HV_MM_H
#define HV_MM_H

#include "errcode.h" /* errors: the hypervisor's one error space, negated */
#include "types.h"
#include "guest-abi/hintvisor.h"

#define MM_MAX_VMS 256          /* vm ids are 8..16 bits in the frame owner word */
#define MM_NIL UINT32_MAX       /* "no frame" in a list link */
#define MM_RECLAIM_BATCH 32     /* victims unmapped per INVEPT */
#define MM_MAX_GFNS (1ULL << 40) /* 52-bit guest-physical space */
#define MM_PIN_MAX 15           /* nested pins per gfn */
#define MM_SLOT_CHUNK 16384     /* gfns one part of slot reclaim walks (struct mm's default) */

/* Host state of a guest frame, as mm stores it (0 = the state of a fresh table). */
enum mm_hs {
	MM_HS_ZERO = 0,      /* no content: never touched, or dropped */
	MM_HS_RESIDENT = 1,  /* backed by a host frame of the pool */
	MM_HS_PRESERVED = 2, /* content in a paging-device slot */
};

/*
 * Architecture hooks, one set per VM (ctx = the VM's EPT state). Contract:
 * unmap() removes the translation but keeps the entry's A/D information for a
 * later test_clear_*(); writes through stale TLB entries may still set D until
 * flush() (INVEPT) returns. map() installs RWX with A = D = 0.
 */
struct mm_arch_ops {
	bool (*test_clear_young)(void *ctx, gfn_t gfn); /* EPT A bit */
	bool (*test_clear_dirty)(void *ctx, gfn_t gfn); /* EPT D bit */
	int (*map)(void *ctx, gfn_t gfn, hfn_t hfn);    /* 0 or negative error */
	void (*unmap)(void *ctx, gfn_t gfn);
	void (*flush)(void *ctx);
	/*
	 * Optional. The unmapped gfn's content is gone for good (dropped or
	 * paged out) and its accessed/dirty state has been read: the arch may
	 * forget the entry and free the tables that held only it.
	 */
	void (*release)(void *ctx, gfn_t gfn);
};

/* Host hooks, global. */
struct mm_host_ops {
	void *(*frame_ptr)(void *ctx, hfn_t hfn); /* host-virtual address of a frame */
};

/*
 * Paging device: one 4 KiB slot per page. write() picks a free slot itself
 * and returns it in *slot; -ENOSPC when full (the page is then kept).
 */
struct swap_ops {
	int (*write)(void *ctx, uint32_t *slot, const void *page);
	int (*read)(void *ctx, uint32_t slot, void *page);
	void (*free)(void *ctx, uint32_t slot);
	uint64_t (*used)(void *ctx); /* slots in use, for mm_check() */
};

struct swap_dev {
	const struct swap_ops *ops;
	void *ctx;
	uint64_t nslots; /* capacity; 0: not known (room is then never 0) */
	uint64_t writes, reads, frees, write_errors, read_errors;
};

/*
 * One host frame of the pool: 24 bytes. LRU and free lists are doubly linked
 * through 32-bit pool indices (not pointers), so the lists live in this one
 * array and a pool of up to 2^32 - 1 frames (16 TiB) needs no other memory.
 *   word:  bits 0..51 hfn, bits 56..58 list id (FR_* in mm/internal.h)
 *   owner: bits 0..47 gfn, bits 48..63 vm id (when the frame is in use)
 */
struct mm_frame {
	uint64_t word;
	uint64_t owner;
	uint32_t prev, next;
};
_Static_assert(sizeof(struct mm_frame) == 24, "mm_frame must stay 24 bytes");

struct mm_list {
	uint32_t head, tail; /* head = most recently added */
	uint64_t len;
};

/* Event counters, per VM and summed in struct mm. */
struct mm_counters {
	uint64_t faults;          /* mm_fault() + mm_gfn_get() calls on a non-resident gfn */
	uint64_t zero_fills;
	uint64_t page_ins;
	uint64_t page_outs;
	uint64_t pageout_errors;  /* paging device full: page kept resident */
	uint64_t drops[4];        /* by guest state; drops[STABLE] must stay 0 */
	uint64_t discard_faults;
	uint64_t reuse_detected;  /* hinted page found dirty: made STABLE */
	uint64_t table_races;     /* discard CAS lost against the guest: paged out instead */
	uint64_t hints;           /* hypercall state changes applied */
	uint64_t hint_frees;      /* U/V/P hint on a PRESERVED page: slot freed (V/P: dropped) */
	uint64_t guest_drops;     /* pages dropped at the guest's word (mm_drop_range()), also in drops[] */
	uint64_t slot_reclaims;   /* U/V/P table byte on a PRESERVED page, seen with the device full */
	uint64_t slot_scans;      /* mm_reclaim_slots() runs (global count only) */
	uint64_t lru_scanned;     /* inactive-list frames looked at by reclaim */
	uint64_t lru_rotated;     /* ... and put back (young, or table hint seen first) */
	uint64_t lru_deactivated; /* active -> inactive */
	uint64_t reclaim_passes;  /* batches, i.e. flushes */
};

/* Per VM. Fields are private to mm/; the caller only owns the storage. */
struct mm_vm {
	struct mm *mm;
	uint64_t *ent;   /* frame table: one 8-byte entry per gfn, see mm/internal.h */
	uint64_t nr;     /* gfns */
	const struct mm_arch_ops *ops;
	void *ctx;
	uint8_t *table;  /* shared state table, contiguous (guest memory, pinned), or NULL */
	uint8_t *const *table_pages; /* ... or as one host page per 4096 gfns */
	uint64_t table_nr;    /* gfns [0, table_nr) are in table mode (taken over) */
	uint64_t table_len;   /* bytes of the registered table; table_nr grows to it */
	uint64_t pages[4][3]; /* [guest state][enum mm_hs], guest state as last seen */
	struct mm_counters cnt;
	uint64_t pinned;      /* resident frames held off the LRU */
	/* Host frames outside the pool held for this VM (its nested page
	 * tables): kept up to date by the caller, part of the footprint. */
	uint64_t table_frames;
	uint16_t id;
	bool need_flush;
};

/* Global: pool + LRU + paging device + VM registry. */
struct mm {
	struct mm_frame *frames;
	uint32_t cap, nr;      /* storage for cap frames; nr added so far */
	struct mm_list lists[3]; /* FR_FREE, FR_ACTIVE, FR_INACTIVE */
	uint32_t wmark_low, wmark_high;
	const struct mm_host_ops *hops;
	void *hctx;
	struct swap_dev *swap;
	struct mm_vm *vms[MM_MAX_VMS];
	struct mm_counters cnt;
	/*
	 * Frame-table entries and table bytes visited by the loops whose length
	 * grows with guest RAM (hint ranges, table take-over, table-mode page
	 * counts, slot scans, VM teardown): the caller reads it before and
	 * after an exit to see how much of that work the exit did.
	 */
	uint64_t walked;
	/*
	 * Slot reclaim in parts (mm/oom.c): each part walks at most slot_chunk
	 * table gfns from (slot_vm, slot_gfn) on; slot_clean counts the gfns
	 * walked since a part last freed a slot, and slot_frees is the paging
	 * device's frees count as the last part ended (a slot freed since then,
	 * by anyone, starts the count again).
	 */
	uint64_t slot_chunk;
	unsigned int slot_vm;
	uint64_t slot_gfn, slot_clean, slot_frees;
	bool in_reclaim;
	/*
	 * The last reclaim freed nothing because the paging device is full: do
	 * not scan again on every allocation of the reserve below the low
	 * watermark, only once a slot was freed (swap->frees moved) or the pool
	 * is empty.
	 */
	bool futile;
	uint64_t futile_frees;
};

enum mm_fault_result {
	MM_FAULT_MAPPED,  /* mm allocated, filled and mapped a frame (or it was mapped) */
	MM_FAULT_DISCARD, /* discarded volatile page: inject the discard fault, no mapping */
	MM_FAULT_NOMEM,   /* no frame, even after reclaim */
	MM_FAULT_RANGE,   /* gfn beyond guest RAM */
	MM_FAULT_IOERR,   /* paging device read failed: content lost */
};

/* ---- init and pool (mm/pool.c) ---- */

/* Bytes of storage mm_init() needs for a pool of up to max_frames frames. */
size_t mm_pool_bytes_needed(uint32_t max_frames);
/*
 * Set up mm with frame storage buf (len >= mm_pool_bytes_needed(max_frames),
 * 8-byte aligned). The pool starts empty. Returns 0 or -EINVAL.
 */
int mm_init(struct mm *mm, void *buf, size_t len, uint32_t max_frames,
	    const struct mm_host_ops *hops, void *hctx);
/* Give one host frame to the pool. 0, -ENOSPC (pool storage full), -EINVAL. */
int mm_pool_add_frame(struct mm *mm, hfn_t hfn);
/* Allocation reclaims when free <= low, up to high free frames. low <= high. */
void mm_pool_set_watermarks(struct mm *mm, uint32_t low, uint32_t high);
/* Free frames right now. */
uint32_t mm_pool_free(const struct mm *mm);
/* Attach the paging device (may be NULL: STABLE pages then never leave). */
void mm_swap_attach(struct mm *mm, struct swap_dev *dev);

/* ---- VMs (mm/frame_table.c) ---- */

/* Bytes of frame-table storage for a VM of nr_gfns guest frames (8 per gfn). */
size_t mm_vm_bytes_needed(uint64_t nr_gfns);
/*
 * Create the VM's frame table in buf (8-byte aligned): every gfn STABLE and
 * ZERO. 0, -EINVAL (size), -EBUSY (MM_MAX_VMS reached).
 */
int mm_vm_init(struct mm *mm, struct mm_vm *vm, void *buf, size_t len, uint64_t nr_gfns,
	       const struct mm_arch_ops *ops, void *ctx);
/*
 * Release every frame and slot of the VM and unregister it. Calls no arch
 * op: call it after the EPT is gone. vm's storage may be reused afterwards.
 */
void mm_vm_destroy(struct mm_vm *vm);
/*
 * Register the guest's shared state table (host pointer to nr bytes, pages
 * pinned by the caller), or unregister it with bytes == NULL. 0 or -EINVAL.
 * Every byte is overwritten with the page's current state (HV_PAGE_*, with
 * HV_TABLE_DISCARDED for a discarded volatile page): the table takes over.
 */
int mm_vm_set_table(struct mm_vm *vm, uint8_t *bytes, uint64_t nr);
/*
 * The same for a table that is contiguous only in guest memory: pages[i] is
 * the host address of table bytes [i * 4096, (i + 1) * 4096). The pointer
 * array is the caller's and must live as long as the registration.
 */
int mm_vm_set_table_pages(struct mm_vm *vm, uint8_t *const *pages, uint64_t nr);
/*
 * The same in parts, so that no call does work that grows with guest RAM:
 * mm_vm_table_start() registers the table with no byte taken over yet (every
 * gfn still in the frame table's state), 0 or -EINVAL; then each
 * mm_vm_table_take_over() takes over the next up to budget bytes, lowest gfn
 * first, and returns how many are left (0: the table is complete). A gfn
 * whose byte has been taken over is in table mode from then on: its byte is
 * its state, for every mm/ path.
 */
int mm_vm_table_start(struct mm_vm *vm, uint8_t *const *pages, uint64_t nr);
uint64_t mm_vm_table_take_over(struct mm_vm *vm, uint64_t budget);

/* ---- fault path (mm/fault.c) ---- */

/* EPT violation on gfn: make it resident and mapped, or say why not. */
enum mm_fault_result mm_fault(struct mm_vm *vm, gfn_t gfn, bool write);
/*
 * Host access to guest memory: make gfn resident and return its frame. write
 * means the host will modify it (then a hint on it no longer allows a drop).
 * The frame stays valid until the next mm call that may allocate or reclaim.
 * 0, -ERANGE, -ENOMEM, -EDISCARDED, -EIO.
 */
int mm_gfn_get(struct mm_vm *vm, gfn_t gfn, bool write, hfn_t *out);
/* As mm_gfn_get(write) and keep it resident until unpinned (nests). -EBUSY on overflow. */
int mm_gfn_pin(struct mm_vm *vm, gfn_t gfn, hfn_t *out);
/* Undo one mm_gfn_pin(). gfn must be pinned. */
void mm_gfn_unpin(struct mm_vm *vm, gfn_t gfn);

/* ---- guest state changes (mm/state.c) ---- */

/* Set one gfn to state (HV_PAGE_*). Result word, or -ERANGE / -EINVAL. */
int mm_set_state(struct mm_vm *vm, gfn_t gfn, unsigned int state);
/* Set [first, first + count). Pages changed, or -ERANGE / -EINVAL (nothing done). */
int64_t mm_set_range(struct mm_vm *vm, gfn_t first, uint64_t count, unsigned int state);
/*
 * Apply a batch in the HV_BATCH format (host copy of the guest's page, up to
 * HV_BATCH_MAX entries): each entry is read once and rewritten with its result
 * word or HV_BATCH_ERR | HV_E* (ABI words). Entries processed, or -EINVAL if n is too big.
 */
int mm_set_batch(struct mm_vm *vm, uint64_t *entries, unsigned int n);
/* HV_HC_GET_PAGE_STATE: state | host state << 2 | HV_RES_DISCARDED, or -ERANGE. */
int mm_get_state(struct mm_vm *vm, gfn_t gfn);
/*
 * The guest gave up the content of [first, first + count) (free page
 * reporting, a balloon): every resident or paged-out page of it is dropped
 * now, its frame back to the pool after one flush (and its entry released
 * to the arch: ops->release), its slot freed; the walk counts in walked. The next
 * access gets a zero page; a VOLATILE or POT_VOLATILE page is dropped as
 * reclaim drops it (a discard fault), unless the guest changes its table
 * byte meanwhile (then it is kept). Guest states stay as they are. Counted
 * in drops[] (a STABLE page as UNUSED) and guest_drops. Returns the pages
 * dropped, -ERANGE (beyond the frame table) or -EBUSY (a page of the range
 * is pinned: nothing dropped).
 */
int64_t mm_drop_range(struct mm_vm *vm, gfn_t first, uint64_t count);
/*
 * HV_HC_RESET in parts: budget more gfns made STABLE, from the last one down
 * (done: how many earlier parts did; returns the new count, vm's number of
 * gfns when finished). A dropped page reads zeros from then on, with no
 * discard fault; *changed counts the pages whose state changed. Each gfn
 * leaves table mode as the walk passes it and the table is never written;
 * the last part unregisters it (its pages are the caller's to unpin).
 */
uint64_t mm_vm_reset_states(struct mm_vm *vm, uint64_t done, uint64_t budget, uint64_t *changed);

/* ---- reclaim (mm/reclaim.c) ---- */

/* Free up to nr frames from the global LRU. Returns frames freed. */
uint32_t mm_reclaim(struct mm *mm, uint32_t nr);
/* Reclaim up to the high watermark if free frames are at or below the low one. */
uint32_t mm_balance(struct mm *mm);

/* ---- host out of memory (mm/oom.c) ---- */

/*
 * Free the paging-device slots of paged-out pages whose shared-table byte
 * now says UNUSED (the page becomes ZERO) or VOLATILE / POT_VOLATILE (CAS to
 * byte | HV_TABLE_DISCARDED; the page becomes ZERO and discarded). One part:
 * at most mm->slot_chunk table gfns, from where the last part stopped, over
 * every VM with a table in turn. mm_reclaim() calls it by itself when the
 * paging device is full. Returns slots freed.
 */
uint64_t mm_reclaim_slots(struct mm *mm);
/*
 * May another part of slot reclaim still free a slot? True while the paging
 * device is full and the parts have not walked every table gfn since one
 * last freed a slot (or since any slot was freed). An allocation that failed
 * meanwhile is to be tried again (its retry walks the next part) before the
 * caller stops a VM for host memory.
 */
bool mm_slot_scan_pending(const struct mm *mm);
/* Host frames a VM holds: resident + preserved pages + table_frames. */
uint64_t mm_vm_footprint(const struct mm_vm *vm);
/* What an allocation found exhausted. */
enum mm_oom_cause {
	MM_OOM_POOL,        /* the pool, with the paging device full */
	MM_OOM_HOST_FRAMES, /* host frames outside the pool (nested tables) */
};
/*
 * The VM to stop when an allocation fails even after reclaim: the one that
 * holds the most of what ran out: for MM_OOM_POOL the largest footprint,
 * for MM_OOM_HOST_FRAMES the most table_frames. Ties go to the highest VM
 * id. NULL if no VM holds any.
 */
struct mm_vm *mm_oom_victim(struct mm *mm, enum mm_oom_cause cause);

/* ---- statistics (mm/stats.c) ---- */

/* Fill the guest-visible statistics of vm (hypercalls/exits left 0). */
void mm_vm_stats(struct mm_vm *vm, struct hv_vm_stats *out);
/*
 * The same in parts: mm_vm_count_pages() adds the pages of gfns [from,
 * from + budget) to pages[state][enum mm_hs] (in table mode the states are
 * the table's bytes) and returns the gfn to go on from, vm's number of gfns
 * when done; without a table, from 0 it copies the counts kept, in one call.
 * mm_vm_stats_of() then fills out with those page counts and the counters.
 */
uint64_t mm_vm_count_pages(struct mm_vm *vm, uint64_t from, uint64_t budget, uint64_t pages[4][3]);
void mm_vm_stats_of(struct mm_vm *vm, const uint64_t pages[4][3], struct hv_vm_stats *out);
/* The 4 x 3 page table [state][enum mm_hs] of a VM (table mode: reads the table). */
void mm_vm_pages(struct mm_vm *vm, uint64_t pages[4][3]);
/* Format a 4 x 3 table as s390 printed it into buf. Returns snprintf's count. */
int mm_format_pages(const uint64_t pages[4][3], char *buf, size_t len);
/* Format the table of one VM, or of all VMs when vm == NULL. */
int mm_format_table(struct mm *mm, struct mm_vm *vm, char *buf, size_t len);
/* Format counters as "name value" lines. */
int mm_format_counters(const struct mm_counters *c, char *buf, size_t len);

/* ---- invariants (mm/check.c) ---- */

/*
 * Check every invariant of mm and its VMs (O(frames + gfns)). Returns 0, or
 * -1 with a reason in why (may be NULL).
 */
int mm_check(struct mm *mm, char *why, size_t len);

/* ---- paging device (mm/swap.c) ---- */

/* Counted wrappers around dev->ops. */
int swap_write(struct swap_dev *dev, uint32_t *slot, const void *page);
int swap_read(struct swap_dev *dev, uint32_t slot, void *page);
void swap_free(struct swap_dev *dev, uint32_t slot);
/* Free slots: how many page-outs can still succeed (UINT64_MAX: not known). */
uint64_t swap_room(const struct swap_dev *dev);

/* Host-memory backend: slots carved out of one caller buffer. */
struct swap_mem {
	struct swap_dev dev;
	uint8_t *data;       /* nslots * PAGE_SIZE, or NULL when counting only */
	uint32_t *stack;     /* free slot stack */
	uint8_t *inuse;      /* bitmap */
	uint32_t nslots, nfree;
};
/* Bytes swap_mem_init() needs; store = false keeps no page data (simulation). */
size_t swap_mem_bytes_needed(uint32_t nslots, bool store);
/* Set up sm over buf (8-byte aligned); sm->dev is the device. 0 or -EINVAL. */
int swap_mem_init(struct swap_mem *sm, void *buf, size_t len, uint32_t nslots, bool store);

#endif /* HV_MM_H */
