/* SPDX-License-Identifier: MIT */
/*
 * balloon-hostile: a driver of its own for the virtio-balloon (legacy PCI,
 * queues 0 inflate, 1 deflate, 2 stats, 3 reporting) that checks what the
 * device does with good and bad input. A report of resident pages drops
 * them (the host state becomes zero, drops-U counts them, they read back as
 * zeros); reports of ranges outside RAM, across its end, not page aligned,
 * over the state table or over the device's own rings are refused and
 * returned, with nothing dropped and the device still working; a chain
 * mixing good and bad ranges drops only the good one; inflate drops valid
 * PFNs and refuses the others; a report of 64 MiB is not served in the
 * notify's exit alone (work per entry is bounded) but completes; stats
 * buffers that lie (beyond RAM, a partial entry, unknown tags, absurd
 * values) are read and returned without harm. Last, a descriptor chain
 * that loops must stop this VM alone (tests/guest/balloon-hostile/expect).
 *
 * With "halt" on the command line (the VM balloon-halt) it only notifies a
 * 64 MiB report, gives that queue another role by writing other features,
 * and halts with no interrupt source: the device must not keep the host
 * busy for ever with the chain it had begun, and the VM must be stopped
 * as a halted VM no interrupt can wake (tests/guest/balloon-halt/expect).
 */
#include "hvtest.h"
#include "vblk.h" /* the legacy register offsets and struct vblk_desc */
#include <string.h>

const char test_title[] = "balloon-hostile: a hostile virtio-balloon driver";

#define VIO_HOST_FEATURES 0x00
#define VIO_GUEST_FEATURES 0x04
#define VIO_ISR 0x13
#define F_STATS (1u << 1)
#define F_REPORTING (1u << 5)
#define Q_INFLATE 0
#define Q_DEFLATE 1
#define Q_STATS 2
#define Q_REPORT 3
#define NQ 4
#define TARGET_PAGES 16 /* balloon=64K in tests/isolation.cfg */
#define BIG_DESCS 32
#define BIG_DESC_PAGES 512 /* 2 MiB each: 64 MiB, four entries' budget */

struct bq {
	uint64_t ring;
	volatile struct vblk_desc *desc;
	volatile uint16_t *avail, *used;
	uint16_t avail_idx;
};

static uint16_t io;
static struct bq q[NQ];
static uint32_t pfns[16];

static uint32_t pci_read(unsigned int dev, unsigned int off)
{
	outl(0xcf8, 0x80000000u | dev << 11 | (off & 0xfc));
	return inl(0xcfc);
}

static void pci_write(unsigned int dev, unsigned int off, uint32_t v)
{
	outl(0xcf8, 0x80000000u | dev << 11 | (off & 0xfc));
	outl(0xcfc, v);
}

static void balloon_init(void)
{
	unsigned int dev;
	uint32_t f;

	for (dev = 1; dev < 4 && pci_read(dev, 0) != 0x10021af4u; dev++)
		;
	if (dev == 4)
		test_end(TEST_ERROR, "no virtio-balloon device");
	pci_write(dev, 0x04, pci_read(dev, 0x04) | 1);
	io = (uint16_t)(pci_read(dev, 0x10) & 0xfffc);
	outb((uint16_t)(io + VIO_STATUS), 0);
	outb((uint16_t)(io + VIO_STATUS), 1 | 2);
	f = inl((uint16_t)(io + VIO_HOST_FEATURES));
	EXPECT_EQ(f, F_STATS | F_REPORTING);
	outl((uint16_t)(io + VIO_GUEST_FEATURES), F_STATS | F_REPORTING);
	for (unsigned int i = 0; i < NQ; i++) {
		uint64_t gfn = alloc_frames(2);

		outw((uint16_t)(io + VIO_QUEUE_SEL), (uint16_t)i);
		if ((inl((uint16_t)(io + VIO_QUEUE_SIZE)) & 0xffff) != VBLK_QSIZE)
			test_end(TEST_ERROR, "unexpected virtio queue size");
		q[i].ring = gfn << PAGE_SHIFT;
		memset((void *)q[i].ring, 0, 2 * PAGE_SIZE);
		q[i].desc = (volatile struct vblk_desc *)q[i].ring;
		q[i].avail = (volatile uint16_t *)(q[i].ring + VBLK_AVAIL_OFF);
		q[i].used = (volatile uint16_t *)(q[i].ring + VBLK_USED_OFF);
		outl((uint16_t)(io + VIO_QUEUE_PFN), (uint32_t)gfn);
	}
	outw((uint16_t)(io + VIO_QUEUE_SEL), NQ);
	EXPECT_EQ(inl((uint16_t)(io + VIO_QUEUE_SIZE)) & 0xffff, 0); /* no fifth queue */
	outb((uint16_t)(io + VIO_STATUS), 1 | 2 | 4);
	/* Config: num_pages from balloon=, actual is the driver's. */
	EXPECT_EQ(inl((uint16_t)(io + VIO_CONFIG)), TARGET_PAGES);
	outl((uint16_t)(io + VIO_CONFIG + 4), 5);
	EXPECT_EQ(inl((uint16_t)(io + VIO_CONFIG + 4)), 5);
	outl((uint16_t)(io + VIO_CONFIG), 12345); /* num_pages is the host's */
	EXPECT_EQ(inl((uint16_t)(io + VIO_CONFIG)), TARGET_PAGES);
}

