/* SPDX-License-Identifier: MIT */
/*
 * virtio-balloon, legacy PCI (see virtio_balloon.h). Queue indices as
 * Linux and QEMU number them: 0 inflate, 1 deflate, then the stats queue if
 * STATS_VQ was negotiated, then the reporting queue if REPORTING was. A
 * notify only marks its queue; chains are served before the vCPU's next
 * entries, at most BALLOON_BUDGET_PAGES pages and BALLOON_BUDGET_CHAINS
 * chains per entry, and a chain too big for one entry is carried on where
 * it stopped. Everything the guest controls is checked: a malformed chain
 * (a loop, an index beyond the ring, more than BALLOON_CHAIN_MAX
 * descriptors) stops the VM, as in virtio-blk; a PFN or range that is not
 * the guest's to give (outside RAM, a hole, the state table, a device's
 * ring, not page aligned) is refused, counted in errors, and its buffer
 * returned like any other; guest statistics are shown as the guest sent
 * them and never used for a decision. While the host is out of memory and
 * takes back paging-device slots part by part, a PFN array or stats buffer
 * that needs a frame is read again before a later entry (-ERESTART), so no
 * entry does more than one part of that.
 */
#include <errcode.h>
#include <hv/dev/virtio_balloon.h>
#include <hv/mem/gmem.h>
#include <hv/vm/vm.h>
#include <string.h>

/* Legacy register offsets in BAR 0 (no MSI-X: the config follows at 0x14). */
#define VIO_HOST_FEATURES 0x00
#define VIO_GUEST_FEATURES 0x04
#define VIO_QUEUE_PFN 0x08
#define VIO_QUEUE_SIZE 0x0c
#define VIO_QUEUE_SEL 0x0e
#define VIO_QUEUE_NOTIFY 0x10
#define VIO_STATUS 0x12
#define VIO_ISR 0x13
#define VIO_CONFIG 0x14 /* struct virtio_balloon_config, little endian */
#define CFG_NUM_PAGES 0
#define CFG_ACTUAL 4
#define CFG_LEN 16      /* num_pages, actual, free_page_hint_cmd_id, poison_val */

#define VIRTIO_BALLOON_F_STATS_VQ (1u << 1)
#define VIRTIO_BALLOON_F_REPORTING (1u << 5)
#define OFFERED (VIRTIO_BALLOON_F_STATS_VQ | VIRTIO_BALLOON_F_REPORTING)
#define ISR_QUEUE 1

#define BALLOON_BUDGET_PAGES 4096u /* 16 MiB dropped or PFNs taken in per entry */
#define BALLOON_BUDGET_CHAINS 32u
#define PFN_BATCH 64u
#define STAT_BYTES 10 /* struct virtio_balloon_stat: le16 tag, le64 value, packed */
#define STATS_MAX 16  /* entries read from a stats buffer */

enum role { R_INFLATE, R_DEFLATE, R_STATS, R_REPORT, R_NONE };

static const char *const role_names[] = { "inflate", "deflate", "stats", "reporting", "none" };

/* What queue idx is, with the features the driver took. */
static enum role role_of(const struct virtio_balloon *b, unsigned int idx)
{
	unsigned int n = 2;

	if (idx < 2)
		return idx == 0 ? R_INFLATE : R_DEFLATE;
	if (b->guest_features & VIRTIO_BALLOON_F_STATS_VQ) {
		if (idx == n)
			return R_STATS;
		n++;
	}
	if ((b->guest_features & VIRTIO_BALLOON_F_REPORTING) && idx == n)
		return R_REPORT;
	return R_NONE;
}

static void signal_used(struct vm *vm, struct virtio_balloon *b)
{
	b->isr |= ISR_QUEUE;
	pci_set_intx(vm, &b->pci, true);
}

/*
 * One step of a reporting descriptor: the range [addr, addr + len), page
 * aligned, checked whole when it starts and then dropped a budget's worth
 * at a time. Returns true while the descriptor has more to do.
 */
