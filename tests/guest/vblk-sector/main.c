/* SPDX-License-Identifier: MIT */
/*
 * vblk-sector: virtio-blk requests beyond the end of the disk fail with
 * VIRTIO_BLK_S_IOERR and leave the buffer alone, however large the sector
 * number (sector * 512 must not wrap around to the start of the disk).
 */
#include "hvtest.h"
#include "vblk.h"
#include <string.h>

const char test_title[] = "vblk-sector: sectors beyond the disk are I/O errors";

static uint8_t buf[4096] __attribute__((aligned(4096)));
static struct vblk blk;

static void expect_ioerr(uint64_t sector, uint32_t len)
{
	uint8_t st;

	memset(buf, 0xa5, sizeof(buf));
	st = vblk_rw(&blk, VBLK_T_IN, sector, buf, len);
	if (st != VBLK_S_IOERR)
		test_fail("read of %u bytes at sector %#lx: status %u, expected IOERR", len, sector,
			  st);
	for (unsigned int i = 0; i < sizeof(buf); i++)
		if (buf[i] != 0xa5) {
			test_fail("read at sector %#lx wrote into the buffer", sector);
			break;
		}
}

void test_main(void)
{
	uint64_t cap;

	vblk_init(&blk);
	cap = blk.capacity;
	gprintf("disk of %lu sectors\n", cap);
	if (cap < 16)
		test_end(TEST_ERROR, "disk too small");
	/* Sector 0 gets a pattern, so that a wrapped read would be visible. */
	memset(buf, 0x5a, sizeof(buf));
	EXPECT_EQ(vblk_rw(&blk, VBLK_T_OUT, 0, buf, 4096), VBLK_S_OK);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(vblk_rw(&blk, VBLK_T_IN, 0, buf, 4096), VBLK_S_OK);
	EXPECT_EQ(buf[4095], 0x5a);
	EXPECT_EQ(vblk_rw(&blk, VBLK_T_IN, cap - 1, buf, 512), VBLK_S_OK);

	expect_ioerr(cap, 512);
	expect_ioerr(cap - 1, 1024);
	expect_ioerr(1ULL << 55, 512);         /* * 512 == 2^64: wraps to 0 */
	expect_ioerr((1ULL << 55) + 1, 512);   /* wraps to sector 1 */
	expect_ioerr(~0ULL, 512);
	expect_ioerr((1ULL << 63) | 2, 4096);
}
