/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: exit handling, vendor neutral. Neutral exit records
 * (struct vexit) go into vexit_handle() as a back end would hand them over,
 * and through it into vcr.c (MOV CR, EFER, mode switches, PDPTE loads),
 * guest_cpu.c (CPUID, MSRs), emulate.c (MMIO instructions on the local and
 * I/O APIC pages), the hypercalls, hv/vm/vm.c (guest-physical faults, the
 * timers) and hv/dev/board.c with every device of a VM on its bus (8259 pair, I/O
 * APIC, local APIC, 16550, PC platform ports, PCI configuration). Guest RAM
 * is the real one (hv/mem/gmem.c, hv/mem/pool.c, mm/ behind the EPT of the shim,
 * more RAM than the pool). The back end is a fake that holds the
 * architectural registers (CR0, CR3, CR4, EFER, RFLAGS, PDPTEs) as a VMCS
 * or VMCB would, with or without PDPTE loads (VT-x or SVM), over a CPU
 * whose features the input picks. Each input is a program: exits with
 * fields biased to what matters (ports, MSRs, x2APIC registers and IPIs,
 * CR values, instruction bytes for MMIO), guest stores, interrupt lines,
 * time passing with the timers ticked and interrupts delivered as a back
 * end delivers them, and host reclaim.
 *
 * Checked besides ASan/UBSan, after every exit: the action is one of the
 * four, VEXIT_STOP exactly when the VM stopped, a skip has a length of 1 to
 * 15, an injected exception is a fault vector with the right error-code
 * flag; the registers the back end was given obey the architecture (CR0
 * PG needs PE and NW needs CD, EFER.LMA is PG and LME, IA-32e needs PAE,
 * CR4 within what CPUID allows, no reserved bits in a loaded PDPTE); a RAM
 * fault that resumes leaves the page mapped for the access, or a discard
 * fault queued; the device state is within its registers' definitions
 * (local APIC: no vectors 0-15 in IRR/ISR/TMR, LVTs masked while software
 * disabled, timer armed only in its mode; I/O APIC: no reserved RTE bits,
 * remote IRR only on level pins; 8259, 16550, PIT); the next timer is in
 * the future; an interrupt delivered outranks everything in service; and
 * mm/'s invariants after every step, no frame leaked at the end.
 */
#include "platform.h"

#include <asm/cpu.h>
#include <hv/vcpu/emulate.h>
#include <asm/guest_cpu.h>
#include <hv/vcpu/vcr.h>
#include <asm/vexit.h>
#include <asm/virt.h>
#include <hv/mem/gmem.h>
#include <hv/hint/hint.h>
#include <hv/mem/pool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MEM_FRAMES 256 /* more than the shim's pool: RAM gets reclaimed */
#define PML4_GPA 0x10000
#define CODE_GPA 0x8000

static struct vm vm;
static struct vcpu *const v = &vm.vcpus[0];

/* The fake back end's registers. */
static struct fake_cpu {
	uint64_t cr0, cr3, cr4, efer, pat, fs_base, gs_base, rflags, cr2, pdpte[4], tsc_offset;
	uint64_t rip;
	unsigned int cs_bits;
	bool pdptes_bad;
} cpu, cpu0;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* ---- the fake back end ---- */

static void fk_get_paging(struct vcpu *c, struct guest_paging *p)
{
	*p = (struct guest_paging){ .cr0 = cpu.cr0, .cr3 = cpu.cr3, .cr4 = cpu.cr4,
				    .efer = cpu.efer, .rflags = cpu.rflags, .cs_bits = cpu.cs_bits };
}

static uint64_t fk_get_cr(struct vcpu *c, unsigned int n)
{
	return n == 0 ? cpu.cr0 : n == 3 ? cpu.cr3 : cpu.cr4;
}

static void fk_set_cr(struct vcpu *c, unsigned int n, uint64_t val)
{
	if (n == 0)
		cpu.cr0 = val;
	else if (n == 3)
		cpu.cr3 = val;
	else if (n == 4)
		cpu.cr4 = val;
	else
		die("set_cr(%u)", n);
}

static void fk_set_pdptes(struct vcpu *c, const uint64_t pdpte[4])
{
	for (int i = 0; i < 4; i++)
		if ((pdpte[i] & 1) && (pdpte[i] & 0xfff00000000001e6ULL))
			cpu.pdptes_bad = true;
	memcpy(cpu.pdpte, pdpte, sizeof(cpu.pdpte));
}

