/* SPDX-License-Identifier: MIT */
/*
 * Statistics: the s390-style 4 x 3 table of page counts (guest state x host
 * state), the guest-visible struct hv_vm_stats and event counters, formatted
 * with snprintf into caller buffers. Under the mm lock.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const char *const state_names[4] = { "S", "U", "V", "P" };

uint64_t mm_vm_count_pages(struct mm_vm *vm, uint64_t from, uint64_t budget, uint64_t pages[4][3])
{
	uint64_t g, end;
	unsigned int s, h;

	if (from == 0 && vm->table_nr == 0) {
		for (s = 0; s < 4; s++)
			for (h = 0; h < 3; h++)
				pages[s][h] += vm->pages[s][h];
		return vm->nr;
	}
	/* Table mode: the bytes are the guest states, the cache may be stale. */
	end = from < vm->nr && vm->nr - from > budget ? from + budget : vm->nr;
	for (g = from; g < end; g++)
		pages[g < vm->table_nr ? tbl_state(tbl_load(vm, g)) : ent_gs(vm->ent[g])]
		     [ent_hs(vm->ent[g])]++;
	vm->mm->walked += end > from ? end - from : 0;
	return end;
}

void mm_vm_pages(struct mm_vm *vm, uint64_t pages[4][3])
{
	memset(pages, 0, sizeof(vm->pages));
	(void)mm_vm_count_pages(vm, 0, vm->nr, pages);
}

void mm_vm_stats(struct mm_vm *vm, struct hv_vm_stats *out)
{
	uint64_t pages[4][3];

	mm_vm_pages(vm, pages);
	mm_vm_stats_of(vm, pages, out);
}

void mm_vm_stats_of(struct mm_vm *vm, const uint64_t pages[4][3], struct hv_vm_stats *out)
{
	unsigned int s, h;

	memset(out, 0, sizeof(*out));
	for (s = 0; s < 4; s++)
		for (h = 0; h < 3; h++)
			out->pages[s][hs_to_abi(h)] = pages[s][h];
	out->page_outs = vm->cnt.page_outs;
	out->page_ins = vm->cnt.page_ins;
	out->drops_unused = vm->cnt.drops[HV_PAGE_UNUSED];
	out->drops_volatile = vm->cnt.drops[HV_PAGE_VOLATILE];
	out->drops_pot_volatile = vm->cnt.drops[HV_PAGE_POT_VOLATILE];
	out->discard_faults = vm->cnt.discard_faults;
	out->zero_fills = vm->cnt.zero_fills;
	out->reuse_detected = vm->cnt.reuse_detected;
}

#define LINE_MAX_LEN 160

/* Append one formatted line to buf; *n counts what the whole text needs. */
static void put(char *buf, size_t len, int *n, const char *line, int r)
{
	size_t off = (size_t)*n, k;

	if (r <= 0)
		return;
	if (buf != NULL && off + 1 < len) {
		k = MIN(MIN((size_t)r, (size_t)LINE_MAX_LEN - 1), len - 1 - off);
		memcpy(buf + off, line, k);
		buf[off + k] = '\0';
	}
	*n += r;
}

#define APPEND(...)                                                                                \
	do {                                                                                        \
		char line_[LINE_MAX_LEN];                                                           \
		put(buf, len, &n, line_, snprintf(line_, sizeof(line_), __VA_ARGS__));              \
	} while (0)

int mm_format_pages(const uint64_t pages[4][3], char *buf, size_t len)
{
	uint64_t col[3] = { 0, 0, 0 }, row, all = 0;
	unsigned int s, h;
	int n = 0;

	APPEND("<state>|--tot--|---r---|---p---|---z---|\n");
	for (s = 0; s < 4; s++) {
		row = 0;
		for (h = 0; h < 3; h++) {
			row += pages[s][h];
			col[h] += pages[s][h];
		}
		all += row;
		APPEND("%-7s|%7llu|%7llu|%7llu|%7llu|\n", state_names[s],
		       (unsigned long long)row, (unsigned long long)pages[s][MM_HS_RESIDENT],
		       (unsigned long long)pages[s][MM_HS_PRESERVED], (unsigned long long)pages[s][MM_HS_ZERO]);
	}
	APPEND("tot->  |%7llu|%7llu|%7llu|%7llu|\n", (unsigned long long)all,
	       (unsigned long long)col[MM_HS_RESIDENT], (unsigned long long)col[MM_HS_PRESERVED],
	       (unsigned long long)col[MM_HS_ZERO]);
	return n;
}

int mm_format_table(struct mm *mm, struct mm_vm *vm, char *buf, size_t len)
{
	uint64_t sum[4][3], one[4][3];
	unsigned int i, s, h;

	if (vm != NULL) {
		mm_vm_pages(vm, sum);
		return mm_format_pages(sum, buf, len);
	}
	memset(sum, 0, sizeof(sum));
	for (i = 0; i < MM_MAX_VMS; i++) {
		if (mm->vms[i] == NULL)
			continue;
		mm_vm_pages(mm->vms[i], one);
		for (s = 0; s < 4; s++)
			for (h = 0; h < 3; h++)
				sum[s][h] += one[s][h];
	}
	return mm_format_pages(sum, buf, len);
}

int mm_format_counters(const struct mm_counters *c, char *buf, size_t len)
{
	int n = 0;

#define C(name, v) APPEND("%-16s %llu\n", name, (unsigned long long)(v))
	C("faults", c->faults);
	C("zero_fills", c->zero_fills);
	C("page_ins", c->page_ins);
	C("page_outs", c->page_outs);
	C("pageout_errors", c->pageout_errors);
	C("drops_unused", c->drops[HV_PAGE_UNUSED]);
	C("drops_volatile", c->drops[HV_PAGE_VOLATILE]);
	C("drops_pot_vol", c->drops[HV_PAGE_POT_VOLATILE]);
	C("discard_faults", c->discard_faults);
	C("reuse_detected", c->reuse_detected);
	C("table_races", c->table_races);
	C("hints", c->hints);
	C("hint_frees", c->hint_frees);
	C("guest_drops", c->guest_drops);
	C("slot_reclaims", c->slot_reclaims);
	C("slot_scans", c->slot_scans);
	C("lru_scanned", c->lru_scanned);
	C("lru_rotated", c->lru_rotated);
	C("lru_deactivated", c->lru_deactivated);
	C("reclaim_passes", c->reclaim_passes);
#undef C
	return n;
}