static uint16_t used_idx(unsigned int qi)
{
	return __atomic_load_n(&q[qi].used[1], __ATOMIC_ACQUIRE);
}

/* Chain of n descriptors (addr[i], len[i]) at descriptors 0..n-1, published. */
static void post(unsigned int qi, unsigned int n, const uint64_t *addr, const uint32_t *len,
		 uint16_t flags)
{
	struct bq *b = &q[qi];

	for (unsigned int i = 0; i < n; i++) {
		b->desc[i].addr = addr[i];
		b->desc[i].len = len[i];
		b->desc[i].flags = (uint16_t)(flags | (i + 1 < n ? VBLK_F_NEXT : 0));
		b->desc[i].next = (uint16_t)(i + 1);
	}
	b->avail[2 + b->avail_idx % VBLK_QSIZE] = 0;
	b->avail_idx++;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	b->avail[1] = b->avail_idx;
}

static void notify(unsigned int qi)
{
	outw((uint16_t)(io + VIO_QUEUE_NOTIFY), (uint16_t)qi);
}

/* Wait (with an exit per look) until the queue's used index reaches want. */
static void wait_used(unsigned int qi, uint16_t want)
{
	for (unsigned long n = 0; (int16_t)(used_idx(qi) - want) < 0; n++) {
		(void)inb((uint16_t)(io + VIO_ISR));
		if (n == 100000)
			test_end(TEST_FAILURE, "the device never returned a buffer");
	}
}

/* Post, notify, wait until returned. */
static void run(unsigned int qi, unsigned int n, const uint64_t *addr, const uint32_t *len,
		uint16_t flags)
{
	uint16_t want = (uint16_t)(used_idx(qi) + 1);

	post(qi, n, addr, len, flags);
	notify(qi);
	wait_used(qi, want);
}

static void report(uint64_t gpa, uint64_t bytes)
{
	uint32_t len = (uint32_t)bytes;

	run(Q_REPORT, 1, &gpa, &len, VBLK_F_WRITE);
}

static uint64_t drops_u(void)
{
	struct hv_vm_stats st;

	stats_get(&st);
	return st.drops_unused;
}

static void fill(uint64_t first, uint64_t n, uint64_t gen)
{
	for (uint64_t g = first; g < first + n; g++)
		page_fill(g, gen);
}

static bool intact(uint64_t first, uint64_t n, uint64_t gen)
{
	for (uint64_t g = first; g < first + n; g++)
		if (page_diff(g, gen))
			return false;
	return true;
}

static bool zero(uint64_t first, uint64_t n)
{
	for (uint64_t g = first; g < first + n; g++)
		if (!page_is_zero(g))
			return false;
	return true;
}

static void good_report(void)
{
	uint64_t first = alloc_frames(16), d0;

	fill(first, 16, 1);
	d0 = drops_u();
	report(first << PAGE_SHIFT, 16 * PAGE_SIZE);
	EXPECT(range_host_in(first, 16, HOST_ZERO_M));
	EXPECT_EQ(drops_u() - d0, 16);
	EXPECT(zero(first, 16));
	fill(first, 16, 2); /* usable again */
	EXPECT(intact(first, 16, 2));
	if (!test_failures())
		gprintf("report of 16 resident pages: dropped, read back as zeros\n");
}

