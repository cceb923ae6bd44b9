/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: instruction emulation of hv/vcpu/emulate.c from the
 * guest's side: the guest page walk in every paging mode (paging off, 32-bit
 * paging with and without PSE, PAE, 4-level paging in 64-bit and in
 * compatibility code), guest-linear copies and instruction fetch across
 * pages, and MMIO instructions, REP MOVS/STOS between devices and RAM among
 * them. Guest RAM is the strict fake of fake_gmem.c (32 pages), its page
 * tables written by the input as raw bytes and by mapping operations; the
 * devices are recording fakes on the I/O APIC page and on the xAPIC page,
 * which the real lapic.c places (IA32_APIC_BASE: moved, disabled, x2APIC).
 * Each input is a program of such steps.
 *
 * Checked besides ASan/UBSan, against a reference written here from the SDM
 * (Vol. 3A §4.3-4.5, and linear addresses of 32 bits outside 64-bit mode):
 * every walk, copy and fetch; for MMIO instructions every device access in
 * order, every byte of RAM, every register, RFLAGS, the action and, for a
 * #PF, CR2 and the error code. The decoder (mmio_decode()) and the ALU
 * (mmio_alu()) are taken as they are: they have their own harness and tests.
 */
#include "fake_gmem.h"

#include <asm/cpu.h>
#include <hv/vcpu/emulate.h>
#include <asm/guest_cpu.h>
#include <asm/mmio.h>
#include <asm/pgtable.h>
#include <asm/virt.h>
#include <errcode.h>
#include <hv/mem/gmem.h>
#include <hv/vm/vm.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGES 32
#define MEM ((uint64_t)PAGES << PAGE_SHIFT)
#define MAX_TRACE 2048
#define NO_LEN 0xdead

static struct vm vm;
static struct vcpu *const v = &vm.vcpus[0];
static struct guest_paging mode;       /* what the fake back end holds */
static uint64_t cr2, rflags_out;       /* what the emulation set */
static bool cr2_set, rflags_set;
static uint8_t ref_ram[MEM];          /* the reference's RAM */
static bool ref_unavail[PAGES];
static uint64_t table_gpa, table_len;  /* the registered state table */

/* ---- input ---- */

struct in {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct in *in, unsigned int bytes)
{
	uint64_t x = 0;

