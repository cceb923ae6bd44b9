/* SPDX-License-Identifier: MIT */
/*
 * Private to mm/: bit layout of frame-table entries and pool frames, the
 * shared-table accessors and the functions the files of mm/ share.
 * Same three builds as mm/mm.h; everything runs under the caller's mm lock.
 */
#ifndef HV_MM_INTERNAL_H
#define HV_MM_INTERNAL_H

#include "mm.h"

/*
 * Frame-table entry, one uint64_t per gfn (8 bytes; the LRU links live in the
 * pool's struct mm_frame, so only resident pages pay for them):
 *   bits  0..31  REF   pool index if RESIDENT, paging slot if PRESERVED, else 0
 *   bits 32..33  GS    guest state HV_PAGE_* (as last seen, in table mode)
 *   bits 34..35  HS    host state enum mm_hs
 *   bit  36      DISC  volatile content dropped; the next access is a discard fault
 *   bit  37      DCLR  the D bit was cleared after the current hint, so "clean"
 *                      means "not written since the hint"
 *   bit  38      OBS   table hint first seen in the running reclaim pass; the
 *                      page may not be a victim before that pass's INVEPT
 *   bits 40..43  PIN   pin count
 * All zero = STABLE, ZERO, never touched: a fresh table is a memset.
 */
#define ENT_REF_MASK 0xffffffffULL
#define ENT_GS_SHIFT 32
#define ENT_GS_MASK (3ULL << ENT_GS_SHIFT)
#define ENT_HS_SHIFT 34
#define ENT_HS_MASK (3ULL << ENT_HS_SHIFT)
#define ENT_DISC (1ULL << 36)
#define ENT_DCLR (1ULL << 37)
#define ENT_OBS (1ULL << 38)
#define ENT_PIN_SHIFT 40
#define ENT_PIN_MASK (0xfULL << ENT_PIN_SHIFT)

/* struct mm_frame.word and .owner */
#define FR_HFN_MASK ((1ULL << 52) - 1)
#define FR_LIST_SHIFT 56
#define FR_LIST_MASK (7ULL << FR_LIST_SHIFT)
#define FR_OWNER_GFN_MASK ((1ULL << 48) - 1)
#define FR_OWNER_VM_SHIFT 48

/* List ids; the first three index mm->lists. */
#define FR_FREE 0
#define FR_ACTIVE 1
#define FR_INACTIVE 2
#define FR_NONE 3   /* in use and on no list: pinned, or isolated by reclaim */
#define FR_UNSET 4  /* storage not yet given a host frame */

/* Shared table byte: HV_PAGE_* in bits 1..0, HV_TABLE_DISCARDED for V and P. */
#define TBL_STATE_MASK HV_PAGE_STATE_MASK

static inline unsigned int ent_gs(uint64_t e) { return (unsigned int)((e & ENT_GS_MASK) >> ENT_GS_SHIFT); }
static inline unsigned int ent_hs(uint64_t e) { return (unsigned int)((e & ENT_HS_MASK) >> ENT_HS_SHIFT); }
static inline uint32_t ent_ref(uint64_t e) { return (uint32_t)(e & ENT_REF_MASK); }
static inline unsigned int ent_pins(uint64_t e) { return (unsigned int)((e & ENT_PIN_MASK) >> ENT_PIN_SHIFT); }

static inline uint64_t ent_with_gs(uint64_t e, unsigned int gs)
{
	return (e & ~ENT_GS_MASK) | ((uint64_t)gs << ENT_GS_SHIFT);
}

/* New host state and reference; ref is ignored for ZERO. */
static inline uint64_t ent_with_hs(uint64_t e, unsigned int hs, uint32_t ref)
{
	e &= ~(ENT_HS_MASK | ENT_REF_MASK);
	if (hs != MM_HS_ZERO)
		e |= ref;
	return e | ((uint64_t)hs << ENT_HS_SHIFT);
}