static void refused_reports(void)
{
	uint64_t mem = start_info->mem_bytes, top = (mem >> PAGE_SHIFT) - 4;
	uint64_t good = alloc_frames(8), d0, tbl_gfn, tbl_pages;
	uint64_t addr[2];
	uint32_t len[2];

	fill(top, 4, 3);
	fill(good, 8, 3);
	table_register();
	tbl_gfn = (uint64_t)hv_table >> PAGE_SHIFT;
	tbl_pages = (ram_frames() + PAGE_SIZE - 1) >> PAGE_SHIFT;
	d0 = drops_u();
	report(mem, 8 * PAGE_SIZE);                      /* beyond RAM */
	report(mem - 4 * PAGE_SIZE, 8 * PAGE_SIZE);      /* across its end */
	report(0x10000000000ull, PAGE_SIZE);             /* far beyond */
	report((good << PAGE_SHIFT) + 8, PAGE_SIZE);     /* not aligned */
	report(good << PAGE_SHIFT, 100);                 /* length not aligned */
	report(tbl_gfn << PAGE_SHIFT, tbl_pages * PAGE_SIZE); /* the state table */
	report((tbl_gfn - 1) << PAGE_SHIFT, 2 * PAGE_SIZE);   /* across its start */
	report(q[Q_REPORT].ring, 2 * PAGE_SIZE);          /* the device's own ring */
	report(q[Q_INFLATE].ring + PAGE_SIZE, 2 * PAGE_SIZE); /* another ring */
	EXPECT_EQ(drops_u() - d0, 0);
	EXPECT(intact(top, 4, 3));
	EXPECT(intact(good, 8, 3));
	EXPECT(range_host_in(tbl_gfn, tbl_pages, HOST_RESIDENT_M));
	EXPECT(tbl_cas(good, HV_PAGE_STABLE, HV_PAGE_STABLE));
	/* A chain of a good and a bad range: only the good one goes. */
	addr[0] = good << PAGE_SHIFT;
	len[0] = 4 * PAGE_SIZE;
	addr[1] = tbl_gfn << PAGE_SHIFT;
	len[1] = PAGE_SIZE;
	run(Q_REPORT, 2, addr, len, VBLK_F_WRITE);
	EXPECT_EQ(drops_u() - d0, 4);
	EXPECT(zero(good, 4));
	EXPECT(intact(good + 4, 4, 3));
	EXPECT(range_host_in(tbl_gfn, tbl_pages, HOST_RESIDENT_M));
	if (!test_failures())
		gprintf("reports beyond RAM, unaligned, on the state table and on the rings: refused, "
			"returned, nothing dropped\n");
}

static void inflate_deflate(void)
{
	uint64_t good = alloc_frames(4), d0;
	uint64_t addr = (uint64_t)pfns;
	uint32_t len;
	unsigned int n = 0;

	fill(good, 4, 4);
	for (unsigned int i = 0; i < 4; i++)
		pfns[n++] = (uint32_t)(good + i);
	pfns[n++] = (uint32_t)(start_info->mem_bytes >> PAGE_SHIFT);  /* beyond RAM */
	pfns[n++] = 0xffffffffu;
	pfns[n++] = (uint32_t)((uint64_t)hv_table >> PAGE_SHIFT);      /* the table */
	pfns[n++] = (uint32_t)(q[Q_STATS].ring >> PAGE_SHIFT);         /* a ring */
	len = n * 4 + 3; /* and a partial PFN at the end */
	d0 = drops_u();
	run(Q_INFLATE, 1, &addr, &len, 0);
	EXPECT_EQ(drops_u() - d0, 4);
	EXPECT(zero(good, 4));
	EXPECT(range_host_in((uint64_t)hv_table >> PAGE_SHIFT, 1, HOST_RESIDENT_M));
	run(Q_DEFLATE, 1, &addr, &len, 0);
	/* The PFN array itself beyond RAM. */
	addr = start_info->mem_bytes - 8;
	len = 64;
	run(Q_INFLATE, 1, &addr, &len, 0);
	EXPECT_EQ(drops_u() - d0, 4);
	if (!test_failures())
		gprintf("inflate: valid PFNs dropped, the others refused; deflate returned\n");
}