static uint64_t fk_get_msr(struct vcpu *c, uint32_t msr)
{
	switch (msr) {
	case MSR_IA32_EFER:
		return cpu.efer;
	case MSR_IA32_PAT:
		return cpu.pat;
	case MSR_FS_BASE:
		return cpu.fs_base;
	case MSR_GS_BASE:
		return cpu.gs_base;
	default:
		die("get_msr(%#x)", msr);
		return 0;
	}
}

static void fk_set_msr(struct vcpu *c, uint32_t msr, uint64_t val)
{
	switch (msr) {
	case MSR_IA32_EFER:
		cpu.efer = val;
		break;
	case MSR_IA32_PAT:
		cpu.pat = val;
		break;
	case MSR_FS_BASE:
		cpu.fs_base = val;
		break;
	case MSR_GS_BASE:
		cpu.gs_base = val;
		break;
	default:
		die("set_msr(%#x)", msr);
	}
}

static void fk_set_tsc_offset(struct vcpu *c, uint64_t offset)
{
	cpu.tsc_offset = offset;
}

static void fk_set_rflags(struct vcpu *c, uint64_t val)
{
	cpu.rflags = val;
}

static void fk_set_cr2(struct vcpu *c, uint64_t val)
{
	cpu.cr2 = val;
}

static const char *fk_exit_name(unsigned int reason)
{
	return "fuzz";
}

static void fk_dump(const struct vcpu *c)
{
}

static bool fk_inject_discard_fault(struct vcpu *c)
{
	fz_discard_faults++;
	return true;
}

static void fk_flush_gpt(struct vm *m)
{
}

/* A pending NMI goes in at once, as fz_deliver() takes it. */
static enum virt_nmi_gate fk_nmi_gate(struct vcpu *c)
{
	return VIRT_NMI_NOW;
}

/* VT-x: PDPTEs loaded on MOV CR; SVM: none (the nested walk reads them). */
#define FAKE_OPS(pdptes)                                                                   \
	{                                                                                  \
		.name = "fuzz", .fault_name = "EPT violation", .get_paging = fk_get_paging, \
		.get_cr = fk_get_cr, .set_cr = fk_set_cr, .set_pdptes = pdptes,            \
		.get_msr = fk_get_msr, .set_msr = fk_set_msr,                              \
		.set_tsc_offset = fk_set_tsc_offset, .set_rflags = fk_set_rflags,          \
		.set_cr2 = fk_set_cr2, .exit_name = fk_exit_name, .dump = fk_dump,         \
		.inject_discard_fault = fk_inject_discard_fault, .flush_gpt = fk_flush_gpt, \
		.nmi_gate = fk_nmi_gate,                                                    \
	}
static const struct virt_ops ops_vmx = FAKE_OPS(fk_set_pdptes), ops_svm = FAKE_OPS(NULL);

/* ---- input ---- */

static uint64_t take(struct fz_in *in, unsigned int bytes)
{
	return fz_take(in, bytes);
}

static uint64_t pick(struct fz_in *in, const uint64_t *list, size_t n)
{
	return list[take(in, 1) % n];
}

#define PICK(in, list) pick(in, list, sizeof(list) / sizeof(list[0]))

/* ---- exits ---- */

static const uint64_t ports[] = {
	0x20,  0x21,  0xa0,  0xa1,  0x4d0, 0x4d1, 0x40,	 0x41,	0x42,  0x43,  0x61,
	0x92,  0xcf9, 0x64,  0x70,  0x71,  0x80,  0x22,	 0x23,	0x3f8, 0x3f9, 0x3fa,
	0x3fb, 0x3fc, 0x3fd, 0x3fe, 0x3ff, 0x600, 0x602, 0x604, 0x608, 0x60a, 0xcf8,
	0xcfc, 0xcfe, 0xe9,  0xc000, 0xc010, 0x1234, 0xffff,
};