static bool report_step(struct vm *vm, struct virtio_balloon *b, const struct virtq_desc *d,
			uint32_t *off, unsigned int *budget)
{
	uint64_t piece;
	int64_t rc;

	if (*off == 0 && ((d->addr | d->len) & (PAGE_SIZE - 1) || gmem_check(vm, d->addr, d->len) ||
			  vm_on_table(vm, d->addr, d->len))) {
		b->errors++;
		return false;
	}
	piece = MIN((uint64_t)d->len - *off, (uint64_t)*budget << PAGE_SHIFT);
	if (!piece)
		return false;
	rc = gmem_discard(vm, d->addr + *off, piece);
	if (rc < 0) {
		b->errors++; /* a device's ring in the range, or out of memory: the rest stays */
		return false;
	}
	b->reported += piece >> PAGE_SHIFT;
	b->dropped += (uint64_t)rc;
	*budget -= (unsigned int)(piece >> PAGE_SHIFT);
	*off += (uint32_t)piece;
	return *off < d->len;
}

/* One step of an inflate or deflate descriptor: up to PFN_BATCH of its
 * 32-bit PFNs (4 KiB pages). Returns true while it has more. */
static bool pfn_step(struct vm *vm, struct virtio_balloon *b, enum role role,
		     const struct virtq_desc *d, uint32_t *off, unsigned int *budget)
{
	uint32_t pfns[PFN_BATCH];
	unsigned int n = (unsigned int)MIN((uint64_t)(d->len - *off) / 4, MIN(PFN_BATCH, *budget));
	int rc;

	if (!n)
		return false;
	rc = gmem_read_or_restart(vm, pfns, d->addr + *off, n * 4);
	if (rc == -ERESTART) {
		*budget = 0; /* slot reclaim goes on: this batch again before a later entry */
		return true;
	}
	if (rc) {
		b->errors++; /* the PFN array itself is not readable guest RAM */
		return false;
	}
	for (unsigned int i = 0; i < n; i++) {
		uint64_t gpa = (uint64_t)pfns[i] << PAGE_SHIFT;
		int64_t dropped;

		if (role == R_DEFLATE) {
			/* Nothing to do: the next access gets a zero page. */
			if (gmem_check(vm, gpa, PAGE_SIZE))
				b->errors++;
			else
				b->deflated++;
			continue;
		}
		dropped = gmem_discard(vm, gpa, PAGE_SIZE);
		if (dropped < 0) {
			b->errors++;
			continue;
		}
		b->inflated++;
		b->dropped += (uint64_t)dropped;
	}
	*budget -= n;
	*off += n * 4;
	return (uint64_t)d->len - *off >= 4;
}

/* Work on the job's chain within *budget; true when the chain is done. */
static bool work(struct vm *vm, struct virtio_balloon *b, enum role role, struct balloon_job *j,
		 unsigned int *budget)
{
	while (j->i < j->nd) {
		bool more;

		if (!*budget)
			return false;
		if (role == R_REPORT)
			more = report_step(vm, b, &j->d[j->i], &j->off, budget);
		else
			more = pfn_step(vm, b, role, &j->d[j->i], &j->off, budget);
		if (vm->state == VM_STOPPED)
			return false; /* host out of memory stopped it */
		if (!more) {
			j->i++;
			j->off = 0;
		}
	}
	return true;
}

/* Read the statistics in the first descriptor of a stats chain. 0, or
 * -ERESTART: nothing read, the chain to be taken again later. */
static int read_stats(struct vm *vm, struct virtio_balloon *b, const struct virtq_desc *d)
{
	uint8_t buf[STATS_MAX * STAT_BYTES];
	size_t n = MIN((size_t)d->len, sizeof(buf));
	int rc;

	n -= n % STAT_BYTES; /* a partial entry at the end: ignored */
	rc = gmem_read_or_restart(vm, buf, d->addr, n);
	if (rc == -ERESTART)
		return rc;
	if (rc) {
		b->errors++;
		return 0;
	}
	for (size_t i = 0; i < n; i += STAT_BYTES) {
		uint16_t tag;
		uint64_t val;

		memcpy(&tag, buf + i, 2);
		memcpy(&val, buf + i + 2, 8);
		if (tag >= BALLOON_NR_STATS)
			continue; /* a tag this device does not know */
		b->guest_stats[tag] = val;
		b->guest_stats_seen |= 1u << tag;
	}
	b->stats_updates++;
	return 0;
}

/*
 * The stats queue: the driver keeps one buffer there, which the device
 * holds until it wants fresh numbers (virtio 1.0 §5.5.6.3). A newer buffer
 * replaces the one held, which goes back at once. Returns false if the VM
 * was stopped.
 */