	for (unsigned int i = 0; i < bytes && in->n; i++, in->n--)
		x |= (uint64_t)*in->p++ << (8 * i);
	return x;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* ---- the fake back end and what emulate.c calls ---- */

static void fk_get_paging(struct vcpu *c, struct guest_paging *p)
{
	*p = mode;
}

static void fk_set_rflags(struct vcpu *c, uint64_t val)
{
	rflags_out = val;
	rflags_set = true;
}

static void fk_set_cr2(struct vcpu *c, uint64_t val)
{
	cr2 = val;
	cr2_set = true;
}

static const struct virt_ops fk_ops = {
	.name = "fuzz",
	.get_paging = fk_get_paging,
	.set_rflags = fk_set_rflags,
	.set_cr2 = fk_set_cr2,
};
const struct virt_ops *virt = &fk_ops;

/* An IPI to another vCPU: nothing runs elsewhere here. */
void vcpu_kick(struct vcpu *t)
{
	(void)t;
}

void vm_crash(struct vm *m, const char *fmt, ...)
{
	m->state = VM_STOPPED;
}

/* lapic.c's EOI broadcast: the I/O APIC is not part of this harness. */
void ioapic_eoi(struct ioapic *io, struct vcpu *c, uint8_t vector)
{
}

/* ---- the devices: recording fakes ---- */

struct access {
	uint64_t gpa, val;
	unsigned int size;
	bool write;
};

static struct access trace[MAX_TRACE], ref_trace[MAX_TRACE];
static unsigned int nr_trace, nr_ref_trace;
static uint64_t dev_seed;

/* What the device answers to read number n at gpa. */
static uint64_t dev_value(unsigned int n, uint64_t gpa)
{
	uint64_t x = (dev_seed ^ gpa) + 0x9e3779b97f4a7c15ULL * (n + 1);

	x ^= x >> 29;
	return x * 0xbf58476d1ce4e5b9ULL;
}

static bool on_ioapic(uint64_t gpa)
{
	return (gpa & ~0xfffULL) == IOAPIC_BASE;
}

bool board_mmio_owns(struct vcpu *c, uint64_t gpa)
{
	return on_ioapic(gpa) || lapic_mmio_owns(&c->lapic, gpa);
}

/* As the bus and the devices take them: inside the page; the APIC page
 * only 1, 2 or 4 bytes within a dword (lapic_mmio()). */
static bool dev_accepts(const struct vcpu *c, uint64_t gpa, unsigned int size)
{
	if ((gpa & 0xfff) + size > PAGE_SIZE)
		return false;
	if (on_ioapic(gpa))
		return true;
	return (size == 1 || size == 2 || size == 4) && (gpa & 3) + size <= 4;
}

static uint64_t size_mask(unsigned int size)
{
	return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

/* An access into a trace; reads get dev_value(). */
static uint64_t record(struct access *t, unsigned int *nr, uint64_t gpa, unsigned int size,
		       bool write, uint64_t val)
{
	if (*nr == MAX_TRACE)
		die("more than %u device accesses in one instruction", MAX_TRACE);
	if (!write)
		val = dev_value(*nr, gpa) & size_mask(size);
	t[(*nr)++] = (struct access){ gpa, write ? val & size_mask(size) : val, size, write };
	return val;
}

bool board_mmio(struct vcpu *c, uint64_t gpa, unsigned int size, bool write, uint64_t *val)
{
	if (size != 1 && size != 2 && size != 4 && size != 8)
		die("device access of %u bytes at %#lx", size, gpa);
	if (!board_mmio_owns(c, gpa))
		die("device access at %#lx, which no device decodes", gpa);
	if (!dev_accepts(c, gpa, size))
		return false;
	*val = record(trace, &nr_trace, gpa, size, write, *val);
	return true;
}

/* ---- the reference: guest memory and the page walk ---- */

enum { R_OK, R_NOT_PRESENT, R_HOST_FAIL };

static bool ref_in_ram(uint64_t gpa, uint64_t len)
{
	return gpa < MEM && len <= MEM - gpa;
}

/* Can the host read [gpa, gpa + len) (one page)? As gmem_ptr()/gmem_read(). */
static bool ref_readable(uint64_t gpa, uint64_t len)
{
	return ref_in_ram(gpa, len) && !ref_unavail[gpa >> PAGE_SHIFT];
}

static bool ref_writable(uint64_t gpa, uint64_t len)
{
	return ref_readable(gpa, len) &&
	       !(table_len && gpa < table_gpa + table_len && table_gpa < gpa + len);
}

static int ref_entry(uint64_t gpa, unsigned int width, uint64_t *ent)
{
	if (!ref_readable(gpa, width))
		return R_HOST_FAIL;
	*ent = 0;
	memcpy(ent, ref_ram + gpa, width);
	return *ent & 1 ? R_OK : R_NOT_PRESENT;
}

/* The linear address of RIP rip: CS.base + rip, 32 bits, outside 64-bit code. */
static uint64_t code_linear(uint64_t rip)
{
	return mode.cs_bits == 64 ? rip : (mode.seg_base[1] + rip) & 0xffffffffULL;
}

/* SDM Vol. 3A §4.3 (32-bit), §4.4 (PAE), §4.5 (4-level); present bits only. */
static int ref_walk(const struct guest_paging *p, uint64_t va, uint64_t *pa)
{
	uint64_t e, table;
	int r, level;

	if (p->cs_bits != 64)
		va &= 0xffffffffULL; /* linear addresses outside 64-bit mode */
	if (!(p->cr0 & X86_CR0_PG)) {
		*pa = va & 0xffffffffULL;
		return R_OK;
	}
	if (!(p->cr4 & X86_CR4_PAE)) {
		if ((r = ref_entry((p->cr3 & 0xfffff000ULL) + ((va >> 22) & 0x3ff) * 4, 4, &e)))
			return r;
		if ((p->cr4 & X86_CR4_PSE) && (e & (1u << 7))) {
			*pa = (e & 0xffc00000ULL) + (((e >> 13) & 0xff) << 32) + (va & 0x3fffff);
			return R_OK;
		}
		if ((r = ref_entry((e & 0xfffff000ULL) + ((va >> 12) & 0x3ff) * 4, 4, &e)))
			return r;
		*pa = (e & 0xfffff000ULL) + (va & 0xfff);
		return R_OK;
	}
	if (p->efer & X86_EFER_LMA) {
		table = p->cr3 & PT_ADDR_MASK;
		level = 4;
	} else {
		va &= 0xffffffffULL;
		if ((r = ref_entry((p->cr3 & 0xffffffe0ULL) + ((va >> 30) & 3) * 8, 8, &e)))
			return r;
		table = e & PT_ADDR_MASK;
		level = 2;
	}
	for (;; level--) {
		unsigned int shift = 12 + 9 * (level - 1);

		if ((r = ref_entry(table + ((va >> shift) & 0x1ff) * 8, 8, &e)))
			return r;
		if (level == 1 || (level <= 3 && (e & (1u << 7)))) {
			uint64_t size = 1ULL << shift;

			*pa = (e & PT_ADDR_MASK & ~(size - 1)) + (va & (size - 1));
			return R_OK;
		}
		table = e & PT_ADDR_MASK;
	}
}

/* A guest-linear copy page by page, as the hardware's accesses would be.
 * Returns the bytes done; *why says what stopped it. */
static size_t ref_copy(uint64_t va, uint8_t *buf, size_t n, bool write, int *why)
{
	size_t i = 0;

	*why = R_OK;
	while (i < n) {
		size_t chunk = MIN(n - i, (size_t)(PAGE_SIZE - ((va + i) & 0xfff)));
		uint64_t pa;

		if ((*why = ref_walk(&mode, va + i, &pa)))
			break;
		if (write ? !ref_writable(pa, chunk) : !ref_readable(pa, chunk)) {
			*why = R_HOST_FAIL;
			break;
		}
		if (write)
			memcpy(ref_ram + pa, buf + i, chunk);
		else
			memcpy(buf + i, ref_ram + pa, chunk);
		i += chunk;
	}
	return i;
}

/* The harness's own writes go to both RAMs, which stay equal. */
static void poke(uint64_t gpa, const void *p, size_t n)
{
	for (size_t i = 0; i < n && gpa + i < MEM; i++) {
		*fg_host(gpa + i) = ((const uint8_t *)p)[i];
		ref_ram[gpa + i] = ((const uint8_t *)p)[i];
	}
}

static void compare_ram(const char *what)
{
	for (uint64_t g = 0; g < MEM; g += PAGE_SIZE) {
		if (!memcmp(fg_host(g), ref_ram + g, PAGE_SIZE))
			continue;
		for (unsigned int i = 0; i < PAGE_SIZE; i++)
			if (fg_host(g)[i] != ref_ram[g + i])
				die("%s: RAM at %#lx is %#x, the reference has %#x", what, g + i,
				    fg_host(g)[i], ref_ram[g + i]);
	}
}

/* ---- the reference: MMIO instructions ---- */

enum dev_kind { D_NONE, D_BUS, D_OPEN };

/* The guest's physical address width (guest_cpu.c is not linked here):
 * 39 bits, as a CPU reports in CPUID 8000_0008h. */
uint64_t guest_phys_limit(void)
{
	return 1ULL << 39;
}

/* mmio_lookup(): a device on the bus, open bus (outside RAM below the guest's
 * physical address width), or RAM. */
static enum dev_kind ref_dev(uint64_t gpa)
{
	if (board_mmio_owns(v, gpa))
		return D_BUS;
	if (!ref_in_ram(gpa, 1) && gpa < guest_phys_limit())
		return D_OPEN;
	return D_NONE;
}

/* One device access of the reference; false: refused. */
static bool ref_dev_access(enum dev_kind k, uint64_t gpa, unsigned int size, bool write,
			   uint64_t *val)
{
	if (k == D_OPEN) {
		if (!write)
			*val = ~0ULL;
		return true;
	}
	if (!dev_accepts(v, gpa, size))
		return false;
	*val = record(ref_trace, &nr_ref_trace, gpa, size, write, *val);
	return true;
}

/* A memory access of a string instruction at linear va (string_access()). */
static int ref_string_access(uint64_t va, unsigned int size, bool write, uint64_t *val,
			     uint64_t *fault_va)
{
	enum dev_kind k;
	uint64_t pa;
	int r;

	if (mode.cs_bits != 64)
		va &= 0xffffffffULL;
	if ((va & 0xfff) + size > PAGE_SIZE) {
		uint64_t out = 0;

		for (unsigned int i = 0; i < size; i++) {
			uint64_t b = write ? (*val >> (8 * i)) & 0xff : 0;

			if ((r = ref_string_access(va + i, 1, write, &b, fault_va)))
				return r;
			out |= (b & 0xff) << (8 * i);
		}
		if (!write)
			*val = out;
		return R_OK;
	}
	if ((r = ref_walk(&mode, va, &pa))) {
		*fault_va = va;
		return r;
	}
	if ((k = ref_dev(pa)) != D_NONE)
		return ref_dev_access(k, pa, size, write, val) ? R_OK : R_HOST_FAIL;
	if (write ? !ref_writable(pa, size) : !ref_readable(pa, size))
		return R_HOST_FAIL;
	if (write) {
		memcpy(ref_ram + pa, val, size);
	} else {
		*val = 0;
		memcpy(val, ref_ram + pa, size);
	}
	return R_OK;
}

/* The outcome of one emulation. */
struct outcome {
	enum vexit_action act;
	struct guest_regs regs;
	unsigned int insn_len;
	uint8_t vector;
	uint32_t error;
	uint64_t cr2, rflags;
	bool cr2_set, rflags_set;
};

static void ref_page_fault(struct outcome *o, uint64_t addr, bool write, bool fetch, unsigned int cpl)
{
	o->act = VEXIT_INJECT;
	o->vector = 14;
	o->error = (write ? 2u : 0) | (cpl == 3 ? 4u : 0) |
		   (fetch && (mode.efer & X86_EFER_NXE) && (mode.cr4 & X86_CR4_PAE) ? 16u : 0);
	o->cr2 = mode.cs_bits == 64 ? addr : addr & 0xffffffffULL;
	o->cr2_set = true;
}

static uint64_t *ref_gpr(struct guest_regs *r, unsigned int n)
{
	uint64_t *const map[16] = { &r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp,
				    &r->rsi, &r->rdi, &r->r8,  &r->r9,  &r->r10, &r->r11,
				    &r->r12, &r->r13, &r->r14, &r->r15 };

	return map[n & 15];
}

static uint64_t ref_reg_get(struct guest_regs *r, const struct mmio_insn *d, unsigned int size)
{
	if (d->high8 && size == 1)
		return (*ref_gpr(r, d->reg - 4) >> 8) & 0xff;
	return *ref_gpr(r, d->reg) & size_mask(size);
}

/* SDM Vol. 1 §3.4.1.1: 32-bit results zero-extend, 8- and 16-bit ones merge. */
static void ref_reg_set(struct guest_regs *r, const struct mmio_insn *d, unsigned int size,
			uint64_t val)
{
	uint64_t *g = d->high8 && size == 1 ? ref_gpr(r, d->reg - 4) : ref_gpr(r, d->reg);

	if (d->high8 && size == 1)
		*g = (*g & ~0xff00ULL) | ((val & 0xff) << 8);
	else if (size >= 4)
		*g = val & size_mask(size);
	else
		*g = (*g & ~size_mask(size)) | (val & size_mask(size));
}

static void ref_string(struct outcome *o, const struct mmio_insn *d, unsigned int cpl)
{
	struct guest_regs *r = &o->regs;
	uint64_t am = size_mask(d->addr_size), count = d->rep ? r->rcx & am : 1;
	int sseg = d->seg >= 0 ? d->seg : 3;
	uint64_t sbase = mode.cs_bits != 64 || sseg >= 4 ? mode.seg_base[sseg] : 0;
	uint64_t dbase = mode.cs_bits == 64 ? 0 : mode.seg_base[0];
	uint64_t step = (mode.rflags & X86_RFLAGS_DF) ? -(uint64_t)d->size : d->size;

	for (unsigned int k = 0; count && k < 256; k++) {
		uint64_t val = r->rax & size_mask(d->size), si = r->rsi & am, di = r->rdi & am, fva = 0;
		bool wr = false;
		int w = R_OK;

		if (d->op == MMIO_MOVS)
			w = ref_string_access(sbase + si, d->size, false, &val, &fva);
		if (!w) {
			wr = true;
			w = ref_string_access(dbase + di, d->size, true, &val, &fva);
		}
		if (w == R_NOT_PRESENT) {
			ref_page_fault(o, fva, wr, false, cpl);
			return;
		}
		if (w) {
			o->act = VEXIT_STOP;
			return;
		}
		if (d->op == MMIO_MOVS)
			r->rsi = (r->rsi & ~am) | ((si + step) & am);
		r->rdi = (r->rdi & ~am) | ((di + step) & am);
		count--;
		if (d->rep)
			r->rcx = (r->rcx & ~am) | count;
	}
	if (count) {
		o->act = VEXIT_RESUME;
		return;
	}
	o->act = VEXIT_SKIP;
	o->insn_len = d->len;
}

/* What emulate_mmio() must do for a fault at gpa with RIP rip (emulate_mmio_owns(gpa)). */
static void ref_mmio(struct outcome *o, uint64_t rip, unsigned int cpl, uint64_t gpa)
{
	enum dev_kind k = ref_dev(gpa);
	uint64_t lin, mem = 0, src, res, flags;
	struct mmio_insn d;
	uint8_t insn[15];
	int why, rc;
	size_t n;

	lin = code_linear(rip);
	n = ref_copy(lin, insn, sizeof(insn), false, &why);
	rc = mmio_decode(insn, n, mode.cs_bits, &d);
	if (rc == -ENODATA && n < sizeof(insn)) {
		if (why == R_NOT_PRESENT)
			ref_page_fault(o, lin + n, false, true, cpl);
		else
			o->act = VEXIT_STOP;
		return;
	}
	if (rc) {
		o->act = VEXIT_STOP;
		return;
	}
	if (d.op == MMIO_MOVS || d.op == MMIO_STOS) {
		ref_string(o, &d, cpl);
		return;
	}
	src = d.has_imm ? d.imm : ref_reg_get(&o->regs, &d, d.reg_size);
	if (d.read && !ref_dev_access(k, gpa, d.size, false, &mem)) {
		o->act = VEXIT_STOP;
		return;
	}
	mem &= size_mask(d.size);
	o->act = VEXIT_SKIP;
	o->insn_len = d.len;
	switch (d.op) {
	case MMIO_MOV:
		if (d.to_reg)
			ref_reg_set(&o->regs, &d, d.reg_size, mem);
		else if (!ref_dev_access(k, gpa, d.size, true, &src))
			o->act = VEXIT_STOP;
		break;
	case MMIO_MOVZX:
		ref_reg_set(&o->regs, &d, d.reg_size, mem);
		break;
	case MMIO_MOVSX: {
		uint64_t sign = 1ULL << (8 * d.size - 1);

		ref_reg_set(&o->regs, &d, d.reg_size, (mem ^ sign) - sign);
		break;
	}
	case MMIO_XCHG:
		if (!ref_dev_access(k, gpa, d.size, true, &src))
			o->act = VEXIT_STOP;
		else
			ref_reg_set(&o->regs, &d, d.reg_size, mem);
		break;
	default:
		flags = mode.rflags;
		if (d.to_reg) {
			res = mmio_alu(d.op, d.size, src, mem, &flags);
			if (d.op != MMIO_CMP && d.op != MMIO_TEST)
				ref_reg_set(&o->regs, &d, d.reg_size, res);
		} else {
			res = mmio_alu(d.op, d.size, mem, src, &flags);
			if (d.write && !ref_dev_access(k, gpa, d.size, true, &res)) {
				o->act = VEXIT_STOP;
				break;
			}
		}
		o->rflags = flags;
		o->rflags_set = true;
		break;
	}
	if (o->act == VEXIT_STOP)
		o->insn_len = NO_LEN;
}

static void compare(const struct outcome *got, const struct outcome *want, uint64_t rip, uint64_t gpa)
{
	const char *why = NULL;

	if (got->act != want->act)
		why = "action";
	else if (memcmp(&got->regs, &want->regs, sizeof(got->regs)))
		why = "registers";
	else if (got->act == VEXIT_SKIP && got->insn_len != want->insn_len)
		why = "instruction length";
	else if (got->act != VEXIT_SKIP && got->insn_len != NO_LEN)
		why = "instruction length set without a skip";
	else if (got->act == VEXIT_INJECT &&
		 (got->vector != want->vector || got->error != want->error || !got->cr2_set ||
		  got->cr2 != want->cr2))
		why = "injected #PF";
	else if (got->rflags_set != want->rflags_set || (got->rflags_set && got->rflags != want->rflags))
		why = "RFLAGS";
	else if (got->act == VEXIT_STOP && vm.state != VM_STOPPED)
		why = "VEXIT_STOP with the VM running";
	else if (got->act != VEXIT_STOP && vm.state == VM_STOPPED)
		why = "the VM stopped without VEXIT_STOP";
	else if (nr_trace != nr_ref_trace || memcmp(trace, ref_trace, nr_trace * sizeof(trace[0])))
		why = "device accesses";
	if (why) {
		fprintf(stderr, "emulate_mmio at RIP %#lx, gpa %#lx, mode cr0 %#lx cr4 %#lx efer %#lx "
			"cs %u: %s differ\n  action %d/%d vector %u/%u error %#x/%#x cr2 %#lx/%#lx "
			"len %u/%u rsi %#lx/%#lx rdi %#lx/%#lx rcx %#lx/%#lx accesses %u/%u\n",
			rip, gpa, mode.cr0, mode.cr4, mode.efer, mode.cs_bits, why, got->act, want->act,
			got->vector, want->vector, got->error, want->error, got->cr2, want->cr2,
			got->insn_len, want->insn_len, got->regs.rsi, want->regs.rsi, got->regs.rdi,
			want->regs.rdi, got->regs.rcx, want->regs.rcx, nr_trace, nr_ref_trace);
		for (unsigned int i = 0; i < MAX(nr_trace, nr_ref_trace) && i < 8; i++)
			fprintf(stderr, "  %u: %#lx/%u %c %#lx | %#lx/%u %c %#lx\n", i,
				trace[i].gpa, trace[i].size, trace[i].write ? 'w' : 'r', trace[i].val,
				ref_trace[i].gpa, ref_trace[i].size, ref_trace[i].write ? 'w' : 'r',
				ref_trace[i].val);
		abort();
	}
	compare_ram("emulate_mmio");
}

/* ---- building the guest's state ---- */

/* Addresses where things happen: page and 4 GiB edges, the device pages. */
static uint64_t any_va(struct in *in)
{
	static const uint64_t hot[] = { 0x0,	    0x1000,	0x5000,	     0x7ff8,
					0x400000,   0x3ffffc,	0xfec00000,  0xfee00000,
					0xfee00ff8, 0xfffff000, 0xfffffffc,  0x100000000ULL,
					0x7ffffffff000ULL, 0xffff800000000000ULL,
					0xffffffffffe00000ULL, 0xfffffffffffff000ULL };
	uint64_t k = take(in, 1);

	if (k < 160)
		return hot[k % 16] + (take(in, 1) << (k & 1 ? 3 : 0)) - (k & 2 ? 8 : 0);
	if (k < 200)
		return (take(in, 1) % PAGES) << PAGE_SHIFT | take(in, 2) % PAGE_SIZE;
	return take(in, 8);
}

static uint64_t any_pa(struct in *in)
{
	switch (take(in, 1) % 8) {
	case 0:
		return IOAPIC_BASE;
	case 1:
	case 2:
		return v->lapic.apic_base & 0xfffffffff000ULL;
	case 3:
		return APIC_DEFAULT_BASE;
	case 4:
		return take(in, 5) << PAGE_SHIFT; /* mostly outside RAM */
	default:
		return (take(in, 1) % PAGES) << PAGE_SHIFT;
	}
}

static void put_entry(uint64_t gpa, uint64_t e, unsigned int width)
{
	if (ref_in_ram(gpa, width))
		poke(gpa, &e, width);
}

static uint64_t get_entry(uint64_t gpa, unsigned int width)
{
	uint64_t e = 0;

	if (ref_in_ram(gpa, width))
		memcpy(&e, fg_host(gpa), width);
	return e;
}

/* The next table on the way: the entry's if it points into RAM, else a
 * page the input names (zeroed), entered with flags. */
static uint64_t next_table(struct in *in, uint64_t entry_gpa, unsigned int width, uint64_t addr_mask,
			   uint64_t flags)
{
	uint64_t e = get_entry(entry_gpa, width), t = e & addr_mask;

	if ((e & 1) && !(e & (1u << 7)) && ref_in_ram(t, PAGE_SIZE))
		return t;
	static const uint8_t zero[PAGE_SIZE];

	t = (take(in, 1) % PAGES) << PAGE_SHIFT;
	poke(t, zero, PAGE_SIZE);
	put_entry(entry_gpa, t | flags | 1, width);
	return t;
}

/* Map va to pa in the current paging mode, with a page size the input picks. */
static void map(struct in *in)
{
	uint64_t va = any_va(in), pa = any_pa(in), flags = take(in, 1) | 1, t;
	unsigned int big = (unsigned int)take(in, 1) % 4;

	if (take(in, 1) % 16 == 0)
		flags &= ~1ULL; /* not present */
	if (!(mode.cr0 & X86_CR0_PG))
		return;
	if (!(mode.cr4 & X86_CR4_PAE)) {
		uint64_t pde = (mode.cr3 & 0xfffff000ULL) + ((va >> 22) & 0x3ff) * 4;

		if (big == 0) {
			put_entry(pde, (pa & 0xffc00000ULL) | ((pa >> 32 & 0xff) << 13) | (flags | 0x80),
				  4);
			return;
		}
		t = next_table(in, pde, 4, 0xfffff000ULL, flags & 0x7f);
		put_entry(t + ((va >> 12) & 0x3ff) * 4, (pa & 0xfffff000ULL) | (flags & ~0x80ULL), 4);
		return;
	}
	if (mode.efer & X86_EFER_LMA) {
		t = next_table(in, (mode.cr3 & PT_ADDR_MASK) + ((va >> 39) & 0x1ff) * 8, 8, PT_ADDR_MASK,
			       flags & 0x7f);
		if (big == 0) {
			put_entry(t + ((va >> 30) & 0x1ff) * 8, (pa & ~0x3fffffffULL) | flags | 0x80, 8);
			return;
		}
		t = next_table(in, t + ((va >> 30) & 0x1ff) * 8, 8, PT_ADDR_MASK, flags & 0x7f);
	} else {
		/* PDPTEs: present and the address only (other bits are reserved). */
		t = (mode.cr3 & 0xffffffe0ULL) + ((va >> 30) & 3) * 8;
		t = next_table(in, t, 8, PT_ADDR_MASK, 0);
	}
	if (big == 1) {
		put_entry(t + ((va >> 21) & 0x1ff) * 8, (pa & ~0x1fffffULL) | flags | 0x80, 8);
		return;
	}
	t = next_table(in, t + ((va >> 21) & 0x1ff) * 8, 8, PT_ADDR_MASK, flags & 0x7f);
	put_entry(t + ((va >> 12) & 0x1ff) * 8, (pa & PT_ADDR_MASK) | (flags & ~0x80ULL), 8);
}

/* A paging mode and segment state; mostly consistent, sometimes anything. */
static void set_mode(struct in *in)
{
	unsigned int k = (unsigned int)take(in, 1) % 8;
	uint64_t cr3 = (take(in, 1) % PAGES) << PAGE_SHIFT | (take(in, 1) & 0xe0);

	mode = (struct guest_paging){ .cr3 = cr3, .cs_bits = 32 };
	switch (k) {
	case 0: /* real mode */
		mode.cs_bits = 16;
		for (int s = 0; s < 6; s++)
			mode.seg_base[s] = take(in, 2) << 4;
		break;
	case 1: /* protected mode, paging off */
		mode.cr0 = X86_CR0_PE;
		mode.cs_bits = take(in, 1) & 1 ? 16 : 32;
		break;
	case 2: /* 32-bit paging */
		mode.cr0 = X86_CR0_PE | X86_CR0_PG;
		mode.cr4 = take(in, 1) & 1 ? X86_CR4_PSE : 0;
		break;
	case 3: /* PAE */
		mode.cr0 = X86_CR0_PE | X86_CR0_PG;
		mode.cr4 = X86_CR4_PAE;
		mode.efer = take(in, 1) & 1 ? X86_EFER_NXE : 0;
		break;
	case 4:
	case 5: /* 4-level paging: 64-bit code, or compatibility mode */
		mode.cr0 = X86_CR0_PE | X86_CR0_PG;
		mode.cr4 = X86_CR4_PAE;
		mode.efer = X86_EFER_LME | X86_EFER_LMA | (take(in, 1) & 1 ? X86_EFER_NXE : 0);
		mode.cs_bits = k == 4 ? 64 : take(in, 1) & 1 ? 16 : 32;
		break;
	default: /* whatever the input says */
		mode.cr0 = take(in, 4);
		mode.cr4 = take(in, 4);
		mode.efer = take(in, 2);
		mode.cr3 = take(in, 8);
		mode.cs_bits = (unsigned int)take(in, 1);
		break;
	}
	if (take(in, 1) % 4 == 0)
		for (int s = 0; s < 6; s++)
			mode.seg_base[s] = take(in, 1) % 4 ? take(in, 4) : take(in, 8);
	mode.rflags = X86_RFLAGS_FIXED | (take(in, 2) & 0x8d5) | (take(in, 1) & 1 ? X86_RFLAGS_DF : 0);
}

/* Instruction bytes: a MOV/ALU/string form with prefixes, or raw bytes. */
static size_t make_insn(struct in *in, uint8_t *b)
{
	static const uint8_t prefixes[] = { 0x66, 0x67, 0xf3, 0xf2, 0xf0, 0x26, 0x2e, 0x36,
					    0x3e, 0x64, 0x65, 0x48, 0x41, 0x4c, 0x40, 0x44 };
	static const uint8_t ops[] = { 0xa4, 0xa5, 0xaa, 0xab, 0xa4, 0xa5, 0xaa, 0xab,
				       0x88, 0x89, 0x8a, 0x8b, 0xc6, 0xc7, 0xa0, 0xa1,
				       0xa2, 0xa3, 0x80, 0x81, 0x83, 0xf6, 0xf7, 0xfe,
				       0xff, 0x86, 0x87, 0x01, 0x09, 0x21, 0x31, 0x3b };
	size_t n = 0, np = take(in, 1) % 4;

	if (take(in, 1) % 8 == 0) { /* raw */
		n = 1 + take(in, 1) % 15;
		for (size_t i = 0; i < n; i++)
			b[i] = (uint8_t)take(in, 1);
		return n;
	}
	for (size_t i = 0; i < np; i++)
		b[n++] = prefixes[take(in, 1) % sizeof(prefixes)];
	if (take(in, 1) % 8 == 0) {
		b[n++] = 0x0f;
		b[n++] = (uint8_t[]){ 0xb6, 0xb7, 0xbe, 0xbf }[take(in, 1) % 4];
	} else {
		b[n++] = ops[take(in, 1) % sizeof(ops)];
	}
	while (n < 15)
		b[n++] = (uint8_t)take(in, 1); /* ModR/M, SIB, displacement, immediate */
	return n;
}

/* Write the instruction at RIP rip into RAM through the reference walk. */
static void place_insn(uint64_t rip, const uint8_t *b, size_t n)
{
	uint64_t lin = code_linear(rip), pa;

	for (size_t i = 0; i < n; i++)
		if (ref_walk(&mode, lin + i, &pa) == R_OK && ref_in_ram(pa, 1))
			poke(pa, &b[i], 1);
}

static uint64_t any_reg(struct in *in)
{
	switch (take(in, 1) % 6) {
	case 0:
		return take(in, 1) % 4 ? take(in, 2) % 700 : take(in, 8); /* counts */
	case 1:
	case 2:
		return any_va(in);
	default:
		return take(in, 8);
	}
}

static void mmio_step(struct in *in)
{
	struct outcome got = { 0 }, want = { 0 };
	uint64_t rip = any_va(in), gpa = any_pa(in) | (take(in, 2) & 0xfff);
	unsigned int cpl = take(in, 1) & 1 ? 3 : 0;
	struct vexit e = { .kind = VEXIT_GPT_FAULT, .insn_len = NO_LEN, .cpl = cpl };
	uint8_t b[15];
	size_t n = make_insn(in, b);

	place_insn(rip, b, n);
	for (unsigned int i = 0; i < 16; i++)
		*guest_reg(&v->regs, i) = any_reg(in);
	v->regs.rsp = take(in, 8);
	e.rip = rip;
	e.fault.gpa = gpa;
	/* As x_gpt_fault(): only device memory outside RAM comes here. */
	if (vm_is_ram(&vm, gpa, 1) || !emulate_mmio_owns(v, gpa))
		return;
	dev_seed = take(in, 8);
	want.regs = v->regs;
	want.insn_len = NO_LEN;
	nr_ref_trace = 0;
	ref_mmio(&want, rip, cpl, gpa);

	nr_trace = 0;
	cr2_set = rflags_set = false;
	vm.state = VM_RUNNING;
	got.act = emulate_mmio(v, &e, gpa);
	got.regs = v->regs;
	got.insn_len = e.insn_len;
	got.vector = e.vector;
	got.error = e.error;
	got.cr2 = cr2;
	got.cr2_set = cr2_set;
	got.rflags = rflags_out;
	got.rflags_set = rflags_set;
	compare(&got, &want, rip, gpa);
	vm.state = VM_RUNNING;
}

/* A linear address as the mode has them: 32 bits outside 64-bit code. */
static uint64_t any_linear(struct in *in)
{
	uint64_t va = any_va(in);

	return mode.cs_bits == 64 ? va : va & 0xffffffffULL;
}

static void walk_step(struct in *in)
{
	uint64_t va = any_linear(in), pa = 0, rpa = 0;
	bool ok;
	int r;

	ok = guest_walk(v, va, &pa);
	r = ref_walk(&mode, va, &rpa);
	if (ok != (r == R_OK) || (ok && pa != rpa))
		die("guest_walk(%#lx) in cr0 %#lx cr4 %#lx efer %#lx cs %u: %d %#lx, reference %d %#lx",
		    va, mode.cr0, mode.cr4, mode.efer, mode.cs_bits, ok, pa, r, rpa);
}

static void copy_step(struct in *in)
{
	static uint8_t buf[3 * PAGE_SIZE], rbuf[3 * PAGE_SIZE];
	uint64_t va = any_linear(in);
	size_t n = take(in, 1) % 4 ? take(in, 1) % 20 : take(in, 2) % sizeof(buf);
	bool write = take(in, 1) & 1, ok;
	size_t done;
	int why;

	for (size_t i = 0; i < n; i++)
		buf[i] = rbuf[i] = (uint8_t)(i * 31 + n);
	if (take(in, 1) % 4 == 0) { /* instruction fetch at RIP va: up to 15 bytes */
		unsigned int got;

		n %= 16;
		got = guest_fetch(v, va, buf, (unsigned int)n);
		done = ref_copy(code_linear(va), rbuf, n, false, &why);
		if (got != done || memcmp(buf, rbuf, done))
			die("guest_fetch(%#lx, %zu): %u bytes, reference %zu", va, n, got, done);
		return;
	}
	ok = guest_copy(v, va, buf, n, write);
	done = ref_copy(va, rbuf, n, write, &why);
	if (ok != (done == n) || (!write && ok && memcmp(buf, rbuf, n)))
		die("guest_copy(%#lx, %zu, %s): %d, reference %zu bytes", va, n,
		    write ? "write" : "read", ok, done);
	if (write)
		compare_ram("guest_copy");
}

static void step(struct in *in)
{
	switch (take(in, 1) % 12) {
	case 0: { /* raw bytes: page tables as the fuzzer likes them */
		uint64_t gpa = take(in, 2) % MEM;
		size_t n = 1 + take(in, 1) % 32;

		for (size_t i = 0; i < n; i++) {
			uint8_t b = (uint8_t)take(in, 1);

			poke(gpa + i, &b, 1);
		}
		break;
	}
	case 1:
	case 2:
		map(in);
		break;
	case 3:
		set_mode(in);
		break;
	case 4: { /* where the local APIC is: moved, disabled, x2APIC */
		static const uint64_t bases[] = { 0xfee00900, 0xfee00000, 0xfee00d00, 0xfed00900,
						  0x80000900, 0xfec00900, 0x100000900ULL, 0x20900 };

		(void)lapic_msr_write(v, MSR_IA32_APIC_BASE, bases[take(in, 1) % 8]);
		break;
	}
	case 5: { /* a page the host cannot have, or the state table */
		uint64_t g = take(in, 1) % PAGES;

		if (take(in, 1) & 1) {
			ref_unavail[g] ^= 1;
			fg_set_unavailable(g, ref_unavail[g]);
		} else {
			table_gpa = g << PAGE_SHIFT | (take(in, 2) & 0xfff);
			table_len = take(in, 1) % 4 ? 0 : take(in, 2);
			fg_set_table(&vm, table_gpa, table_len);
		}
		break;
	}
	case 6:
		walk_step(in);
		break;
	case 7:
		copy_step(in);
		break;
	case 8: { /* the #UD intercept's question */
		uint64_t rip = any_linear(in);
		uint8_t b[3];
		int why;
		bool want;

		if (take(in, 1) & 1) { /* VMCALL or VMMCALL there */
			uint8_t call[3] = { 0x0f, 0x01, take(in, 1) & 1 ? 0xc1 : 0xd9 };

			place_insn(rip, call, 3);
		}
		want = ref_copy(code_linear(rip), b, 3, false, &why) == 3 && b[0] == 0x0f &&
		       b[1] == 0x01 && (b[2] == 0xc1 || b[2] == 0xd9);
		if (guest_hypercall_insn(v, rip) != want)
			die("guest_hypercall_insn(%#lx): %d", rip, !want);
		break;
	}
	default:
		mmio_step(in);
		break;
	}
	fg_release();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };

	memset(&vm, 0, sizeof(vm));
	v->vm = &vm;
	vm.state = VM_RUNNING;
	fg_init(&vm, PAGES);
	memset(ref_ram, 0, sizeof(ref_ram));
	memset(ref_unavail, 0, sizeof(ref_unavail));
	table_gpa = table_len = 0;
	lapic_reset(&v->lapic, 0);
	mode = (struct guest_paging){ .cs_bits = 64, .cr0 = 1 };
	set_mode(&in);
	for (unsigned int n = 0; in.n && n < 200; n++)
		step(&in);
	fg_destroy();
	return 0;
}
