/* SPDX-License-Identifier: MIT */
/*
 * bad-hypercall: unknown numbers, a call from CPL 3 and garbage arguments
 * each get the documented error (guest-abi/ABI.md), and the VM goes on.
 */
#include "hvtest.h"

const char test_title[] = "bad-hypercall: documented errors for bad calls";

#define ERR(e) ((uint64_t)-(int64_t)(e))

static uint8_t page[4096] __attribute__((aligned(4096)));

void test_main(void)
{
	uint64_t ram = start_info->mem_bytes, frames = ram >> 12;
	struct hv_vm_stats st;

	/* Unknown numbers, including 0 and numbers with high bits set. */
	EXPECT_EQ(hypercall(0, 0, 0, 0, 0), ERR(HV_ENOSYS));
	EXPECT_EQ(hypercall(HV_HC_MAX + 1, 0, 0, 0, 0), ERR(HV_ENOSYS));
	EXPECT_EQ(hypercall(1000, 1, 2, 3, 4), ERR(HV_ENOSYS));
	EXPECT_EQ(hypercall(~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL), ERR(HV_ENOSYS));
	EXPECT_EQ(hypercall(1ULL << 32 | HV_HC_GET_VERSION, 0, 0, 0, 0), ERR(HV_ENOSYS));

	/* CPL 3: a valid call is refused; an unknown one is still ENOSYS. */
	user_mode_init();
	EXPECT_EQ(user_vmcall(HV_HC_GET_VERSION, 0, 0, 0), ERR(HV_EPERM));
	EXPECT_EQ(user_vmcall(HV_HC_SET_PAGE_STATE, 300, HV_PAGE_UNUSED, 0), ERR(HV_EPERM));
	EXPECT_EQ(user_vmcall(4242, 0, 0, 0), ERR(HV_ENOSYS));

	/* Garbage arguments. */
	EXPECT_EQ(hypercall(HV_HC_SET_PAGE_STATE, frames, HV_PAGE_UNUSED, 0, 0), ERR(HV_ERANGE));
	EXPECT_EQ(hypercall(HV_HC_SET_PAGE_STATE, ~0ULL, HV_PAGE_UNUSED, 0, 0), ERR(HV_ERANGE));
	EXPECT_EQ(hypercall(HV_HC_SET_PAGE_STATE, 300, 4, 0, 0), ERR(HV_EINVAL));
	EXPECT_EQ(hypercall(HV_HC_SET_PAGE_STATE, 300, ~0ULL, 0, 0), ERR(HV_EINVAL));
	EXPECT_EQ(hypercall(HV_HC_SET_RANGE_STATE, 300, 0, HV_PAGE_UNUSED, 0), ERR(HV_EINVAL));
	EXPECT_EQ(hypercall(HV_HC_SET_RANGE_STATE, 300, frames, HV_PAGE_UNUSED, 0), ERR(HV_ERANGE));
	EXPECT_EQ(hypercall(HV_HC_SET_RANGE_STATE, 300, ~0ULL, HV_PAGE_UNUSED, 0), ERR(HV_ERANGE));
	EXPECT_EQ(hypercall(HV_HC_SET_RANGE_STATE, 300, 1, 9, 0), ERR(HV_EINVAL));
	EXPECT_EQ(hypercall(HV_HC_SET_BATCH_STATE, (uint64_t)page + 8, 1, 0, 0), ERR(HV_EINVAL));
	EXPECT_EQ(hypercall(HV_HC_SET_BATCH_STATE, (uint64_t)page, 0, 0, 0), ERR(HV_EINVAL));
	EXPECT_EQ(hypercall(HV_HC_SET_BATCH_STATE, (uint64_t)page, HV_BATCH_MAX + 1, 0, 0),
		  ERR(HV_EINVAL));
	EXPECT_EQ(hypercall(HV_HC_SET_BATCH_STATE, ram, 1, 0, 0), ERR(HV_EFAULT));
	EXPECT_EQ(hypercall(HV_HC_SET_BATCH_STATE, 0xfee00000, 1, 0, 0), ERR(HV_EFAULT));
	EXPECT_EQ(hypercall(HV_HC_GET_PAGE_STATE, frames, 0, 0, 0), ERR(HV_ERANGE));
	EXPECT_EQ(hypercall(HV_HC_REGISTER_TABLE, (uint64_t)page, frames + 1, 0, 0), ERR(HV_EINVAL));
	EXPECT_EQ(hypercall(HV_HC_REGISTER_TABLE, (uint64_t)page + 1, frames, 0, 0), ERR(HV_EINVAL));
	EXPECT_EQ(hypercall(HV_HC_REGISTER_TABLE, ram, frames, 0, 0), ERR(HV_EFAULT));
	EXPECT_EQ(hypercall(HV_HC_REGISTER_TABLE, ram + (1ULL << 40), frames, 0, 0), ERR(HV_EFAULT));
	EXPECT_EQ(hypercall(HV_HC_REGISTER_VE_AREA, (uint64_t)page + 4, 0, 0, 0), ERR(HV_EINVAL));
	EXPECT_EQ(hypercall(HV_HC_REGISTER_VE_AREA, ram, 0, 0, 0), ERR(HV_EFAULT));
	EXPECT_EQ(hypercall(HV_HC_GET_STATS, (uint64_t)&st, 0, 0, 0), ERR(HV_EINVAL));
	EXPECT_EQ(hypercall(HV_HC_GET_STATS, ram, sizeof(st), 0, 0), ERR(HV_EFAULT));
	EXPECT_EQ(hypercall(HV_HC_GET_STATS, ram - 8, 16, 0, 0), ERR(HV_EFAULT));

	/* And the VM is still in business: a valid call works. */
	EXPECT_EQ(hypercall(HV_HC_GET_STATS, (uint64_t)&st, sizeof(st), 0, 0), sizeof(st));
	EXPECT(st.hypercalls >= 30);
	gprintf("%lu hypercalls so far, %lu exits\n", st.hypercalls, st.exits);
}
