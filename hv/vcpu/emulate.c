/* SPDX-License-Identifier: MIT */
/*
 * Generic x86 emulation shared by both back ends (see emulate.h): guest
 * GPRs, the guest's page walk in every paging mode (SDM Vol. 3A §4), and
 * the MMIO path (fetch, decode, execute against the device).
 * Hypervisor context, on an exit of the current vCPU.
 */
#include <asm/cpu.h>
#include <hv/vcpu/emulate.h>
#include <asm/guest_cpu.h>
#include <asm/mmio.h>
#include <asm/pgtable.h>
#include <asm/virt.h>
#include <errcode.h>
#include <hv/mem/gmem.h>
#include <hv/vm/vm.h>
#include <string.h>

/* Outcome of a guest page walk. */
enum walk_result {
	WALK_OK,
	WALK_NOT_PRESENT, /* the guest's tables do not map it: a #PF for the guest */
	WALK_HOST_FAIL,   /* a table page the host cannot read (outside RAM, discarded) */
};

/* One page-table entry of width bytes at gpa (hypervisor view). */
static enum walk_result pt_entry(struct vcpu *v, uint64_t gpa, unsigned int width, uint64_t *ent)
{
	void *e = gmem_ptr(v->vm, _gpa(gpa), width, false);

	if (!e)
		return WALK_HOST_FAIL;
	*ent = width == 8 ? *(uint64_t *)e : *(uint32_t *)e;
	return *ent & 1 ? WALK_OK : WALK_NOT_PRESENT;
}

/* The guest's walk of va in the paging mode of p (SDM Vol. 3A §4.3-4.5):
 * 32-bit paging (4 MiB pages with CR4.PSE), PAE, and 4-level paging.
 * Present bits only: permissions are the hardware's, which already let the
 * instruction run up to its device access. Outside 64-bit code a linear
 * address has 32 bits, also under 4-level paging (compatibility mode): an
 * access past 4 GiB wraps to 0 (AMD APM Vol. 1 §2.2.3). */
static enum walk_result walk(struct vcpu *v, const struct guest_paging *p, uint64_t va, uint64_t *pa)
{
	uint64_t table, ent;
	enum walk_result r;
	int level;

	if (p->cs_bits != 64)
		va &= 0xffffffffULL;
	if (!(p->cr0 & X86_CR0_PG)) {
		*pa = va & 0xffffffffULL;
		return WALK_OK;
	}
	if (!(p->cr4 & X86_CR4_PAE)) {
		uint32_t a = (uint32_t)va;

		if ((r = pt_entry(v, (p->cr3 & 0xfffff000ULL) + 4 * (a >> 22), 4, &ent)))
			return r;
		if ((ent & PT_LARGE) && (p->cr4 & X86_CR4_PSE)) {
			/* PDE bits 20:13 are physical address bits 39:32. */
			*pa = (ent & 0xffc00000ULL) | ((ent >> 13 & 0xff) << 32) | (a & 0x3fffff);
			return WALK_OK;
		}
		if ((r = pt_entry(v, (ent & 0xfffff000ULL) + 4 * ((a >> 12) & 0x3ff), 4, &ent)))
			return r;
		*pa = (ent & 0xfffff000ULL) | (a & 0xfff);
		return WALK_OK;
	}
	if (p->efer & X86_EFER_LMA) {
		table = p->cr3 & PT_ADDR_MASK;
		level = 4;
	} else {
		/* PAE: four PDPTEs at CR3 (32-byte aligned), indexed by bits 31:30. */
		if ((r = pt_entry(v, (p->cr3 & 0xffffffe0ULL) + 8 * (va >> 30), 8, &ent)))
			return r;
		table = ent & PT_ADDR_MASK;
		level = 2;
	}
	for (; level >= 1; level--) {
		if ((r = pt_entry(v, table + 8 * pt_index(va, level), 8, &ent)))
			return r;
		if (level == 1 || (level <= 3 && (ent & PT_LARGE))) {
			uint64_t size = pt_level_size(level);

			*pa = (ent & PT_ADDR_MASK & ~(size - 1)) | (va & (size - 1));
			return WALK_OK;
		}
		table = ent & PT_ADDR_MASK;
	}
	return WALK_NOT_PRESENT;
}

bool guest_walk(struct vcpu *v, uint64_t va, uint64_t *pa)
{
	struct guest_paging p;

	virt->get_paging(v, &p);
	return walk(v, &p, va, pa) == WALK_OK;
}

/* Copy n bytes between buf and guest-linear va, page by page; returns how
 * many were done (stops at the first page that is not mapped, *why, or
 * that the host cannot reach). */
