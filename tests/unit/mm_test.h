/* SPDX-License-Identifier: MIT */
/*
 * Shared fixture of the mm unit tests (tests/unit/test_mm*.c): one fake
 * world with one VM, and the small accessors every suite uses. Every test
 * that uses them starts with world() and ends with fake_world_fini(&w).
 * test_mm_random.c keeps its own world (several VMs, a step counter).
 */
#ifndef HINTVISOR_TESTS_MM_TEST_H
#define HINTVISOR_TESTS_MM_TEST_H

#include <stdint.h>

#include "tests/fakes/fake_arch.h"

/* The world under test and its first VM (set by world()). */
extern struct fake_world w;
extern struct fake_vm *fv;

/* Fails the test when mm_check() finds a broken invariant. */
void check_ok(void);
/* A fresh world: `frames` host frames, `slots` paging slots (with content
 * store), one VM of `gfns` guest frames; fv = that VM; ends with check_ok(). */
void world(uint32_t frames, uint32_t slots, uint64_t gfns);
/* The guest writes / reads the first word of gfn g (faulting as needed). */
void put(uint64_t g, uint64_t v);
uint64_t get(uint64_t g);
/* Host state and cached guest state of gfn g, from the frame table. */
unsigned int hs_of(uint64_t g);
unsigned int gs_of(uint64_t g);
/* Reclaim until g is not resident (fails the test after 20 passes). */
void evict(uint64_t g);
/* The content the host holds for g, resident or preserved, without faulting. */
uint64_t peek(uint64_t g);

#endif
