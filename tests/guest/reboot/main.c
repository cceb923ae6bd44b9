/* SPDX-License-Identifier: MIT */
/*
 * reboot: a reset the guest requests restarts the VM from its images
 * (on_reset=restart, the default). The boot count lives where a PC keeps
 * things across a reset, on its disk (virtio-blk sector 0). Boots 1, 2 and
 * 3 leave state behind everywhere (a .data variable, a RAM page, a page
 * hint, the registered state table and #VE area, MISC_ENABLE, TSC_ADJUST,
 * the local APIC in x2APIC mode, the virtio queue, the PM timer far from 0)
 * and reset through port 0xcf9, port 0x92 and the keyboard controller in
 * turn; boots 2 to 4 check that all of it is as at power-on, boot 4 ends
 * the test. The expect file also checks the hypervisor's restart lines.
 */
#include "apic.h"
#include "hvtest.h"
#include "vblk.h"
#include <string.h>

const char test_title[] = "reboot: a reset restarts the VM from its images, as at power-on";

#define MAGIC 0x31544252u /* "RBT1" */
#define DATA_INIT 0x5eed1234u
#define MSR_TSC_ADJUST 0x3b
#define MSR_MISC_ENABLE 0x1a0
#define MISC_LIMIT_CPUID (1ULL << 22)
#define PM_TMR 0x608
#define PCI_ADDR 0xcf8
#define PCI_DATA 0xcfc
#define LAST_BOOT 4

static volatile uint32_t data_marker = DATA_INIT; /* .data: the image's value */
static volatile uint32_t bss_marker;              /* .bss: zero */
static struct hv_ve_info my_ve_area __attribute__((aligned(64)));
static uint8_t sector[4096] __attribute__((aligned(4096)));
static struct vblk blk;

static uint32_t pci_read(unsigned int dev, unsigned int off)
{
	outl(PCI_ADDR, 0x80000000u | dev << 11 | (off & 0xfc));
	return inl(PCI_DATA);
}

static void pci_write(unsigned int dev, unsigned int off, uint32_t v)
{
	outl(PCI_ADDR, 0x80000000u | dev << 11 | (off & 0xfc));
	outl(PCI_DATA, v);
}

/* The last page of RAM and the one below it: far from the image. */
static uint64_t far_gfn(void)
{
	return ram_frames() - 1;
}

/* Boots 2..: what the last boot changed is back to its power-on state. */
static void check_fresh(unsigned int boot, uint32_t pm0, uint64_t tsc0)
{
	uint32_t r[4], thz;
	uint64_t misc = rdmsr(MSR_MISC_ENABLE), lim;
	volatile uint64_t *far = gfn_ptr(far_gfn());
	unsigned int dirty = 0;

	/* vCPU: MSRs at their reset values; CPUID leaf 0x15 is shown again. */
	EXPECT_EQ(misc, 0x1801);
	EXPECT_EQ(rdmsr(MSR_TSC_ADJUST), 0);
	EXPECT_EQ(rdmsr(MSR_APIC_BASE), APIC_DEFAULT | APIC_BASE_EN | APIC_BASE_BSP);
	EXPECT_EQ(apic_rd(APIC_TPR), 0);
	cpuid(0x15, &r[0], &r[1], &r[2], &r[3]);
	thz = r[2];
	/* The PM timer counts from 0 at power-on, just before the first
	 * instruction (the bound of pc-timers: TSC since then + 0.29 s). */
	lim = thz ? (uint64_t)((unsigned __int128)(tsc0 - boot_tsc) * 3579545 / thz) + (1u << 20) : 0;
	if (pm0 > lim)
		test_fail("PM timer %#x at boot %u, more than %#lx after power-on", pm0, boot, lim);
	/* The image is loaded afresh, the rest of RAM is zero, hints gone. */
	EXPECT_EQ(data_marker, DATA_INIT);
	EXPECT_EQ(bss_marker, 0);
	for (unsigned int i = 0; i < WORDS_PER_PAGE; i++)
		dirty += far[i] != 0;
	EXPECT_EQ(dirty, 0);
	EXPECT_EQ(hv_get_state(far_gfn() - 1) & 3, HV_PAGE_STABLE);
	/* No #VE area is registered (the state table: dirty_everything()). */
	EXPECT_EQ(hypercall(HV_HC_REGISTER_VE_AREA, (uint64_t)&my_ve_area, 0, 0, 0), 0);
	if (test_failures())
		test_end(TEST_FAILURE, "state of the last boot survived the reset");
	gprintf("boot %u: as at power-on (PM timer %#x at the first read)\n", boot, pm0);
}

