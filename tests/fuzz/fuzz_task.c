/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: VT-x hardware task switches (arch/x86_64/vmx/vmx_task.c),
 * with the VMCS an array (fake_hw.c) and guest RAM the strict fake of
 * fake_gmem.c. The input builds a GDT (code, data, TSS and LDT descriptors,
 * or raw bytes), three TSSs and an LDT, a paging mode (off, 32-bit with a
 * 4 MiB page, PAE with a 2 MiB page, or IA-32e: no task switches), the
 * VMCS guest state (segments, TR, RIP, RFLAGS, the event being delivered
 * through a task gate) and then a series of task-switch exits: JMP, CALL,
 * IRET to the back link, and task gates, each starting from the state the
 * last one left.
 *
 * Checked besides ASan/UBSan after each exit: false exactly when the VM was
 * stopped; a fault raised before the switch (#TS, #NP, #GP with the
 * selector's error code) changes no register, no VMCS guest field and no
 * byte of RAM; a switch that is made leaves a guest state that passes the
 * VM-entry checks of what it wrote (SDM Vol. 3C §27.3.1: RFLAGS, TR, LDTR,
 * CS, SS and the data segments with unrestricted guest) and the task state
 * of SDM Vol. 3A §7.3 (TR busy and named by the selector, CR0.TS, NT for a
 * nested task, no interrupt shadow); and with paging off, it writes RAM only
 * in the old TSS's dynamic fields, the new TSS's back link, the GDT and LDT
 * (busy and accessed bits) and the new stack (an error code).
 */
#include "fake_gmem.h"

#include <asm/cpu.h>
#include <hv/vcpu/emulate.h>
#include <asm/guest_cpu.h>
#include <hv/vcpu/vcr.h>
#include <asm/virt.h>
#include <asm/vmx.h>
#include <asm/vmx_cpu.h>
#include <hv/vcpu/upcalls.h>
#include <hv/vm/vm.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGES 16
#define MEM ((uint64_t)PAGES << PAGE_SHIFT)
#define GDT_GPA 0x1000
#define LDT_GPA 0x2800
#define TSS_GPA 0x3000 /* three TSSs, 0x400 apart (a page each with paging) */
#define PD32_GPA 0x7000
#define PDPT_GPA 0x8000
#define PD_GPA 0x9000
#define GDT_ENTRIES 16
#define AR_UNUSABLE (1u << 16)

enum { TS_CALL, TS_IRET, TS_JMP, TS_GATE };

static struct vm vm;
static struct vcpu *const v = &vm.vcpus[0];
static uint8_t before[MEM];
static bool pdptes_bad; /* set_pdptes got a present PDPTE with reserved bits */

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

/* ---- the VT-x back end as vmx_task.c, vcr.c and emulate.c see it ---- */

static uint64_t fk_get_msr(struct vcpu *c, uint32_t msr)
{
	return msr == MSR_IA32_EFER ? fz_vmread(VMCS_GUEST_IA32_EFER) : 0;
}

static void fk_set_msr(struct vcpu *c, uint32_t msr, uint64_t val)
{
	if (msr == MSR_IA32_EFER)
		fz_vmwrite(VMCS_GUEST_IA32_EFER, val);
}

/* vmx_get_paging(): the mode from CR0, EFER and CS's L and D bits. */
static void fk_get_paging(struct vcpu *c, struct guest_paging *p)
{
	p->cr0 = fz_vmread(VMCS_GUEST_CR0);
	p->cr3 = fz_vmread(VMCS_GUEST_CR3);
	p->cr4 = fz_vmread(VMCS_GUEST_CR4);
	p->efer = fz_vmread(VMCS_GUEST_IA32_EFER);
	p->rflags = fz_vmread(VMCS_GUEST_RFLAGS);
	for (int s = SEG_ES; s <= SEG_GS; s++)
		p->seg_base[s] = fz_vmread(VMCS_SEG(VMCS_GUEST_ES_BASE, s));
	if (!(p->cr0 & X86_CR0_PE) || (p->rflags & X86_RFLAGS_VM)) {
		p->cs_bits = 16;
	} else {
		uint64_t ar = fz_vmread(VMCS_SEG(VMCS_GUEST_ES_AR, SEG_CS));

		bool l = (p->efer & X86_EFER_LMA) && (ar & (1u << 13));

		p->cs_bits = l ? 64 : ar & (1u << 14) ? 32 : 16;
	}
}

static uint64_t fk_get_cr(struct vcpu *c, unsigned int cr)
{
	return fz_vmread(cr == 0 ? VMCS_GUEST_CR0 : cr == 3 ? VMCS_GUEST_CR3 : VMCS_GUEST_CR4);
}

static void fk_set_cr(struct vcpu *c, unsigned int cr, uint64_t val)
{
	fz_vmwrite(cr == 0 ? VMCS_GUEST_CR0 : cr == 3 ? VMCS_GUEST_CR3 : VMCS_GUEST_CR4, val);
}

static void fk_set_pdptes(struct vcpu *c, const uint64_t pdpte[4])
{
	for (int i = 0; i < 4; i++) {
		if ((pdpte[i] & 1) && (pdpte[i] & 0xfff00000000001e6ULL))
			pdptes_bad = true;
		fz_vmwrite(VMCS_GUEST_PDPTE0 + 2 * i, pdpte[i]);
	}
}

static void fk_flush(struct vm *m)
{
}

/* The VT-x back end's own ops, as vmx_task.c calls them. */
const struct virt_ops vmx_ops = {
	.name = "fuzz",
	.get_msr = fk_get_msr,
	.set_msr = fk_set_msr,
	.get_paging = fk_get_paging,
	.get_cr = fk_get_cr,
	.set_cr = fk_set_cr,
	.set_pdptes = fk_set_pdptes,
	.flush_gpt = fk_flush,
};
const struct virt_ops *virt = &vmx_ops;

/* As vmx_exit.c queues an exception. */
void vmx_inject_exception(struct vcpu *c, uint8_t vector, bool has_error, uint32_t error)
{
	fz_vmwrite(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | vector |
						 (has_error ? INTR_INFO_ERROR_CODE : 0));
	if (has_error)
		fz_vmwrite(VMCS_ENTRY_EXCEPTION_ERROR, error);
}

/* An IPI to another vCPU: nothing runs elsewhere here. */
void vcpu_kick(struct vcpu *t)
{
	(void)t;
}

void vm_crash(struct vm *m, const char *fmt, ...)
{
	m->state = VM_STOPPED;
}

/* What the linked guest_cpu.c and lapic.c reach and this harness has not. */
void ioapic_eoi(struct ioapic *io, struct vcpu *c, uint8_t vector)
{
}

uint64_t tsc_hz = 2000000000;

/* emulate.c's MMIO path is not used by a task switch: no devices. */
bool board_mmio_owns(struct vcpu *c, uint64_t gpa)
{
	return false;
}

bool board_mmio(struct vcpu *c, uint64_t gpa, unsigned int size, bool write, uint64_t *val)
{
	abort();
}

/* ---- the guest ---- */

static void poke(uint64_t gpa, const void *p, size_t n)
{
	for (size_t i = 0; i < n && gpa + i < MEM; i++)
		*fg_host(gpa + i) = ((const uint8_t *)p)[i];
}

static uint64_t peek(uint64_t gpa, size_t n)
{
	uint64_t x = 0;

	for (size_t i = 0; i < n && gpa + i < MEM; i++)
		x |= (uint64_t)*fg_host(gpa + i) << (8 * i);
	return x;
}

/* A segment descriptor (SDM Vol. 3A §3.4.5). */
static uint64_t desc(uint32_t base, uint32_t limit, unsigned int type, bool s, unsigned int dpl,
		     bool p, unsigned int flags /* AVL L D/B G, bits 52-55 */)
{
	return (limit & 0xffffULL) | ((uint64_t)(base & 0xffffff) << 16) | ((uint64_t)type << 40) |
	       ((uint64_t)s << 44) | ((uint64_t)dpl << 45) | ((uint64_t)p << 47) |
	       ((uint64_t)((limit >> 16) & 0xf) << 48) | ((uint64_t)(flags & 0xf) << 52) |
	       ((uint64_t)(base >> 24) << 56);
}

static uint32_t tss_base(unsigned int i)
{
	return TSS_GPA + 0x400 * (i % 3);
}

/* A descriptor the input picks: mostly ones a task switch can use. */
static uint64_t any_desc(struct in *in)
{
	unsigned int k = (unsigned int)take(in, 1), dpl = (unsigned int)take(in, 1) & 3;
	bool p = take(in, 1) % 16 != 0;
	unsigned int g = take(in, 1) % 4 == 0 ? 8 : 0;
	uint32_t lim = g ? 0xfffff : 0xffff;

	switch (k % 10) {
	case 0:
		return 0;
	case 1:
	case 2: /* code: conforming or not, readable or not, 32-bit */
		return desc(0, lim, 8 | (take(in, 1) & 7), true, dpl, p, 4 | g);
	case 3:
	case 4: /* data: writable or not */
		return desc(take(in, 1) % 4 ? 0 : (uint32_t)take(in, 4), lim, take(in, 1) & 7, true, dpl,
			    p, 4 | g);
	case 5:
	case 6: /* 32-bit TSS, available or busy; limits around the minimum */
		return desc(tss_base(k / 10), take(in, 1) % 4 ? 0x67 : (uint32_t)take(in, 1) + 0x40,
			    take(in, 1) & 1 ? 11 : 9, false, dpl, p, take(in, 1) & 0xf);
	case 7: /* 16-bit TSS */
		return desc(tss_base(k / 10), 0x2b, take(in, 1) & 1 ? 3 : 1, false, dpl, p, 0);
	case 8: /* LDT */
		lim = take(in, 1) % 4 ? 0x1f : (uint32_t)take(in, 2);
		return desc(LDT_GPA, lim, 2, false, dpl, p, g);
	default:
		return take(in, 8);
	}
}

/* A selector into the GDT (or LDT), with an RPL. */
static uint16_t any_sel(struct in *in)
{
	uint16_t k = (uint16_t)take(in, 1);

	if (k < 200)
		return (uint16_t)((k % GDT_ENTRIES) << 3 | (k >> 4 & 3));
	if (k < 220)
		return (uint16_t)((k % 4) << 3 | 4 | (take(in, 1) & 3)); /* LDT */
	return (uint16_t)take(in, 2);
}

static uint32_t any_eflags(struct in *in)
{
	uint32_t f = 0x2 | (take(in, 1) & 1 ? X86_RFLAGS_IF : 0);

	switch (take(in, 1) % 8) {
	case 0:
		return f | (uint32_t)take(in, 4); /* reserved and VM bits too */
	case 1:
		return f | (1u << 14); /* NT */
	default:
		return f | ((uint32_t)take(in, 1) & 0xd5);
	}
}

static void build_tss(struct in *in, uint32_t base, uint64_t cr3)
{
	uint32_t t[26] = { 0 };

	t[0] = any_sel(in);                                  /* back link */
	t[7] = take(in, 1) % 4 ? (uint32_t)cr3 : (uint32_t)take(in, 4); /* CR3 */
	t[8] = (uint32_t)take(in, 4);                        /* EIP */
	t[9] = any_eflags(in);
	for (int i = 10; i < 18; i++)                        /* EAX..EDI */
		t[i] = take(in, 1) % 2 ? (uint32_t)take(in, 4) : 0x6000 + (uint32_t)take(in, 1) * 4;
	for (int i = 18; i < 24; i++)                        /* ES CS SS DS FS GS */
		t[i] = take(in, 1) % 4 ? (i == 19 ? 0x08 : i == 20 || take(in, 1) & 1 ? 0x10 : 0)
				       : any_sel(in); /* mostly the flat ring-0 segments */
	t[24] = take(in, 1) % 4 ? 0 : any_sel(in);           /* LDT */
	t[25] = (uint32_t)take(in, 1) & 1;                   /* T bit */
	poke(base, t, sizeof(t));
}

/* The VMCS segment register s from descriptor d with selector sel (as the
 * processor holds it), or unusable. */
static void seg_from(enum seg s, uint16_t sel, uint64_t d, bool usable)
{
	uint32_t limit = (uint32_t)((d & 0xffff) | ((d >> 32) & 0xf0000));

	if (d & (1ULL << 55))
		limit = limit << 12 | 0xfff;
	fz_vmwrite(VMCS_SEG(VMCS_GUEST_ES_SEL, s), sel);
	fz_vmwrite(VMCS_SEG(VMCS_GUEST_ES_BASE, s), ((d >> 16) & 0xffffff) | ((d >> 56) << 24));
	fz_vmwrite(VMCS_SEG(VMCS_GUEST_ES_LIMIT, s), limit);
	fz_vmwrite(VMCS_SEG(VMCS_GUEST_ES_AR, s), usable ? ((d >> 40) & 0xf0ff) | 1 : AR_UNUSABLE);
}

static void setup(struct in *in)
{
	unsigned int paging = (unsigned int)take(in, 1) % 8, tr = 1 + (unsigned int)take(in, 1) % 15;
	uint64_t cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE, cr3 = 0, cr4 = 0, efer = 0;
	uint64_t gdt[GDT_ENTRIES];

	/* A GDT with a flat code and data segment and the current task's TSS. */
	for (unsigned int i = 0; i < GDT_ENTRIES; i++)
		gdt[i] = any_desc(in);
	gdt[1] = take(in, 1) % 8 ? desc(0, 0xfffff, 0xb, true, 0, true, 0xc) : gdt[1];
	gdt[2] = take(in, 1) % 8 ? desc(0, 0xfffff, 0x3, true, 0, true, 0xc) : gdt[2];
	gdt[tr] = take(in, 1) % 8 ? desc(tss_base(0), 0x67, 11, false, 0, true, 0) : gdt[tr];
	poke(GDT_GPA, gdt, sizeof(gdt));
	for (unsigned int i = 0; i < 4; i++) {
		uint64_t d = any_desc(in);

		poke(LDT_GPA + 8 * i, &d, 8);
	}
	switch (paging) {
	case 0: /* 32-bit paging, one 4 MiB page */
		poke(PD32_GPA, &(uint32_t){ 0x83 }, 4);
		cr0 |= X86_CR0_PG;
		cr3 = PD32_GPA;
		cr4 = X86_CR4_PSE;
		break;
	case 1: /* PAE, one 2 MiB page */
		poke(PDPT_GPA, &(uint64_t){ PD_GPA | 1 }, 8);
		poke(PD_GPA, &(uint64_t){ 0x83 }, 8);
		cr0 |= X86_CR0_PG;
		cr3 = PDPT_GPA;
		cr4 = X86_CR4_PAE;
		break;
	case 2: /* IA-32e: task switches raise #GP */
		efer = X86_EFER_LME | X86_EFER_LMA;
		break;
	default:
		break;
	}
	for (unsigned int i = 0; i < 3; i++)
		build_tss(in, tss_base(i), cr3);
	fz_vmwrite(VMCS_GUEST_CR0, cr0);
	fz_vmwrite(VMCS_GUEST_CR3, cr3);
	fz_vmwrite(VMCS_GUEST_CR4, cr4);
	fz_vmwrite(VMCS_GUEST_IA32_EFER, efer);
	fz_vmwrite(VMCS_GUEST_GDTR_BASE, take(in, 1) % 8 ? GDT_GPA : take(in, 4));
	fz_vmwrite(VMCS_GUEST_GDTR_LIMIT, take(in, 1) % 8 ? GDT_ENTRIES * 8 - 1 : take(in, 2));
	seg_from(SEG_TR, (uint16_t)(tr << 3), gdt[tr], true);
	seg_from(SEG_LDTR, 0, 0, false);
	seg_from(SEG_CS, 0x08, gdt[1], true);
	for (int s = SEG_ES; s <= SEG_GS; s++)
		if (s != SEG_CS)
			seg_from((enum seg)s, 0x10, gdt[2], take(in, 1) % 8 != 0);
	fz_vmwrite(VMCS_GUEST_RIP, take(in, 4));
	fz_vmwrite(VMCS_GUEST_RFLAGS, any_eflags(in) & ~(X86_RFLAGS_VM | 0xffc08028ULL));
	fz_vmwrite(VMCS_GUEST_DR7, 0x400 | take(in, 1));
	fz_vmwrite(VMCS_GUEST_INTERRUPTIBILITY, take(in, 1) & 3);
	for (unsigned int i = 0; i < 16; i++)
		*guest_reg(&v->regs, i) = take(in, 1) % 2 ? take(in, 8) : 0x6000 + take(in, 1) * 4;
	v->regs.rsp = 0x6000 + take(in, 1) * 4;
}

/* ---- the checks ---- */

struct gstate {
	struct guest_regs regs;
	uint64_t f[64];
};

/* The VMCS guest fields a task switch may change. */
static const uint32_t fields[] = {
	VMCS_GUEST_RIP,	     VMCS_GUEST_RFLAGS,	  VMCS_GUEST_CR0,  VMCS_GUEST_CR3,
	VMCS_GUEST_CR4,	     VMCS_GUEST_IA32_EFER, VMCS_GUEST_DR7, VMCS_GUEST_INTERRUPTIBILITY,
	VMCS_GUEST_PDPTE0,   VMCS_GUEST_PDPTE0 + 2, VMCS_GUEST_PDPTE0 + 4, VMCS_GUEST_PDPTE0 + 6,
};

static void save(struct gstate *g)
{
	unsigned int n = 0;

	memset(g, 0, sizeof(*g));
	g->regs = v->regs;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		g->f[n++] = fz_vmread(fields[i]);
	for (int s = SEG_ES; s <= SEG_TR; s++) {
		g->f[n++] = fz_vmread(VMCS_SEG(VMCS_GUEST_ES_SEL, s));
		g->f[n++] = fz_vmread(VMCS_SEG(VMCS_GUEST_ES_BASE, s));
		g->f[n++] = fz_vmread(VMCS_SEG(VMCS_GUEST_ES_LIMIT, s));
		g->f[n++] = fz_vmread(VMCS_SEG(VMCS_GUEST_ES_AR, s));
	}
}

/* SDM Vol. 3C §27.3.1.2: limit and G agree. */
static bool limit_ok(uint64_t limit, uint64_t ar)
{
	if ((limit & 0xfff) != 0xfff && (ar & (1u << 15)))
		return false;
	return !((limit >> 20) && !(ar & (1u << 15)));
}

static const char *entry_check(void)
{
	uint64_t rflags = fz_vmread(VMCS_GUEST_RFLAGS);
	uint64_t ar[8], lim[8];
	uint16_t sel[8];

	for (int s = SEG_ES; s <= SEG_TR; s++) {
		ar[s] = fz_vmread(VMCS_SEG(VMCS_GUEST_ES_AR, s));
		lim[s] = fz_vmread(VMCS_SEG(VMCS_GUEST_ES_LIMIT, s));
		sel[s] = (uint16_t)fz_vmread(VMCS_SEG(VMCS_GUEST_ES_SEL, s));
		if ((ar[s] & AR_UNUSABLE) && s != SEG_TR)
			continue;
		if (ar[s] & 0xfffe0f00ULL)
			return "reserved bits of a segment's access rights";
		if (!(ar[s] & 0x80))
			return "a usable segment not present";
		if (!limit_ok(lim[s], ar[s]))
			return "a segment limit that G cannot express";
		if (fz_vmread(VMCS_SEG(VMCS_GUEST_ES_BASE, s)) >> 32)
			return "a segment base above 4 GiB";
	}
	if ((rflags & 0xffffffffffc08028ULL) || !(rflags & 2))
		return "reserved RFLAGS bits";
	if (rflags & X86_RFLAGS_VM)
		return "RFLAGS.VM";
	if ((fz_vmread(VMCS_GUEST_INTERRUPTIBILITY) & 1) && !(rflags & X86_RFLAGS_IF))
		return "STI blocking with IF clear";
	if ((ar[SEG_TR] & 0x1f) != 11 || (sel[SEG_TR] & 4))
		return "TR not a busy 32-bit TSS of the GDT";
	if (!(ar[SEG_LDTR] & AR_UNUSABLE) && ((ar[SEG_LDTR] & 0x1f) != 2 || (sel[SEG_LDTR] & 4)))
		return "LDTR not an LDT of the GDT";
	if ((ar[SEG_CS] & 0x19) != 0x19)
		return "CS not an accessed code segment";
	if (((ar[SEG_CS] & 4) ? ((ar[SEG_CS] >> 5) & 3) > ((ar[SEG_SS] >> 5) & 3)
			       : ((ar[SEG_CS] >> 5) & 3) != ((ar[SEG_SS] >> 5) & 3)))
		return "CS.DPL against SS.DPL";
	if ((ar[SEG_SS] & AR_UNUSABLE) || ((ar[SEG_SS] & 0x1f) != 0x13 && (ar[SEG_SS] & 0x1f) != 0x17))
		return "SS not an accessed writable data segment";
	for (int s = SEG_ES; s <= SEG_GS; s++) {
		if (s == SEG_CS || s == SEG_SS || (ar[s] & AR_UNUSABLE))
			continue;
		if (!(ar[s] & 0x10) || !(ar[s] & 1) || ((ar[s] & 8) && !(ar[s] & 2)))
			return "a data segment register not accessed data or readable code";
	}
	return NULL;
}

/* Paging off: may [gpa, gpa + 1) be written by the switch? */
static bool write_allowed(uint64_t gpa, uint64_t old_tr, uint64_t new_tr, uint64_t gdt,
			  uint64_t gdt_lim, uint64_t ldt, uint64_t ldt_lim, uint64_t stack)
{
	return (gpa >= old_tr + 0x20 && gpa < old_tr + 0x60) || (gpa >= new_tr && gpa < new_tr + 2) ||
	       (gpa >= gdt && gpa <= gdt + gdt_lim) || (gpa >= ldt && gpa <= ldt + ldt_lim) ||
	       (gpa >= stack && gpa < stack + 4);
}

static void switch_step(struct in *in)
{
	unsigned int src = (unsigned int)take(in, 1) % 4;
	uint64_t old_tr_base = fz_vmread(VMCS_SEG(VMCS_GUEST_ES_BASE, SEG_TR)), qual;
	uint16_t sel = any_sel(in);
	struct gstate g0, g1;
	const char *why;
	uint32_t info;
	bool ok;

	if (src == TS_IRET) /* IRET with NT: the back link of the current task */
		sel = (uint16_t)peek(old_tr_base & 0xffffffffULL, 2);
	qual = sel | (uint64_t)src << 30;
	fz_vmcs_set(VMCS_EXIT_INSTR_LEN, 1 + take(in, 1) % 15);
	if (src == TS_GATE && take(in, 1) % 2) {
		static const uint32_t types[] = { 0, 3 << 8, 4 << 8, 6 << 8,
						  3 << 8 | INTR_INFO_ERROR_CODE };

		fz_vmcs_set(VMCS_IDT_VECTORING_INFO, INTR_INFO_VALID | types[take(in, 1) % 5] |
							     (uint32_t)take(in, 1));
		fz_vmcs_set(VMCS_IDT_VECTORING_ERROR, take(in, 4));
	} else {
		fz_vmcs_set(VMCS_IDT_VECTORING_INFO, 0);
	}
	fz_vmwrite(VMCS_ENTRY_INTR_INFO, take(in, 1) % 4 ? 0 : INTR_INFO_VALID | 0x30);
	save(&g0);
	for (uint64_t g = 0; g < MEM; g += PAGE_SIZE)
		memcpy(before + g, fg_host(g), PAGE_SIZE);
	pdptes_bad = false;

	ok = vmx_task_switch(v, qual);
	fg_release();
	info = (uint32_t)fz_vmread(VMCS_ENTRY_INTR_INFO);
	if (ok != (vm.state != VM_STOPPED))
		die("task switch (source %u, selector %#x): returned %d, VM %s", src, sel, ok,
		    vm.state == VM_STOPPED ? "stopped" : "running");
	if (pdptes_bad)
		die("task switch: PDPTEs with reserved bits loaded");
	if (!ok)
		return;
	save(&g1);
	if (info & INTR_INFO_VALID) {
		uint8_t vec = (uint8_t)info;

		if ((vec != 10 && vec != 11 && vec != 13) || !(info & INTR_INFO_ERROR_CODE) ||
		    (fz_vmread(VMCS_ENTRY_EXCEPTION_ERROR) & ~0xfffcULL))
			die("task switch: injected %#x error %#lx", info,
			    fz_vmread(VMCS_ENTRY_EXCEPTION_ERROR));
		if (memcmp(&g0.regs, &g1.regs, sizeof(g0.regs)))
			die("task switch: #%u raised in the old task, but its registers changed", vec);
		for (size_t i = 0; i < sizeof(g0.f) / sizeof(g0.f[0]); i++)
			if (g0.f[i] != g1.f[i])
				die("task switch: #%u raised in the old task, but its state "
				    "changed (field %zu: %#lx -> %#lx)", vec, i, g0.f[i], g1.f[i]);
		for (uint64_t g = 0; g < MEM; g += PAGE_SIZE)
			if (memcmp(before + g, fg_host(g), PAGE_SIZE))
				die("task switch: #%u raised in the old task, but RAM changed", vec);
		return;
	}
	if ((why = entry_check()))
		die("task switch (source %u, selector %#x): VM entry would fail: %s", src, sel, why);
	if ((uint16_t)fz_vmread(VMCS_SEG(VMCS_GUEST_ES_SEL, SEG_TR)) != sel)
		die("task switch: TR is %#lx, not %#x",
		    fz_vmread(VMCS_SEG(VMCS_GUEST_ES_SEL, SEG_TR)), sel);
	if (!(fz_vmread(VMCS_GUEST_CR0) & X86_CR0_TS_BIT))
		die("task switch: CR0.TS clear");
	if ((src == TS_CALL || src == TS_GATE) && !(fz_vmread(VMCS_GUEST_RFLAGS) & (1u << 14)))
		die("task switch: a nested task without NT");
	if (fz_vmread(VMCS_GUEST_INTERRUPTIBILITY) & 3)
		die("task switch: an interrupt shadow survived");
	if (!(fz_vmread(VMCS_GUEST_CR0) & X86_CR0_PG)) {
		uint64_t gdt = fz_vmread(VMCS_GUEST_GDTR_BASE), gl = fz_vmread(VMCS_GUEST_GDTR_LIMIT);
		uint64_t ldt = fz_vmread(VMCS_SEG(VMCS_GUEST_ES_BASE, SEG_LDTR));
		uint64_t ll = fz_vmread(VMCS_SEG(VMCS_GUEST_ES_LIMIT, SEG_LDTR));
		uint64_t new_tr = fz_vmread(VMCS_SEG(VMCS_GUEST_ES_BASE, SEG_TR));
		uint64_t ss = fz_vmread(VMCS_SEG(VMCS_GUEST_ES_BASE, SEG_SS)) + (uint32_t)v->regs.rsp;

		for (uint64_t a = 0; a < MEM; a++) {
			if (!(a & (PAGE_SIZE - 1)) && !memcmp(before + a, fg_host(a), PAGE_SIZE)) {
				a += PAGE_SIZE - 1; /* page unchanged */
				continue;
			}
			if (before[a] != *fg_host(a) &&
			    !write_allowed(a, old_tr_base, new_tr, gdt, gl, ldt, ll, ss & 0xffffffffULL))
				die("task switch: RAM at %#lx written (old TSS %#lx, new %#lx, "
				    "GDT %#lx)", a, old_tr_base, new_tr, gdt);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vcpu_layer_init(); /* the back end's calls up: emulate.c, vcr.c */
	struct in in = { data, size };

	memset(&vm, 0, sizeof(vm));
	v->vm = &vm;
	vm.state = VM_RUNNING;
	fz_vmcs_clear();
	fz_cpu_default();
	fg_init(&vm, PAGES);
	setup(&in);
	for (unsigned int n = 0; in.n && n < 16 && vm.state != VM_STOPPED; n++)
		switch_step(&in);
	fg_destroy();
	return 0;
}