/* A value for port port: the commands and data the devices decode. */
static uint32_t port_value(struct fz_in *in, uint16_t port)
{
	static const uint64_t pic_cmd[] = { 0x11, 0x10, 0x20, 0x60, 0x62, 0x0a, 0x0b, 0x08 };
	static const uint64_t pit_cmd[] = { 0x34, 0x36, 0x30, 0x38, 0x3a, 0xb6, 0x00, 0xd2, 0xe2,
					    0xc2, 0x74, 0x14, 0x24 };
	static const uint64_t pm1[] = { 0x2001 | 5 << 10, 0x2001, 0x0001, 0xffff, 0x3c00 };

	if (take(in, 1) % 4 == 0)
		return (uint32_t)take(in, 4);
	switch (port) {
	case 0x20:
	case 0xa0:
		return (uint32_t)PICK(in, pic_cmd) | (uint32_t)(take(in, 1) & 7);
	case 0x43:
		return (uint32_t)PICK(in, pit_cmd);
	case 0x604:
		return (uint32_t)PICK(in, pm1);
	case 0x92:
	case 0xcf9:
	case 0x64:
		return (uint32_t)take(in, 1) & 0xfa; /* rarely a reset */
	case 0xcf8:
		return 0x80000000u | (uint32_t)take(in, 2);
	default:
		return (uint32_t)take(in, 1);
	}
}

static const uint64_t msrs[] = {
	MSR_IA32_EFER, MSR_IA32_PAT, MSR_FS_BASE, MSR_GS_BASE, 0x10, 0x3b, 0x1a0, MSR_IA32_APIC_BASE,
	MSR_IA32_TSC_DEADLINE, 0x3a, 0x17, 0x8b, 0xfe, 0x174, 0xc0000081, 0x8b, 0x802, 0x803, 0x808,
	0x80a, 0x80b, 0x80d, 0x80e, 0x80f, 0x810, 0x817, 0x818, 0x820, 0x827, 0x828, 0x82f, 0x830,
	0x830, 0x830, 0x831, 0x832, 0x832, 0x833, 0x834, 0x835, 0x836, 0x837, 0x838, 0x838, 0x839,
	0x83e, 0x83f, 0x83f,
};

/* An ICR value: an IPI of any delivery mode, shorthand and destination. */
static uint64_t icr(struct fz_in *in)
{
	uint64_t vec = take(in, 1) % 4 ? 0x20 + take(in, 1) % 0xe0 : take(in, 1);
	uint64_t mode = take(in, 1) % 8, sh = take(in, 1) % 4, k = take(in, 1);
	uint64_t dest = k % 4 == 0 ? 0 : k % 4 == 1 ? 0xffffffffULL : k % 4 == 2 ? take(in, 1) : 1;

	return vec | mode << 8 | (k & 0x10 ? 1u << 11 : 0) | (k & 0x20 ? 1u << 14 : 0) |
	       (k & 0x40 ? 1u << 15 : 0) | sh << 18 | dest << 32;
}

static uint64_t msr_value(struct fz_in *in, uint32_t msr)
{
	static const uint64_t bases[] = { 0xfee00900, 0xfee00d00, 0xfee00000, 0xfed00900,
					  0xfee00800, 0x10000900, 0xfee00400, 0x80000900 };
	static const uint64_t efer[] = { 0, X86_EFER_LME, X86_EFER_LME | X86_EFER_NXE | X86_EFER_SCE,
					 X86_EFER_NXE, X86_EFER_LMA, 1 << 9 };

	if (take(in, 1) % 8 == 0)
		return take(in, 8);
	switch (msr) {
	case MSR_IA32_APIC_BASE:
		return PICK(in, bases);
	case MSR_IA32_EFER:
		return PICK(in, efer);
	case 0x830:
		return icr(in);
	case 0x832: case 0x833: case 0x834: case 0x835: case 0x836: case 0x837: case 0x82f:
		return (take(in, 1) & 0xf0) | (take(in, 1) & 0x7) << 8 | (take(in, 1) % 8) << 13 |
		       (take(in, 1) % 4 ? 0 : 1u << 16) | (take(in, 1) % 4) << 17;
	case 0x80f:
		return take(in, 1) % 4 ? 0x1ff : take(in, 2);
	case 0x838:
	case 0x6e0:
		return fz_tsc + take(in, 3);
	case 0x80b:
		return take(in, 1) % 8 ? 0 : take(in, 1);
	default:
		return take(in, 1) % 2 ? take(in, 1) : take(in, 8);
	}
}

