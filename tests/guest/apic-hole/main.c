/* SPDX-License-Identifier: MIT */
/*
 * apic-hole: a guest with more than 4 GiB of RAM (tests/isolation.cfg gives
 * it 5 GiB, populated lazily) has the local APIC page at 0xfee00000 as a
 * hole in its RAM (ABI §8). The APIC stays the APIC even when the guest
 * names that page as a hypercall buffer: such calls fail with EFAULT and
 * must not map RAM over the APIC. RAM on either side of the hole is RAM.
 */
#include "hvtest.h"

const char test_title[] = "apic-hole: the APIC page is a RAM hole, host touches keep the APIC";

#define APIC_GPA 0xfee00000ULL
#define APIC_VERSION 0x30
#define APIC_TPR 0x80

static volatile uint32_t *apic_reg(unsigned int off)
{
	return (volatile uint32_t *)(APIC_GPA + off);
}

void test_main(void)
{
	volatile uint64_t *below = (volatile uint64_t *)(APIC_GPA - PAGE_SIZE);
	volatile uint64_t *above = (volatile uint64_t *)(APIC_GPA + PAGE_SIZE);
	uint64_t frames = ram_frames(), tpages = (frames + PAGE_SIZE - 1) >> PAGE_SHIFT;
	uint32_t ver;
	int64_t r;

	if (start_info->mem_bytes <= APIC_GPA + 2 * PAGE_SIZE)
		test_end(TEST_ERROR, "needs more than 4 GiB of RAM");
	ver = *apic_reg(APIC_VERSION);
	gprintf("APIC version register %#x\n", ver);
	EXPECT((ver & 0xff) != 0);
	*apic_reg(APIC_TPR) = 0x20;
	EXPECT_EQ(*apic_reg(APIC_TPR), 0x20);

	r = (int64_t)hypercall(HV_HC_GET_STATS, APIC_GPA, 64, 0, 0);
	EXPECT_EQ(r, -HV_EFAULT);
	r = (int64_t)hypercall(HV_HC_SET_BATCH_STATE, APIC_GPA, 1, 0, 0);
	EXPECT_EQ(r, -HV_EFAULT);
	r = (int64_t)hypercall(HV_HC_REGISTER_VE_AREA, APIC_GPA + 0x40, 0, 0, 0);
	EXPECT_EQ(r, -HV_EFAULT);
	r = (int64_t)hypercall(HV_HC_REGISTER_TABLE, APIC_GPA - (tpages / 2) * PAGE_SIZE, frames, 0,
			       0);
	EXPECT_EQ(r, -HV_EFAULT);

	/* Still the APIC, not a page of RAM mapped behind the guest's back. */
	EXPECT_EQ(*apic_reg(APIC_VERSION), ver);
	EXPECT_EQ(*apic_reg(APIC_TPR), 0x20);
	*apic_reg(APIC_TPR) = 0;
	EXPECT_EQ(*apic_reg(APIC_TPR), 0);

	/* RAM right below and above the hole. */
	*below = 0x1122334455667788ULL;
	*above = 0x8877665544332211ULL;
	EXPECT_EQ(*below, 0x1122334455667788ULL);
	EXPECT_EQ(*above, 0x8877665544332211ULL);
	r = (int64_t)hypercall(HV_HC_GET_STATS, APIC_GPA + PAGE_SIZE, 64, 0, 0);
	EXPECT_EQ(r, 64);
	EXPECT_EQ(*apic_reg(APIC_VERSION), ver);
}