static bool take_stats(struct vm *vm, struct virtio_balloon *b, unsigned int idx, uint64_t now,
		       unsigned int *chains, bool *used)
{
	struct virtq_desc d[BALLOON_CHAIN_MAX];
	uint16_t head;

	while (*chains && virtq_pop(vm, &b->q[idx], &head) == 1) {
		(*chains)--;
		if (virtq_chain(vm, &b->q[idx], head, d, ARRAY_SIZE(d)) < 0) {
			vm_crash(vm, "virtio-balloon: malformed descriptor chain at head %u on the "
				 "stats queue", head);
			return false;
		}
		if (read_stats(vm, b, &d[0]) == -ERESTART) {
			virtq_unpop(&b->q[idx]); /* slot reclaim goes on: before a later entry */
			return true;
		}
		if (b->stats_held) {
			if (virtq_push(vm, &b->q[idx], b->stats_head, 0))
				return true;
			*used = true;
		}
		b->stats_held = true;
		b->stats_head = head;
		b->stats_due = now + b->stats_period;
	}
	return true;
}

/* Serve queue idx (inflate, deflate, reporting) within the budgets.
 * Returns false if the VM was stopped. */
static bool serve(struct vm *vm, struct virtio_balloon *b, unsigned int idx, enum role role,
		  unsigned int *budget, unsigned int *chains, bool *used)
{
	struct balloon_job *j = &b->job[idx];

	while (*budget) {
		if (!j->busy) {
			uint16_t head;
			int n;

			if (!*chains || virtq_pop(vm, &b->q[idx], &head) != 1)
				return true;
			(*chains)--;
			n = virtq_chain(vm, &b->q[idx], head, j->d, BALLOON_CHAIN_MAX);
			if (n < 0) {
				vm_crash(vm, "virtio-balloon: malformed descriptor chain at head %u on "
					 "the %s queue", head, role_names[role]);
				return false;
			}
			j->busy = true;
			j->head = head;
			j->nd = (uint8_t)n;
			j->i = 0;
			j->off = 0;
		}
		if (!work(vm, b, role, j, budget))
			return vm->state != VM_STOPPED;
		j->busy = false;
		if (role == R_REPORT)
			b->reports++;
		if (virtq_push(vm, &b->q[idx], j->head, 0))
			return true;
		*used = true;
	}
	return true;
}

void virtio_balloon_poll(struct vm *vm, struct virtio_balloon *b, uint64_t now)
{
	unsigned int budget = BALLOON_BUDGET_PAGES, chains = BALLOON_BUDGET_CHAINS;
	bool used = false;

	for (unsigned int idx = 0; idx < BALLOON_QUEUES && b->kicked; idx++) {
		enum role role = role_of(b, idx);
		bool alive;

		if (!(b->kicked & (1u << idx)))
			continue;
		if (role == R_STATS)
			alive = take_stats(vm, b, idx, now, &chains, &used);
		else if (role != R_NONE)
			alive = serve(vm, b, idx, role, &budget, &chains, &used);
		else
			alive = true;
		if (!alive)
			return;
		if (role == R_STATS || role == R_NONE)
			b->job[idx].busy = false; /* a chain left from other features: dropped */
		if (role == R_NONE || (!b->job[idx].busy && !virtq_pending(vm, &b->q[idx])))
			b->kicked &= ~(1u << idx);
	}
	if (b->stats_held && now >= b->stats_due) {
		for (unsigned int idx = 0; idx < BALLOON_QUEUES; idx++) {
			if (role_of(b, idx) != R_STATS)
				continue;
			if (!virtq_push(vm, &b->q[idx], b->stats_head, 0))
				used = true;
		}
		b->stats_held = false;
	}
	if (used)
		signal_used(vm, b);
}

bool virtio_balloon_busy(const struct virtio_balloon *b)
{
	return b->kicked != 0;
}

static void reset_queue(struct vm *vm, struct virtio_balloon *b, unsigned int idx)
{
	virtq_release(vm, &b->q[idx]);
	b->job[idx].busy = false;
	b->kicked &= ~(1u << idx);
}

static void reset(struct vm *vm, struct virtio_balloon *b)
{
	for (unsigned int idx = 0; idx < BALLOON_QUEUES; idx++)
		reset_queue(vm, b, idx);
	b->guest_features = 0;
	b->isr = 0;
	b->stats_held = false;
	pci_set_intx(vm, &b->pci, false);
}