/* Instruction bytes at CODE_GPA for an MMIO access: a common form, or raw. */
static void put_insn(struct fz_in *in)
{
	static const uint8_t forms[][8] = {
		{ 3, 0x89, 0x03 },       /* mov %eax,(%rbx) */
		{ 3, 0x8b, 0x03 },       /* mov (%rbx),%eax */
		{ 4, 0x48, 0x89, 0x03 }, /* mov %rax,(%rbx) */
		{ 3, 0xc7, 0x03 },       /* movl $imm,(%rbx) (imm below) */
		{ 3, 0x83, 0x0b },       /* orl $imm8,(%rbx) */
		{ 3, 0x87, 0x03 },       /* xchg %eax,(%rbx) */
		{ 3, 0xf3, 0xab },       /* rep stosl */
		{ 3, 0xf3, 0xa5 },       /* rep movsl */
		{ 4, 0x0f, 0xb6, 0x03 }, /* movzbl (%rbx),%eax */
		{ 3, 0x85, 0x03 },       /* test %eax,(%rbx) */
	};
	uint8_t b[15];
	unsigned int k = (unsigned int)take(in, 1) % 12, n = 0;

	if (k < 10) {
		n = forms[k][0] - 1;
		memcpy(b, &forms[k][1], n);
	}
	while (n < sizeof(b))
		b[n++] = (uint8_t)take(in, 1);
	(void)gmem_write(&vm, CODE_GPA, b, sizeof(b));
	cpu.rip = CODE_GPA;
}

static uint64_t device_gpa(struct fz_in *in)
{
	uint64_t off = take(in, 1) % 4 ? (take(in, 1) & 0x3f) << 4 : take(in, 2) & 0xfff;

	switch (take(in, 1) % 4) {
	case 0:
		return IOAPIC_BASE + (take(in, 1) & 1 ? 0x10 : 0) + (off & 3);
	case 1:
		return APIC_DEFAULT_BASE + off;
	default:
		return (v->lapic.apic_base & ~0xfffULL & 0xffffffffffffULL) + off;
	}
}

static uint64_t cr_value(struct fz_in *in, unsigned int n)
{
	static const uint64_t cr0_bits[] = { X86_CR0_PG, X86_CR0_PE, X86_CR0_CD, X86_CR0_NW,
					     X86_CR0_WP, X86_CR0_TS_BIT, X86_CR0_NE, 1ULL << 32,
					     X86_CR0_PG | X86_CR0_PE };
	static const uint64_t cr4_bits[] = { X86_CR4_PAE, X86_CR4_PSE, X86_CR4_PGE, X86_CR4_SMEP,
					     X86_CR4_SMAP, X86_CR4_VMXE, X86_CR4_OSFXSR,
					     X86_CR4_FSGSBASE, 1ULL << 18, 1ULL << 12, X86_CR4_DE };

	if (take(in, 1) % 8 == 0)
		return take(in, 8);
	switch (n) {
	case 0:
		return cpu.cr0 ^ PICK(in, cr0_bits);
	case 3:
		return (take(in, 1) % MEM_FRAMES) << PAGE_SHIFT | (take(in, 1) & 0xe0);
	case 4:
		return cpu.cr4 ^ PICK(in, cr4_bits);
	default:
		return take(in, 1) % 16;
	}
}

static bool long_mode(void)
{
	return (cpu.efer & X86_EFER_LMA) && cpu.cs_bits == 64;
}

/* Registers for a hypercall: numbers and arguments near the edges. */
static void hypercall_regs(struct fz_in *in)
{
	struct guest_regs *r = &v->regs;

	r->rax = take(in, 1) % 8 ? take(in, 1) % 11 : take(in, 8);
	r->rbx = take(in, 1) % 4 ? take(in, 1) % MEM_FRAMES : take(in, 8);
	r->rcx = take(in, 1) % 4 ? take(in, 1) % 5 : take(in, 8);
	r->rdx = take(in, 1) % 4 ? take(in, 1) % 5 : take(in, 8);
	r->rsi = take(in, 8);
}

/* CPUID leaves, the ones guest_cpu.c filters first. */
static const uint64_t leaves[] = {
	0, 1, 6, 7, 0xa, 0xd, 0x15, 0x16, 0x40000000, 0x40000001, 0x80000001, 0x80000007, 0x8000000a,
	0x17,
};

/* A record of the kind the input picks, with its fields. */
static struct vexit make_exit(struct fz_in *in)
{
	struct vexit e = {
		.rip = cpu.rip,
		.rflags = cpu.rflags | (take(in, 1) % 16 == 0 ? X86_RFLAGS_TF : 0),
		.cpl = take(in, 1) % 16 == 0 ? 3 : 0,
		.long_mode = long_mode(),
		.insn_len = 1 + (unsigned int)take(in, 1) % 15,
	};
	unsigned int k = (unsigned int)take(in, 1) % 32;

