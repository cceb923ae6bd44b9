/* SPDX-License-Identifier: MIT */
/* Shared fixture of the mm unit tests: see mm_test.h. */
#include <check.h>

#include "mm/internal.h"
#include "tests/unit/mm_test.h"

struct fake_world w;
struct fake_vm *fv;

void check_ok(void)
{
	char why[256];

	ck_assert_msg(mm_check(&w.mm, why, sizeof(why)) == 0, "mm_check: %s", why);
}

void world(uint32_t frames, uint32_t slots, uint64_t gfns)
{
	struct fake_world_cfg cfg = { .host_frames = frames, .swap_slots = slots, .store = true,
				      .nvms = 1, .gfns = gfns };

	ck_assert_int_eq(fake_world_init(&w, &cfg), 0);
	fv = &w.vms[0];
	check_ok();
}

void put(uint64_t g, uint64_t v)
{
	ck_assert_int_eq(fake_access(fv, g, true, &v), FAKE_OK);
}

uint64_t get(uint64_t g)
{
	uint64_t v = 0;

	ck_assert_int_eq(fake_access(fv, g, false, &v), FAKE_OK);
	return v;
}

unsigned int hs_of(uint64_t g)
{
	return ent_hs(fv->vm.ent[g]);
}

unsigned int gs_of(uint64_t g)
{
	return ent_gs(fv->vm.ent[g]);
}

void evict(uint64_t g)
{
	for (int i = 0; i < 20 && hs_of(g) == MM_HS_RESIDENT; i++)
		mm_reclaim(&w.mm, w.host_frames);
	ck_assert_uint_ne(hs_of(g), MM_HS_RESIDENT);
}

uint64_t peek(uint64_t g)
{
	uint64_t e = fv->vm.ent[g];

	if (ent_hs(e) == MM_HS_RESIDENT)
		return *(uint64_t *)mm_pool_ptr(&w.mm, ent_ref(e));
	if (ent_hs(e) == MM_HS_PRESERVED)
		return *(uint64_t *)(w.swap.data + (size_t)ent_ref(e) * PAGE_SIZE);
	return 0;
}
