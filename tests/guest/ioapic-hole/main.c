/* SPDX-License-Identifier: MIT */
/*
 * ioapic-hole: in a guest with more than 4 GiB of RAM (tests/pc.cfg gives
 * it 5 GiB, populated lazily) the I/O APIC page at 0xfec00000 is a hole in
 * RAM like the local APIC page: it answers as the I/O APIC, hypercall
 * buffers there get EFAULT and the host maps no RAM behind it; the pages
 * either side are RAM.
 */
#include "hvtest.h"

const char test_title[] = "ioapic-hole: the I/O APIC page is a RAM hole, RAM either side";

#define IOAPIC_GPA 0xfec00000ULL

static uint32_t io_read(unsigned int reg)
{
	*(volatile uint32_t *)IOAPIC_GPA = reg;
	return *(volatile uint32_t *)(IOAPIC_GPA + 0x10);
}

void test_main(void)
{
	volatile uint64_t *below = (volatile uint64_t *)(IOAPIC_GPA - PAGE_SIZE);
	volatile uint64_t *above = (volatile uint64_t *)(IOAPIC_GPA + PAGE_SIZE);
	int64_t r;

	if (start_info->mem_bytes <= IOAPIC_GPA + 2 * PAGE_SIZE)
		test_end(TEST_ERROR, "needs more RAM than 0xfec02000");
	EXPECT_EQ(io_read(1) & 0xff, 0x11);
	r = (int64_t)hypercall(HV_HC_GET_STATS, IOAPIC_GPA, 64, 0, 0);
	EXPECT_EQ(r, -HV_EFAULT);
	r = (int64_t)hypercall(HV_HC_GET_STATS, IOAPIC_GPA - 32, 64, 0, 0); /* straddles */
	EXPECT_EQ(r, -HV_EFAULT);
	r = (int64_t)hypercall(HV_HC_REGISTER_VE_AREA, IOAPIC_GPA + 0x40, 0, 0, 0);
	EXPECT_EQ(r, -HV_EFAULT);
	/* Still the I/O APIC. */
	EXPECT_EQ(io_read(1) & 0xff, 0x11);
	EXPECT_EQ(io_read(0x10) & (1u << 16), 1u << 16);
	*below = 0x1234567890abcdefULL;
	*above = 0xfedcba0987654321ULL;
	EXPECT_EQ(*below, 0x1234567890abcdefULL);
	EXPECT_EQ(*above, 0xfedcba0987654321ULL);
	gprintf("I/O APIC version %#x at %#lx; RAM at %#lx and %#lx\n", io_read(1), (uint64_t)IOAPIC_GPA,
		(uint64_t)below, (uint64_t)above);
	test_end(test_failures() ? TEST_FAILURE : TEST_SUCCESS, NULL);
}