	switch (k) {
	case 0:
	case 1:
	case 2:
	case 3:
	case 4:
		e.kind = VEXIT_IO;
		e.io.port = (uint16_t)(take(in, 1) % 8 ? PICK(in, ports) + take(in, 1) % 2
						       : take(in, 2));
		e.io.size = take(in, 1) % 16 ? (uint8_t[]){ 1, 2, 4, 1 }[take(in, 1) % 4]
					     : (uint8_t)take(in, 1);
		e.io.in = take(in, 1) & 1;
		e.io.string = take(in, 1) % 64 == 0;
		v->regs.rax = port_value(in, e.io.port);
		break;
	case 5:
	case 6:
	case 7:
	case 8:
	case 9:
	case 10: {
		uint32_t msr = take(in, 1) % 16 ? (uint32_t)PICK(in, msrs) : (uint32_t)take(in, 4);
		uint64_t val = msr_value(in, msr);

		e.kind = k < 7 ? VEXIT_RDMSR : VEXIT_WRMSR;
		v->regs.rcx = msr | (take(in, 1) % 8 ? 0 : take(in, 4) << 32);
		v->regs.rax = (uint32_t)val | (take(in, 1) % 8 ? 0 : take(in, 4) << 32);
		v->regs.rdx = val >> 32;
		break;
	}
	case 11:
	case 12:
	case 13:
	case 14:
		e.kind = VEXIT_GPT_FAULT;
		e.fault.access = 1u << (take(in, 1) % 3);
		if (k == 14) { /* RAM, or beyond */
			e.fault.gpa = take(in, 1) % 32 ? take(in, 3) % vm.mem_bytes : take(in, 5);
			break;
		}
		put_insn(in);
		e.rip = cpu.rip;
		e.fault.gpa = device_gpa(in);
		v->regs.rbx = e.fault.gpa;
		v->regs.rdi = e.fault.gpa;
		v->regs.rsi = take(in, 1) % 2 ? e.fault.gpa : take(in, 3) % vm.mem_bytes;
		v->regs.rcx = take(in, 1) % 8 ? take(in, 1) % 4 : take(in, 2);
		v->regs.rax = take(in, 1) % 2 ? take(in, 1) : take(in, 8);
		break;
	case 15:
	case 16:
	case 17:
	case 18:
		e.kind = VEXIT_CR_WRITE;
		e.cr.n = (unsigned int)(take(in, 1) % 16 ? (uint64_t[]){ 0, 3, 4, 8 }[take(in, 1) % 4]
							  : take(in, 1) % 16);
		e.cr.val = cr_value(in, e.cr.n);
		if (!e.long_mode)
			e.cr.val = (uint32_t)e.cr.val;
		break;
	case 19:
		e.kind = VEXIT_CR_READ;
		e.cr.n = (unsigned int)(take(in, 1) % 16 ? (uint64_t[]){ 0, 3, 4, 8 }[take(in, 1) % 4]
							  : take(in, 1) % 16);
		e.cr.gpr = (unsigned int)take(in, 1) % 16;
		break;
	case 20:
	case 21:
		e.kind = VEXIT_CPUID;
		v->regs.rax = take(in, 1) % 4 ? PICK(in, leaves) : take(in, 4);
		v->regs.rcx = take(in, 1) % 4;
		break;
	case 22:
		e.kind = VEXIT_HYPERCALL;
		hypercall_regs(in);
		break;
	case 23:
		e.kind = VEXIT_HLT;
		break;
	case 24:
		e.kind = VEXIT_REFLECT;
		e.vector = 17;
		e.has_error = true;
		break;
	case 25:
		e.kind = VEXIT_CACHE_FLUSH;
		break;
	case 26:
		e.kind = VEXIT_PAUSE;
		break;
	case 27:
		e.kind = VEXIT_RDPMC;
		break;
	case 28:
		e.kind = VEXIT_UD;
		break;
	case 29:
		e.kind = take(in, 1) & 1 ? VEXIT_NOTHING : VEXIT_INTR_WINDOW;
		break;
	case 30:
		e.kind = take(in, 1) % 16 == 0 ? VEXIT_SHUTDOWN : VEXIT_NOTHING;
		break;
	default: /* what a decode table might hold */
		e.kind = (enum vexit_kind)(take(in, 1) % 32 == 0 ? take(in, 1) : VEXIT_NOTHING);
		break;
	}
	return e;
}

