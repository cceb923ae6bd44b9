/* SPDX-License-Identifier: MIT */
/*
 * vblk-table: the virtio-blk rings and the shared state table may not
 * overlap. The device writes the used ring with plain stores, while the
 * host changes table bytes only by CAS (ABI §6). A table registered over
 * the queue gets HV_EFAULT (the device keeps working); a queue set up on the
 * registered table stops the VM with a message (tests/guest/vblk-table/expect).
 */
#include "hvtest.h"
#include "vblk.h"

const char test_title[] = "vblk-table: no state table on the virtio ring, no ring on the table";

static uint8_t buf[512] __attribute__((aligned(512)));
static struct vblk blk;

void test_main(void)
{
	int64_t r;

	vblk_init(&blk);
	if (vblk_rw(&blk, VBLK_T_IN, 0, buf, sizeof(buf)) != VBLK_S_OK)
		test_end(TEST_ERROR, "virtio-blk read failed before the test");
	r = (int64_t)hypercall(HV_HC_REGISTER_TABLE, blk.ring, ram_frames(), 0, 0);
	if (r == -HV_EFAULT)
		gprintf("register_table over the ring: refused with HV_EFAULT\n");
	else
		test_fail("register_table over the ring returned %ld, not -HV_EFAULT", r);
	table_register();
	if (vblk_rw(&blk, VBLK_T_IN, 1, buf, sizeof(buf)) == VBLK_S_OK)
		gprintf("device still works with the table registered elsewhere\n");
	else
		test_fail("virtio-blk read failed after the table was registered");
	gprintf("queue onto the state table at %p: the VM must be stopped now\n", (void *)hv_table);
	outl((uint16_t)(blk.io + VIO_QUEUE_PFN), (uint32_t)((uint64_t)hv_table >> PAGE_SHIFT));
	test_end(TEST_FAILURE, "the device accepted a queue on the state table");
}