/* 64 MiB in one chain: not all in the notify's exit, but all in the end. */
static void bounded_work(void)
{
	uint64_t first = alloc_frames(BIG_DESCS * BIG_DESC_PAGES);
	uint64_t addr[BIG_DESCS];
	uint32_t len[BIG_DESCS];
	uint16_t used0 = used_idx(Q_REPORT), after;

	for (unsigned int i = 0; i < BIG_DESCS; i++) {
		addr[i] = (first + i * BIG_DESC_PAGES) << PAGE_SHIFT;
		len[i] = BIG_DESC_PAGES * PAGE_SIZE;
	}
	post(Q_REPORT, BIG_DESCS, addr, len, VBLK_F_WRITE);
	notify(Q_REPORT);
	after = used_idx(Q_REPORT);
	EXPECT_EQ(after, used0);
	wait_used(Q_REPORT, (uint16_t)(used0 + 1));
	if (!test_failures())
		gprintf("a report of 64 MiB: not done when the notify returned, done later\n");
}

static void lying_stats(void)
{
	static uint8_t lies[3 * 10 + 7];
	uint64_t v, addr;
	uint16_t tag, used0 = used_idx(Q_STATS);
	uint32_t len;

	/* A buffer that runs past the end of RAM: held, not read. */
	addr = start_info->mem_bytes - 10;
	len = 0xffffffffu;
	post(Q_STATS, 1, &addr, &len, 0);
	notify(Q_STATS);
	/* Totals larger than any RAM, free above total, a tag nobody knows,
	 * and a partial entry. It replaces the first, which comes back. */
	tag = 5; /* total */
	v = 1ull << 60;
	memcpy(lies, &tag, 2);
	memcpy(lies + 2, &v, 8);
	tag = 4; /* free */
	v = 1ull << 61;
	memcpy(lies + 10, &tag, 2);
	memcpy(lies + 12, &v, 8);
	tag = 99;
	memcpy(lies + 20, &tag, 2);
	memset(lies + 30, 0xff, 7);
	addr = (uint64_t)lies;
	len = sizeof(lies);
	post(Q_STATS, 1, &addr, &len, 0);
	notify(Q_STATS);
	wait_used(Q_STATS, (uint16_t)(used0 + 1));
	if (!test_failures())
		gprintf("stats buffers that lie: read, held and given back\n");
}

/* Notify a big report, give its queue another role, halt (see the file comment). */
static void halt_mid_report(void)
{
	uint64_t first = alloc_frames(BIG_DESCS * BIG_DESC_PAGES);
	uint64_t addr[BIG_DESCS];
	uint32_t len[BIG_DESCS];

	/* Reporting alone: queue 2 is the reporting queue. */
	outl((uint16_t)(io + VIO_GUEST_FEATURES), F_REPORTING);
	for (unsigned int i = 0; i < BIG_DESCS; i++) {
		addr[i] = (first + i * BIG_DESC_PAGES) << PAGE_SHIFT;
		len[i] = BIG_DESC_PAGES * PAGE_SIZE;
	}
	post(Q_STATS, BIG_DESCS, addr, len, VBLK_F_WRITE);
	notify(Q_STATS);
	/* Both again: queue 2 is the stats queue now, the report half done. */
	outl((uint16_t)(io + VIO_GUEST_FEATURES), F_STATS | F_REPORTING);
	notify(Q_STATS);
	gprintf("a 64 MiB report in flight, the features rewritten; halting\n");
	for (;;)
		asm volatile("sti; hlt" ::: "memory");
}

void test_main(void)
{
	const char *cmd = (const char *)start_info->cmdline_gpa;

	balloon_init();
	if (cmd && strstr(cmd, "halt"))
		halt_mid_report();
	good_report();
	refused_reports();
	inflate_deflate();
	bounded_work();
	lying_stats();
	if (test_failures())
		test_end(TEST_FAILURE, "see above");
	gprintf("all checks passed; a looping descriptor chain now\n");
	q[Q_REPORT].desc[0].addr = q[Q_REPORT].ring;
	q[Q_REPORT].desc[0].len = PAGE_SIZE;
	q[Q_REPORT].desc[0].flags = VBLK_F_NEXT | VBLK_F_WRITE;
	q[Q_REPORT].desc[0].next = 0;
	q[Q_REPORT].avail[2 + q[Q_REPORT].avail_idx % VBLK_QSIZE] = 0;
	q[Q_REPORT].avail_idx++;
	q[Q_REPORT].avail[1] = q[Q_REPORT].avail_idx;
	notify(Q_REPORT);
	(void)inb((uint16_t)(io + VIO_ISR));
	test_end(TEST_FAILURE, "the device served a looping chain");
}