/* ---- the checks ---- */

static void check_cpu(void)
{
	uint64_t efer_ok = X86_EFER_SCE | X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;

	if ((cpu.cr0 & X86_CR0_PG) && !(cpu.cr0 & X86_CR0_PE))
		die("CR0 %#lx: PG without PE", cpu.cr0);
	if ((cpu.cr0 & X86_CR0_NW) && !(cpu.cr0 & X86_CR0_CD))
		die("CR0 %#lx: NW without CD", cpu.cr0);
	if (cpu.cr0 >> 32)
		die("CR0 %#lx: bits 63:32", cpu.cr0);
	if (cpu.cr4 & ~guest_cr4_allowed())
		die("CR4 %#lx: bits CPUID does not allow (%#lx)", cpu.cr4, guest_cr4_allowed());
	if (cpu.efer & ~efer_ok)
		die("EFER %#lx: reserved bits", cpu.efer);
	if (!!(cpu.efer & X86_EFER_LMA) != ((cpu.cr0 & X86_CR0_PG) && (cpu.efer & X86_EFER_LME)))
		die("EFER %#lx, CR0 %#lx: LMA is not PG and LME", cpu.efer, cpu.cr0);
	if ((cpu.efer & X86_EFER_LMA) && !(cpu.cr4 & X86_CR4_PAE))
		die("IA-32e mode without CR4.PAE (%#lx)", cpu.cr4);
	if (cpu.pdptes_bad)
		die("a present PDPTE with reserved bits was loaded");
}

static bool has_error_code(uint8_t vec)
{
	return vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21;
}

static void check_action(const struct vexit *e, enum vexit_action act, bool was_ram_fault)
{
	if (act != VEXIT_RESUME && act != VEXIT_SKIP && act != VEXIT_INJECT && act != VEXIT_STOP)
		die("%s exit: action %d", vexit_kind_name(e->kind), act);
	/* STOP exactly when this run of the VM ended: stopped, or a reset
	 * request that restarts it (on_reset=restart). */
	if ((act == VEXIT_STOP) != (vm.state == VM_STOPPED || vm.state == VM_RESETTING))
		die("%s exit: action %d with the VM %s", vexit_kind_name(e->kind), act,
		    vm.state == VM_STOPPED ? "stopped" : vm.state == VM_RESETTING ? "resetting" :
		    "running");
	if (act == VEXIT_SKIP && (e->insn_len < 1 || e->insn_len > 15))
		die("%s exit: skip of %u bytes", vexit_kind_name(e->kind), e->insn_len);
	if (act != VEXIT_SKIP && e->single_step)
		die("%s exit: a single-step trap without a completed instruction",
		    vexit_kind_name(e->kind));
	if (act == VEXIT_INJECT && (e->vector >= 32 || e->vector == 2 || e->vector == 15 ||
				    e->has_error != has_error_code(e->vector)))
		die("%s exit: injects vector %u (error code %d)", vexit_kind_name(e->kind), e->vector,
		    e->has_error);
	if (was_ram_fault && act == VEXIT_RESUME && vm.state != VM_STOPPED &&
	    !fz_ept_allows(&vm, e->fault.gpa, e->fault.access & VEXIT_ACCESS_WRITE))
		die("fault at %#lx resumed, but the page is not mapped for it", e->fault.gpa);
}

static void tick(struct fz_in *in)
{
	static const uint64_t steps[] = { 1, 100, 1677, 1678, 10000, 16760, 1000000, 2000000, 60000000 };

	fz_tick(v, take(in, 1) % 4 ? PICK(in, steps) : take(in, 4));
	(void)fz_deliver(v, cpu.rflags & X86_RFLAGS_IF);
}

/* ---- the program ---- */

/* The last step may have changed mm/ (mm_check() is what a step costs most). */
static bool mm_touched;
/* The state before an exit. */
static struct vcpu vcpu0;