static size_t copy_linear(struct vcpu *v, const struct guest_paging *p, uint64_t va, void *buf,
			  size_t n, bool write, enum walk_result *why)
{
	uint8_t *bytes = buf;
	size_t i = 0;

	*why = WALK_OK;
	while (i < n) {
		size_t chunk = MIN(n - i, (size_t)(PAGE_SIZE - ((va + i) & 0xfff)));
		uint64_t pa;
		uint8_t *b;

		if ((*why = walk(v, p, va + i, &pa)))
			break;
		/* Writes through gmem_write(): it refuses the state table. */
		if (write ? gmem_write(v->vm, pa, bytes + i, chunk) != 0
			  : !(b = gmem_ptr(v->vm, _gpa(pa), chunk, false))) {
			*why = WALK_HOST_FAIL;
			break;
		}
		if (!write)
			memcpy(bytes + i, b, chunk);
		i += chunk;
	}
	return i;
}

/* The linear address of RIP: CS.base + RIP outside 64-bit code, where the
 * base counts (real mode: selector * 16) and addresses wrap at 4 GiB. */
static uint64_t code_linear(const struct guest_paging *p, uint64_t rip)
{
	return p->cs_bits == 64 ? rip : (p->seg_base[1] + rip) & 0xffffffffULL;
}

static unsigned int fetch(struct vcpu *v, const struct guest_paging *p, uint64_t va, uint8_t *buf,
			  unsigned int n, enum walk_result *why)
{
	return (unsigned int)copy_linear(v, p, va, buf, n, false, why);
}

unsigned int guest_fetch(struct vcpu *v, uint64_t rip, uint8_t *buf, unsigned int n)
{
	struct guest_paging p;
	enum walk_result why;

	virt->get_paging(v, &p);
	return fetch(v, &p, code_linear(&p, rip), buf, n, &why);
}

bool guest_copy(struct vcpu *v, uint64_t va, void *buf, size_t n, bool write)
{
	struct guest_paging p;
	enum walk_result why;

	virt->get_paging(v, &p);
	return copy_linear(v, &p, va, buf, n, write, &why) == n;
}

bool guest_hypercall_insn(struct vcpu *v, uint64_t rip)
{
	uint8_t b[3];

	return guest_fetch(v, rip, b, 3) == 3 && b[0] == 0x0f && b[1] == 0x01 &&
	       (b[2] == 0xc1 || b[2] == 0xd9);
}

/* ---- MMIO emulation ---- */

typedef bool (*mmio_fn)(struct vcpu *v, uint64_t gpa, unsigned int size, bool write, uint64_t *val);

/*
 * Nothing answers there: guest-physical space that is neither RAM nor a
 * device (past the end of RAM, around the APIC pages, an APIC page while its
 * APIC is disabled, in x2APIC mode or moved away). As on a PC, and under KVM
 * and QEMU, reads float to all ones (of the access's size, which the caller
 * masks) and writes are lost; the VM's stats count each access and keep the
 * first address.
 */
static bool open_bus(struct vcpu *v, uint64_t gpa, unsigned int size, bool write, uint64_t *val)
{
	struct vm *vm = v->vm;

	if (!vm->open_bus.count++) {
		vm->open_bus.first_gpa = gpa;
		vm->open_bus.first_write = write;
	}
	if (!write)
		*val = ~0ULL;
	return true;
}

/* What answers at gpa: a range of the VM's bus (hv/dev/board.c: the I/O APIC, the
 * local APIC wherever IA32_APIC_BASE puts it in xAPIC mode), else open bus
 * anywhere else outside RAM below the guest's physical address width. NULL:
 * RAM, or an address no guest access can reach. */
static mmio_fn mmio_lookup(struct vcpu *v, uint64_t gpa)
{
	if (board_mmio_owns(v, gpa))
		return board_mmio;
	if (!vm_is_ram(v->vm, gpa, 1) && gpa < guest_phys_limit())
		return open_bus;
	return NULL;
}

bool emulate_mmio_owns(struct vcpu *v, uint64_t gpa)
{
	return mmio_lookup(v, gpa) != NULL;
}

