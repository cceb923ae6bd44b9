/* SPDX-License-Identifier: MIT */
/*
 * Doubly linked lists of pool frames through 32-bit indices: the free list
 * and the two LRU lists (active, inactive) shared by all VMs. O(1) each.
 * Policy (what goes where) is in reclaim.c and fault.c. Under the mm lock.
 */
#include "internal.h"

/* Put frame idx (on no list) on list l, at the head (newest) or the tail. */
void lru_add(struct mm *mm, unsigned int l, uint32_t idx, bool at_head)
{
	struct mm_list *ls = &mm->lists[l];
	struct mm_frame *f = &mm->frames[idx];

	fr_set_list(f, l);
	if (at_head) {
		f->prev = MM_NIL;
		f->next = ls->head;
		if (ls->head != MM_NIL)
			mm->frames[ls->head].prev = idx;
		else
			ls->tail = idx;
		ls->head = idx;
	} else {
		f->next = MM_NIL;
		f->prev = ls->tail;
		if (ls->tail != MM_NIL)
			mm->frames[ls->tail].next = idx;
		else
			ls->head = idx;
		ls->tail = idx;
	}
	ls->len++;
}

/* Take frame idx off its list (free, active or inactive); it is then FR_NONE. */
void lru_del(struct mm *mm, uint32_t idx)
{
	struct mm_frame *f = &mm->frames[idx];
	struct mm_list *ls = &mm->lists[fr_list(f)];

	if (f->prev != MM_NIL)
		mm->frames[f->prev].next = f->next;
	else
		ls->head = f->next;
	if (f->next != MM_NIL)
		mm->frames[f->next].prev = f->prev;
	else
		ls->tail = f->prev;
	ls->len--;
	f->prev = f->next = MM_NIL;
	fr_set_list(f, FR_NONE);
}

/* Move frame idx (on a list, or FR_NONE) to list l. */
void lru_move(struct mm *mm, unsigned int l, uint32_t idx, bool at_head)
{
	if (fr_list(&mm->frames[idx]) != FR_NONE)
		lru_del(mm, idx);
	lru_add(mm, l, idx, at_head);
}
