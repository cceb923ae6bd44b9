/* SPDX-License-Identifier: MIT */
/*
 * vblk-ring: one QUEUE_NOTIFY must not let a guest keep the hypervisor
 * busy. (a) A read whose data lands on the avail ring header, with a disk
 * sector crafted so that avail->idx falls behind the device's index again,
 * used to loop ~65,535 times over a 1 MiB request in one exit: buffers
 * that overlap the ring now get VIRTIO_BLK_S_IOERR and nothing is written.
 * (b) Many valid requests are served in bounded batches, not all in the
 * notify's exit, and all of them complete with the right data.
 */
#include "hvtest.h"
#include "vblk.h"
#include <string.h>

const char test_title[] = "vblk-ring: transfers into the ring refused, work per exit bounded";

#define EVIL_SECTOR 2048 /* at 1 MiB: away from the data of part (b) */
#define BIG_SEGS 16
#define BIG_SEG 65536
#define NREQ 40
#define REQ_BYTES 16384

static uint8_t big[BIG_SEGS * BIG_SEG] __attribute__((aligned(4096)));
static uint8_t sector_buf[512] __attribute__((aligned(512)));
static struct vblk_hdr hdrs[NREQ];
static volatile uint8_t status[NREQ];
static struct vblk blk;

static uint8_t pattern(uint64_t byte)
{
	return (uint8_t)(byte * 7 + (byte >> 12) * 13 + 1);
}

static void ring_overlap(void)
{
	uint16_t *w = (uint16_t *)sector_buf, head = 0, used0, avail0;
	unsigned int d = 0;

	/* Disk content that, written over the avail header, sets avail->idx
	 * to the slot of the request itself and every slot to that request. */
	w[0] = 0;
	w[1] = (uint16_t)(blk.avail_idx + 1); /* the OUT below takes one slot first */
	for (unsigned int i = 2; i < 256; i++)
		w[i] = head;
	EXPECT_EQ(vblk_rw(&blk, VBLK_T_OUT, EVIL_SECTOR, sector_buf, 512), VBLK_S_OK);

	hdrs[0] = (struct vblk_hdr){ VBLK_T_IN, 0, EVIL_SECTOR };
	status[0] = 0xff;
	vblk_set_desc(&blk, d, (uint64_t)&hdrs[0], sizeof(hdrs[0]), VBLK_F_NEXT, (uint16_t)(d + 1));
	d++;
	vblk_set_desc(&blk, d, blk.ring + VBLK_AVAIL_OFF, 512, VBLK_F_WRITE | VBLK_F_NEXT,
		      (uint16_t)(d + 1));
	d++;
	for (unsigned int s = 0; s < BIG_SEGS; s++, d++)
		vblk_set_desc(&blk, d, (uint64_t)big + s * BIG_SEG, BIG_SEG,
			      VBLK_F_WRITE | VBLK_F_NEXT, (uint16_t)(d + 1));
	vblk_set_desc(&blk, d, (uint64_t)&status[0], 1, VBLK_F_WRITE, 0);

	used0 = vblk_used_idx(&blk);
	vblk_push(&blk, head);
	avail0 = blk.avail[1];
	do
		vblk_notify(&blk);
	while (vblk_used_idx(&blk) == used0);
	EXPECT_EQ(status[0], VBLK_S_IOERR);
	EXPECT_EQ(vblk_used_idx(&blk), (uint16_t)(used0 + 1));
	EXPECT_EQ(blk.avail[1], avail0);

	/* Reading ring memory (an OUT from the used ring) is harmless: allowed. */
	EXPECT_EQ(vblk_rw(&blk, VBLK_T_OUT, EVIL_SECTOR, (void *)(blk.ring + VBLK_USED_OFF), 512),
		  VBLK_S_OK);
}

static void batches(void)
{
	uint16_t used0, done;
	unsigned int bad = 0;

	for (uint64_t i = 0; i < NREQ * REQ_BYTES; i++)
		big[i] = pattern(i);
	for (unsigned int k = 0; k < NREQ * REQ_BYTES / BIG_SEG; k++)
		EXPECT_EQ(vblk_rw(&blk, VBLK_T_OUT, k * (BIG_SEG / 512), big + k * BIG_SEG, BIG_SEG),
			  VBLK_S_OK);
	memset(big, 0, sizeof(big));

	used0 = vblk_used_idx(&blk);
	for (unsigned int r = 0; r < NREQ; r++)
		vblk_request(&blk, 3 * r, &hdrs[r], VBLK_T_IN, r * (REQ_BYTES / 512),
			     (uint64_t)big + r * REQ_BYTES, REQ_BYTES, &status[r]);
	vblk_notify(&blk);
	done = (uint16_t)(vblk_used_idx(&blk) - used0);
	gprintf("%u of %u requests done when the notify returned\n", done, NREQ);
	EXPECT(done > 0 && done < NREQ);
	while ((uint16_t)(vblk_used_idx(&blk) - used0) != NREQ)
		vblk_notify(&blk);
	for (unsigned int r = 0; r < NREQ; r++)
		EXPECT_EQ(status[r], VBLK_S_OK);
	for (uint64_t i = 0; i < NREQ * REQ_BYTES; i++)
		bad += big[i] != pattern(i);
	EXPECT_EQ(bad, 0);
}

void test_main(void)
{
	vblk_init(&blk);
	if (blk.capacity < EVIL_SECTOR + 1 + BIG_SEGS * BIG_SEG / 512)
		test_end(TEST_ERROR, "disk too small");
	ring_overlap();
	batches();
}