static uint64_t size_mask(unsigned int size)
{
	return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

static uint64_t reg_get(struct vcpu *v, const struct mmio_insn *d, unsigned int reg, unsigned int size)
{
	if (d->high8 && size == 1)
		return (*guest_reg(&v->regs, reg - 4) >> 8) & 0xff;
	return *guest_reg(&v->regs, reg) & size_mask(size);
}

/* A register write of size bytes: 32-bit writes zero-extend, 8/16-bit merge. */
static void reg_set(struct vcpu *v, const struct mmio_insn *d, unsigned int reg, unsigned int size,
		    uint64_t val)
{
	uint64_t *r;

	if (d->high8 && size == 1) {
		r = guest_reg(&v->regs, reg - 4);
		*r = (*r & ~0xff00ULL) | ((val & 0xff) << 8);
		return;
	}
	r = guest_reg(&v->regs, reg);
	if (size >= 4)
		*r = val & size_mask(size);
	else
		*r = (*r & ~size_mask(size)) | (val & size_mask(size));
}

/*
 * The #PF the hardware would have raised at guest-linear addr, had its
 * translation not been cached (the instruction ran, so the TLB had one:
 * the guest changed its tables without invalidating). P = 0; W/R, U/S and
 * I/D (fetch, with NX on) as the access was.
 */
static enum vexit_action page_fault(struct vcpu *v, struct vexit *e, const struct guest_paging *p,
				    uint64_t addr, bool write, bool fetch_access)
{
	uint32_t err = (write ? 2u : 0) | (e->cpl == 3 ? 4u : 0);

	if (fetch_access && (p->efer & X86_EFER_NXE) && (p->cr4 & X86_CR4_PAE))
		err |= 16u;
	virt->set_cr2(v, p->cs_bits == 64 ? addr : addr & 0xffffffffULL);
	e->vector = 14;
	e->has_error = true;
	e->error = err;
	return VEXIT_INJECT;
}

/* A memory access of a string instruction at guest-linear va: device or RAM.
 * WALK_NOT_PRESENT with *fault_va set when the guest's tables do not map it. */
static enum walk_result string_access(struct vcpu *v, const struct guest_paging *p, uint64_t va,
				      unsigned int size, bool write, uint64_t *val, uint64_t *fault_va)
{
	uint8_t bytes[8];
	enum walk_result r;
	uint64_t pa;
	mmio_fn dev;

	if ((va & 0xfff) + size > PAGE_SIZE) { /* split at the page end, byte by byte */
		uint64_t b = 0, out = 0;

		for (unsigned int k = 0; k < size; k++) {
			b = write ? (*val >> (8 * k)) & 0xff : 0;
			if ((r = string_access(v, p, va + k, 1, write, &b, fault_va)))
				return r;
			out |= (b & 0xff) << (8 * k);
		}
		if (!write)
			*val = out;
		return WALK_OK;
	}
	if ((r = walk(v, p, va, &pa))) {
		*fault_va = va;
		return r;
	}
	if ((dev = mmio_lookup(v, pa)))
		return dev(v, pa, size, write, val) ? WALK_OK : WALK_HOST_FAIL;
	if (write) {
		memcpy(bytes, val, size);
		return gmem_write(v->vm, pa, bytes, size) ? WALK_HOST_FAIL : WALK_OK;
	}
	*val = 0;
	return gmem_read(v->vm, val, pa, size) ? WALK_HOST_FAIL : WALK_OK;
}

#define STRING_BATCH 256 /* iterations per exit; the rest after a re-entry */

/* MOVS/STOS, REP or not, where one side is device memory. In 64-bit mode only
 * FS/GS bases count; elsewhere the segment bases do (limits are not checked). */
static enum vexit_action emulate_string(struct vcpu *v, struct vexit *e,
					const struct guest_paging *p, const struct mmio_insn *d)
{
	struct guest_regs *r = &v->regs;
	uint64_t amask = size_mask(d->addr_size), count = d->rep ? r->rcx & amask : 1;
	int sseg = d->seg >= 0 ? d->seg : 3;
	uint64_t sbase = p->cs_bits == 64 ? (sseg >= 4 ? p->seg_base[sseg] : 0) : p->seg_base[sseg];
	uint64_t dbase = p->cs_bits == 64 ? 0 : p->seg_base[0];
	int64_t step = (p->rflags & X86_RFLAGS_DF) ? -(int64_t)d->size : (int64_t)d->size; /* DF */

	for (unsigned int k = 0; count && k < STRING_BATCH; k++) {
		uint64_t val = r->rax & size_mask(d->size), si = r->rsi & amask, di = r->rdi & amask;
		uint64_t fva = 0;
		enum walk_result w = WALK_OK;
		bool wr = false;

		/* A fault leaves the registers as the iterations done left them. */
		if (d->op == MMIO_MOVS)
			w = string_access(v, p, sbase + si, d->size, false, &val, &fva);
		if (!w) {
			wr = true;
			w = string_access(v, p, dbase + di, d->size, true, &val, &fva);
		}
		if (w == WALK_NOT_PRESENT)
			return page_fault(v, e, p, fva, wr, false);
		if (w) {
			vm_crash(v->vm, "string MMIO: %#lx not accessible (not RAM, discarded, or a "
				 "malformed device access)", fva ? fva : dbase + di);
			return VEXIT_STOP;
		}
		if (d->op == MMIO_MOVS)
			r->rsi = (r->rsi & ~amask) | ((si + (uint64_t)step) & amask);
		r->rdi = (r->rdi & ~amask) | ((di + (uint64_t)step) & amask);
		count--;
		if (d->rep)
			r->rcx = (r->rcx & ~amask) | count;
	}
	if (count)
		return VEXIT_RESUME; /* not done: the instruction restarts where it stopped */
	e->insn_len = d->len;
	return VEXIT_SKIP; /* Safe: string instruction emulated to its end */
}

static enum vexit_action mmio_stop(struct vcpu *v, uint64_t gpa, const char *what)
{
	vm_crash(v->vm, "MMIO access at gpa %#lx: %s", gpa, what);
	return VEXIT_STOP;
}

enum vexit_action emulate_mmio(struct vcpu *v, struct vexit *e, uint64_t gpa)
{
	struct guest_paging p;
	struct mmio_insn d;
	uint8_t insn[15];
	uint64_t lin, mem = 0, src, res, flags;
	mmio_fn dev = mmio_lookup(v, gpa);
	enum walk_result why;
	unsigned int n;
	int rc;

	virt->get_paging(v, &p);
	lin = code_linear(&p, e->rip);
	n = fetch(v, &p, lin, insn, sizeof(insn), &why);
	rc = mmio_decode(insn, n, p.cs_bits, &d);
	if (rc == -ENODATA && n < sizeof(insn)) {
		/* The rest of the instruction is on a page the guest's tables no
		 * longer map: the fetch fault it would get from hardware. */
		if (why == WALK_NOT_PRESENT)
			return page_fault(v, e, &p, lin + n, false, true);
		vm_crash(v->vm, "MMIO access at gpa %#lx: instruction fetch at linear %#lx stopped "
			 "after %u bytes (a page the host cannot read)", gpa, lin, n);
		return VEXIT_STOP;
	}
	if (rc) {
		char hex[3 * 4 + 1] = "";

		/* Only the bytes that could be fetched: the rest of insn[] is junk. */
		for (unsigned int k = 0; k < MIN(n, 4u); k++) {
			static const char digits[] = "0123456789abcdef";

			hex[3 * k] = ' ';
			hex[3 * k + 1] = digits[insn[k] >> 4];
			hex[3 * k + 2] = digits[insn[k] & 15];
			hex[3 * k + 3] = 0;
		}
		vm_crash(v->vm, "MMIO access at gpa %#lx by an instruction not emulated (%u bytes "
			 "fetched:%s)", gpa, n, n ? hex : " none");
		return VEXIT_STOP;
	}
	if (d.op == MMIO_MOVS || d.op == MMIO_STOS)
		return emulate_string(v, e, &p, &d);
	src = d.has_imm ? d.imm : reg_get(v, &d, d.reg, d.reg_size);
	if (d.read && !dev(v, gpa, d.size, false, &mem))
		return mmio_stop(v, gpa, "malformed access");
	mem &= size_mask(d.size);
	switch (d.op) {
	case MMIO_MOV:
		if (d.to_reg)
			reg_set(v, &d, d.reg, d.reg_size, mem);
		else if (!dev(v, gpa, d.size, true, &src))
			return mmio_stop(v, gpa, "malformed access");
		break;
	case MMIO_MOVZX:
		reg_set(v, &d, d.reg, d.reg_size, mem);
		break;
	case MMIO_MOVSX: {
		uint64_t sign = 1ULL << (8 * d.size - 1);

		reg_set(v, &d, d.reg, d.reg_size, (mem ^ sign) - sign);
		break;
	}
	case MMIO_XCHG:
		if (!dev(v, gpa, d.size, true, &src))
			return mmio_stop(v, gpa, "malformed access");
		reg_set(v, &d, d.reg, d.reg_size, mem);
		break;
	default: /* ALU */
		flags = p.rflags;
		if (d.to_reg) {
			res = mmio_alu(d.op, d.size, src, mem, &flags);
			if (d.op != MMIO_CMP && d.op != MMIO_TEST)
				reg_set(v, &d, d.reg, d.reg_size, res);
		} else {
			res = mmio_alu(d.op, d.size, mem, src, &flags);
			if (d.write && !dev(v, gpa, d.size, true, &res))
				return mmio_stop(v, gpa, "malformed access");
		}
		virt->set_rflags(v, flags);
		break;
	}
	e->insn_len = d.len;
	return VEXIT_SKIP; /* Safe: access emulated */
}