static bool step(struct fz_in *in)
{
	enum vexit_action act;
	struct vexit e;
	bool ram_fault;

	mm_touched = false;
	switch (take(in, 1) % 16) {
	case 0:
	case 1:
		tick(in);
		return true;
	case 2: /* a device's line */
		board_set_irq(&vm, (unsigned int)take(in, 1) % 16, take(in, 1) & 1);
		return true;
	case 3:
		mm_reclaim(&hv_mm, (uint32_t)take(in, 1) % 32 + 1);
		mm_touched = true;
		return true;
	case 4: /* the guest sets IF or not (STI, CLI, IRET) */
		cpu.rflags = (cpu.rflags & ~X86_RFLAGS_IF) | (take(in, 1) % 4 ? X86_RFLAGS_IF : 0);
		return true;
	default:
		break;
	}
	e = make_exit(in);
	mm_touched = e.kind == VEXIT_GPT_FAULT || e.kind == VEXIT_HYPERCALL || e.kind == VEXIT_CR_WRITE;
	ram_fault = e.kind == VEXIT_GPT_FAULT && vm_is_ram(&vm, e.fault.gpa, 1);
	cpu0 = cpu;
	vcpu0 = *v;
	act = vexit_handle(v, &e);
	check_action(&e, act, ram_fault);
	if (act == VEXIT_STOP)
		return false;
	check_cpu();
	/* An instruction that faults did not execute: a MOV CR or WRMSR that
	 * raised #GP changed no register, MSR or APIC state. */
	if (act == VEXIT_INJECT && (e.kind == VEXIT_CR_WRITE || e.kind == VEXIT_WRMSR) &&
	    (memcmp(&cpu0, &cpu, sizeof(cpu)) || memcmp(&vcpu0, v, sizeof(*v))))
		die("%s raised #%u but changed the vCPU's state", vexit_kind_name(e.kind), e.vector);
	if (act == VEXIT_SKIP)
		cpu.rip += e.insn_len;
	return true;
}

/* The start state of the image formats: long mode (hvboot, Linux), 32-bit
 * protected mode (multiboot), or real mode. */
static void start(struct fz_in *in)
{
	uint8_t k = (uint8_t)take(in, 1);

	memset(&cpu, 0, sizeof(cpu));
	cpu.rflags = X86_RFLAGS_FIXED | X86_RFLAGS_IF;
	cpu.pat = 0x0007040600070406ULL;
	cpu.rip = CODE_GPA;
	switch (k % 3) {
	case 0: {
		/* 4-level tables: RAM at 0 and the APIC pages, 2 MiB pages. */
		uint64_t t[4][512] = { { 0 } };

		t[0][0] = (PML4_GPA + PAGE_SIZE) | 3;
		t[1][0] = (PML4_GPA + 2 * PAGE_SIZE) | 3;
		t[1][3] = (PML4_GPA + 3 * PAGE_SIZE) | 3;
		t[2][0] = 0x83;
		t[3][0x1f6] = 0xfec00083;
		t[3][0x1f7] = 0xfee00083;
		if (gmem_write(&vm, PML4_GPA, t, sizeof(t)))
			abort();
		cpu.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_ET | X86_CR0_NE;
		cpu.cr3 = PML4_GPA;
		cpu.cr4 = X86_CR4_PAE;
		cpu.efer = X86_EFER_LME | X86_EFER_LMA;
		cpu.cs_bits = 64;
		break;
	}
	case 1:
		cpu.cr0 = X86_CR0_PE | X86_CR0_ET;
		cpu.cs_bits = 32;
		break;
	default:
		cpu.cr0 = X86_CR0_ET;
		cpu.cs_bits = 16;
		break;
	}
	virt = k & 4 ? &ops_svm : &ops_vmx;
	/* The CPU under the guest: some features the input hides, but not
	 * PAE and long mode, which the start state may use. */
	fz_cpu_default();
	if (k & 8) {
		fz_cpu.leaf1.ecx &= (uint32_t)take(in, 4);
		fz_cpu.leaf1.edx &= (uint32_t)take(in, 4) | 1u << 6;
		fz_cpu.leaf7.ebx &= (uint32_t)take(in, 4);
		fz_cpu.leaf81.edx &= (uint32_t)take(in, 4) | 1u << 29;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };

	fz_tsc = 1000000000;
	fz_vm_create(&vm, MEM_FRAMES * PAGE_SIZE, fz_take(&in, 1) & 1);
	vm.state = VM_RUNNING;
	fz_platform_init(&vm);
	guest_cpu_init(v);
	start(&in);
	check_cpu();
	for (unsigned int n = 0; in.n && n < 256; n++) {
		if (!step(&in))
			break;
		fz_check_devices(&vm);
		if (mm_touched)
			fz_mm_check();
	}
	vm_console_flush(&vm);
	fz_vm_destroy(&vm);
	return 0;
}