static void config_io(struct virtio_balloon *b, unsigned int off, unsigned int size, bool in,
		      uint32_t *val)
{
	uint8_t cfg[CFG_LEN] = { 0 };

	if (off + size > CFG_LEN)
		return; /* reads: 0 */
	memcpy(cfg + CFG_NUM_PAGES, &b->target, 4);
	memcpy(cfg + CFG_ACTUAL, &b->actual, 4);
	if (in) {
		memcpy(val, cfg + off, size);
		return;
	}
	/* Only actual is the driver's to write (poison_val is not offered). */
	memcpy(cfg + off, val, size);
	memcpy(&b->actual, cfg + CFG_ACTUAL, 4);
}

static void bar_io(struct vm *vm, struct pci_dev *d, uint16_t off, unsigned int size, bool in,
		   uint32_t *val)
{
	struct virtio_balloon *b = d->priv;
	unsigned int sel = b->queue_sel;
	int rc;

	if (off >= VIO_CONFIG) {
		if (in)
			*val = 0;
		config_io(b, off - VIO_CONFIG, size, in, val);
		return;
	}
	if (in) {
		*val = 0;
		switch (off) {
		case VIO_HOST_FEATURES: *val = OFFERED; break;
		case VIO_GUEST_FEATURES: *val = b->guest_features; break;
		case VIO_QUEUE_PFN: *val = sel < BALLOON_QUEUES ? b->q[sel].pfn : 0; break;
		case VIO_QUEUE_SIZE: *val = role_of(b, sel) != R_NONE ? VIRTQ_SIZE : 0; break;
		case VIO_QUEUE_SEL: *val = sel; break;
		case VIO_STATUS: *val = b->status; break;
		case VIO_ISR:
			*val = b->isr;
			b->isr = 0; /* read clears, and lowers INTx */
			pci_set_intx(vm, &b->pci, false);
			break;
		default: break;
		}
		return;
	}
	switch (off) {
	case VIO_GUEST_FEATURES:
		/* The queues' roles follow the features: chains in progress go. */
		b->guest_features = *val & OFFERED;
		for (unsigned int idx = 0; idx < BALLOON_QUEUES; idx++)
			b->job[idx].busy = false;
		break;
	case VIO_QUEUE_PFN:
		if (sel >= BALLOON_QUEUES)
			break;
		reset_queue(vm, b, sel);
		if ((rc = virtq_set(vm, &b->q[sel], *val)))
			vm_crash(vm, "virtio-balloon: queue %u at pfn %#x %s", sel, *val,
				 rc == -EACCES ? "on the page state table" : "outside guest RAM");
		break;
	case VIO_QUEUE_SEL:
		b->queue_sel = (uint16_t)*val;
		break;
	case VIO_QUEUE_NOTIFY:
		if ((uint16_t)*val < BALLOON_QUEUES)
			b->kicked |= 1u << (uint16_t)*val; /* served by virtio_balloon_poll() */
		break;
	case VIO_STATUS:
		b->status = (uint8_t)*val;
		if (!b->status)
			reset(vm, b);
		break;
	default:
		break;
	}
}

int virtio_balloon_init(struct vm *vm, struct virtio_balloon *b, uint32_t target_pages,
			uint64_t stats_period)
{
	memset(b, 0, sizeof(*b));
	b->target = target_pages;
	b->stats_period = stats_period;
	/* Legacy virtio balloon: 1af4:1002, subsystem device 5, class "other". */
	pci_set_ids(&b->pci, 0x1af4, 0x1002, 0xff000000, 0x1af4, 5);
	b->pci.cfg[0x3c] = PCI_INTX_IRQ; /* interrupt line */
	b->pci.cfg[0x3d] = 1;            /* INTA# */
	b->pci.bar0_size = 0x40;
	b->pci.bar0_io = bar_io;
	b->pci.priv = b;
	return pci_add(&vm->pci, &b->pci) < 0 ? -ENOSPC : 0;
}

void virtio_balloon_release(struct vm *vm, struct virtio_balloon *b)
{
	for (unsigned int idx = 0; idx < BALLOON_QUEUES; idx++)
		virtq_release(vm, &b->q[idx]);
}