/* Store entry g, keeping vm->pages[][] in step with its (gs, hs). */
static inline void ent_store(struct mm_vm *vm, uint64_t g, uint64_t ne)
{
	uint64_t oe = vm->ent[g];

	if ((oe ^ ne) & (ENT_GS_MASK | ENT_HS_MASK)) {
		vm->pages[ent_gs(oe)][ent_hs(oe)]--;
		vm->pages[ent_gs(ne)][ent_hs(ne)]++;
	}
	vm->ent[g] = ne;
}

static inline unsigned int fr_list(const struct mm_frame *f)
{
	return (unsigned int)((f->word & FR_LIST_MASK) >> FR_LIST_SHIFT);
}

static inline void fr_set_list(struct mm_frame *f, unsigned int l)
{
	f->word = (f->word & ~FR_LIST_MASK) | ((uint64_t)l << FR_LIST_SHIFT);
}

static inline hfn_t fr_hfn(const struct mm_frame *f) { return _hfn(f->word & FR_HFN_MASK); }
static inline uint64_t fr_gfn(const struct mm_frame *f) { return f->owner & FR_OWNER_GFN_MASK; }
static inline unsigned int fr_vm(const struct mm_frame *f) { return (unsigned int)(f->owner >> FR_OWNER_VM_SHIFT); }

/* Table mode for gfn g? (The guest may register a table shorter than RAM.) */
static inline bool tbl_has(const struct mm_vm *vm, uint64_t g)
{
	return vm->table_nr != 0 && g < vm->table_nr;
}

/* The table byte of g: contiguous, or one host page per 4096 gfns. */
static inline uint8_t *tbl_ptr(const struct mm_vm *vm, uint64_t g)
{
	return vm->table ? &vm->table[g] : &vm->table_pages[g >> PAGE_SHIFT][g & (PAGE_SIZE - 1)];
}

/* One atomic read of a table byte: the guest may change it at any time. */
static inline uint8_t tbl_load(const struct mm_vm *vm, uint64_t g)
{
	return __atomic_load_n(tbl_ptr(vm, g), __ATOMIC_ACQUIRE);
}

/* Compare-and-swap a table byte; true if it held expect and now holds desired. */
static inline bool tbl_cas(struct mm_vm *vm, uint64_t g, uint8_t expect, uint8_t desired)
{
	return __atomic_compare_exchange_n(tbl_ptr(vm, g), &expect, desired, false, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}

/* Guest state a table byte stands for: anything malformed reads as STABLE. */
static inline unsigned int tbl_state(uint8_t b)
{
	if (b <= HV_PAGE_POT_VOLATILE)
		return b;
	if (b == (HV_TABLE_DISCARDED | HV_PAGE_VOLATILE) || b == (HV_TABLE_DISCARDED | HV_PAGE_POT_VOLATILE))
		return b & TBL_STATE_MASK;
	return HV_PAGE_STABLE;
}

static inline bool tbl_discarded(uint8_t b)
{
	return tbl_state(b) != HV_PAGE_STABLE && (b & HV_TABLE_DISCARDED);
}

/* Count an event for the VM and in the global total. */
#define MM_COUNT(vm, field, n)                                                                     \
	do {                                                                                        \
		(vm)->cnt.field += (n);                                                             \
		(vm)->mm->cnt.field += (n);                                                         \
	} while (0)

/* pool.c */
uint32_t mm_pool_get(struct mm *mm);
void mm_pool_put(struct mm *mm, uint32_t idx);
void *mm_pool_ptr(struct mm *mm, uint32_t idx);

/* reclaim.c */
bool reclaim_futile(const struct mm *mm);

/* lru.c */
void lru_add(struct mm *mm, unsigned int list, uint32_t idx, bool at_head);
void lru_del(struct mm *mm, uint32_t idx);
void lru_move(struct mm *mm, unsigned int list, uint32_t idx, bool at_head);

/* frame_table.c */
void ft_set_owner(struct mm *mm, uint32_t idx, const struct mm_vm *vm, uint64_t g);
unsigned int ft_refresh_gs(struct mm_vm *vm, uint64_t g, uint8_t *raw);
void ft_make_stable(struct mm_vm *vm, uint64_t g, uint8_t raw);

/* fault.c */
uint64_t hs_to_abi(unsigned int hs);

#endif /* HV_MM_INTERNAL_H */