/* Leave state behind everywhere a reset must clear it. */
static void dirty_everything(unsigned int boot)
{
	volatile uint64_t *far = gfn_ptr(far_gfn());

	data_marker = 0xdead0000u | boot;
	bss_marker = boot;
	for (unsigned int i = 0; i < WORDS_PER_PAGE; i++)
		far[i] = 0x0123456789abcdefULL ^ i;
	EXPECT_EQ(hv_set_state(far_gfn() - 1, HV_PAGE_UNUSED) & 3, HV_PAGE_STABLE);
	if (boot == 1)
		EXPECT_EQ(hypercall(HV_HC_REGISTER_VE_AREA, (uint64_t)&my_ve_area, 0, 0, 0), 0);
	EXPECT_EQ((int64_t)hypercall(HV_HC_REGISTER_VE_AREA, (uint64_t)&my_ve_area, 0, 0, 0),
		  -HV_EBUSY);
	table_register();
	wrmsr(MSR_MISC_ENABLE, rdmsr(MSR_MISC_ENABLE) | MISC_LIMIT_CPUID);
	wrmsr(MSR_TSC_ADJUST, 0x100000);
	apic_wr(APIC_TPR, 0x20);
	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_EXTD); /* x2APIC */
	/* The PM timer well away from 0: 2^22 ticks, 1.17 s. */
	while (inl(PM_TMR) < (1u << 22))
		asm volatile("pause");
	if (test_failures())
		test_end(TEST_FAILURE, "could not set up the state to reset");
}

void test_main(void)
{
	uint32_t pm0 = inl(PM_TMR), cmd, status, pfn;
	uint64_t tsc0 = rdtsc();
	struct {
		uint32_t magic, boots;
	} *rec = (void *)sector;
	unsigned int boot;
	uint16_t io;

	/* The virtio disk as the last boot left it (vblk_init() resets it):
	 * from boot 2 on it must be as at power-on, decode off, status 0, no
	 * queue. Then the boot count from its sector 0. */
	if (pci_read(1, 0) != 0x10011af4u)
		test_end(TEST_ERROR, "no virtio-blk disk: the boot count needs one");
	cmd = pci_read(1, 0x04);
	pci_write(1, 0x04, cmd | 1);
	io = (uint16_t)(pci_read(1, 0x10) & 0xfffc);
	status = inb((uint16_t)(io + VIO_STATUS));
	pfn = inl((uint16_t)(io + VIO_QUEUE_PFN));
	vblk_init(&blk);
	EXPECT_EQ(vblk_rw(&blk, VBLK_T_IN, 0, sector, 512), VBLK_S_OK);
	boot = rec->magic == MAGIC ? rec->boots + 1 : 1;
	if (boot > LAST_BOOT)
		test_end(TEST_ERROR, "the disk says this VM booted more often than the test resets it");
	if (boot > 1 && ((cmd & 7) || status || pfn))
		test_fail("virtio-blk after the reset: command %#x, status %#x, queue pfn %#x", cmd,
			  status, pfn);
	rec->magic = MAGIC;
	rec->boots = boot;
	EXPECT_EQ(vblk_rw(&blk, VBLK_T_OUT, 0, sector, 512), VBLK_S_OK);
	if (boot > 1)
		check_fresh(boot, pm0, tsc0);
	if (boot == LAST_BOOT)
		test_end(test_failures() ? TEST_FAILURE : TEST_SUCCESS, NULL);
	dirty_everything(boot);
	if (boot == 1) {
		gprintf("boot 1: resetting through port 0xcf9\n");
		outb(0xcf9, 0x06);
	} else if (boot == 2) {
		gprintf("boot 2: resetting through port 0x92\n");
		outb(0x92, inb(0x92) | 1);
	} else {
		gprintf("boot 3: resetting through the keyboard controller\n");
		outb(0x64, 0xfe);
	}
	test_end(TEST_FAILURE, "still running after the reset request");
}
