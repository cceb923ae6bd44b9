/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: the vendor-neutral exit handlers (hv/vcpu/vexit.c and the
 * xAPIC path of emulate.c), fed neutral exit records; no VMCS or VMCB. The
 * back end is a fake ops table, the devices and the fault path below are
 * recording stubs, guest RAM is a small array.
 */
#include "unit.h"
#include <asm/cpu.h>
#include <hv/vcpu/emulate.h>
#include <asm/guest_cpu.h>
#include <hv/vcpu/cpu_model.h>
#include <hv/vcpu/vcr.h>
#include <asm/vexit.h>
#include <asm/virt.h>
#include <hv/mem/gmem.h>
#include <hv/vm/vm.h>
#include <stdio.h>
#include <string.h>

static struct vm vm;
static struct vcpu *v = &vm.vcpus[0];
static uint8_t ram[4 * PAGE_SIZE];
static struct {
	unsigned int io, faults, crashes;
	uint16_t port;
	unsigned int size;
	bool in;
	uint32_t out_val;
	uint64_t gpa;
	uint32_t access;
	unsigned int cr4_writes, flushes, pdpte_loads;
	uint64_t cr0, cr3, cr4, efer, pdpte[4];
	uint64_t rflags, cr2;
	enum virt_nmi_gate nmi_gate; /* what the back end says of a pending NMI */
} seen;

/* What the fake CPUID shows in leaves 1, 7 (subleaf 0) and 8000_0001h. */
static struct cpuid_regs leaf1, leaf7, leaf81;

/* ---- the fake back end ---- */

static struct guest_paging fake_paging;

static void fake_get_paging(struct vcpu *c, struct guest_paging *p)
{
	/* Default: paging off, linear == physical; 64-bit code (a fake: no such
	 * mode). Tests of other modes set fake_paging. */
	*p = fake_paging.cs_bits ? fake_paging
				 : (struct guest_paging){ .cr0 = 1, .cs_bits = 64 };
	p->rflags = seen.rflags;
}

static void fake_set_rflags(struct vcpu *c, uint64_t val)
{
	seen.rflags = val;
}

static void fake_set_cr2(struct vcpu *c, uint64_t val)
{
	seen.cr2 = val;
}

static const char *fake_exit_name(unsigned int reason)
{
	return "fake";
}

static void fake_dump(const struct vcpu *c)
{
}

static uint64_t fake_get_cr(struct vcpu *c, unsigned int cr)
{
	return cr == 0 ? seen.cr0 : cr == 3 ? seen.cr3 : seen.cr4;
}

static void fake_set_cr(struct vcpu *c, unsigned int cr, uint64_t val)
{
	if (cr == 0) {
		seen.cr0 = val;
	} else if (cr == 3) {
		seen.cr3 = val;
	} else {
		seen.cr4_writes++;
		seen.cr4 = val;
	}
}

static void fake_set_pdptes(struct vcpu *c, const uint64_t pdpte[4])
{
	seen.pdpte_loads++;
	memcpy(seen.pdpte, pdpte, sizeof(seen.pdpte));
}

static uint64_t fake_get_msr(struct vcpu *c, uint32_t msr)
{
	return msr == MSR_IA32_EFER ? seen.efer : 0;
}

static void fake_set_msr(struct vcpu *c, uint32_t msr, uint64_t val)
{
	if (msr == MSR_IA32_EFER)
		seen.efer = val;
}

static void fake_flush(struct vm *m)
{
	seen.flushes++;
}

static enum virt_nmi_gate fake_nmi_gate(struct vcpu *c)
{
	return seen.nmi_gate;
}

static const struct virt_ops fake_ops = {
	.name = "fake",
	.get_paging = fake_get_paging,
	.get_cr = fake_get_cr,
	.set_cr = fake_set_cr,
	.set_pdptes = fake_set_pdptes,
	.get_msr = fake_get_msr,
	.set_msr = fake_set_msr,
	.flush_gpt = fake_flush,
	.nmi_gate = fake_nmi_gate,
	.set_rflags = fake_set_rflags,
	.set_cr2 = fake_set_cr2,
	.exit_name = fake_exit_name,
	.dump = fake_dump,
};

const struct virt_ops *virt = &fake_ops;

/* ---- what the handlers call ---- */

/* An IPI to another vCPU: nothing runs elsewhere here. */
void vcpu_kick(struct vcpu *t)
{
	(void)t;
}

void vm_crash(struct vm *m, const char *fmt, ...)
{
	seen.crashes++;
	snprintf(m->stop_reason, sizeof(m->stop_reason), "%s", fmt);
	m->state = VM_STOPPED;
}

bool board_io(struct vcpu *c, uint16_t port, unsigned int size, bool in, uint32_t *val)
{
	seen.io++;
	seen.port = port;
	seen.size = size;
	seen.in = in;
	if (port == HV_DEBUG_EXIT_PORT) {
		c->vm->state = VM_STOPPED;
		return true;
	}
	if (port == 0x3f8) {
		if (in)
			*val = 0xa5;
		else
			seen.out_val = *val;
		return true;
	}
	return false;
}

/* The device bus with only the local APIC page on it. */
bool board_mmio_owns(struct vcpu *c, uint64_t gpa)
{
	return lapic_mmio_owns(&c->lapic, gpa);
}

bool board_mmio(struct vcpu *c, uint64_t gpa, unsigned int size, bool write, uint64_t *val)
{
	return lapic_mmio_owns(&c->lapic, gpa) && lapic_mmio(c, gpa, size, write, val);
}

void vcpu_gpt_fault(struct vcpu *c, gpa_t gpa, uint64_t gla, bool gla_valid, uint32_t access)
{
	seen.faults++;
	seen.gpa = gpa_x(gpa);
	seen.access = access;
}

void *gmem_ptr(struct vm *m, gpa_t gpa, size_t len, bool write)
{
	return gpa_x(gpa) + len <= sizeof(ram) ? ram + gpa_x(gpa) : NULL;
}

int gmem_write(struct vm *m, uint64_t gpa, const void *src, size_t n)
{
	if (gpa + n > sizeof(ram))
		return -ERANGE;
	memcpy(ram + gpa, src, n);
	return 0;
}

int gmem_read(struct vm *m, void *dst, uint64_t gpa, size_t n)
{
	if (gpa + n > sizeof(ram))
		return -ERANGE;
	memcpy(dst, ram + gpa, n);
	return 0;
}

struct cpuid_regs guest_cpuid(struct vcpu *c, uint32_t leaf, uint32_t subleaf)
{
	if (leaf == 1)
		return leaf1;
	if (leaf == 7 && subleaf == 0)
		return leaf7;
	if (leaf == 0x80000001)
		return leaf81;
	return (struct cpuid_regs){ leaf, subleaf, 0x1234, 0x5678 };
}

uint64_t guest_cr4_allowed(void)
{
	return cr4_allowed_by(leaf1.ecx, leaf1.edx, leaf7.ebx, leaf7.ecx);
}

uint64_t guest_phys_limit(void)
{
	return 1ULL << 36;
}

bool guest_rdmsr(struct vcpu *c, uint32_t msr, uint64_t *val)
{
	if (msr != 0x10)
		return false;
	*val = 0x1122334455667788ULL;
	return true;
}

bool guest_wrmsr(struct vcpu *c, uint32_t msr, uint64_t val)
{
	return msr == 0x10 && val == 0xaabbccdd00112233ULL;
}

static void setup(void)
{
	memset(&vm, 0, sizeof(vm));
	vm.nr_vcpus = 1;
	memset(&seen, 0, sizeof(seen));
	memset(ram, 0, sizeof(ram));
	v->vm = &vm;
	vm.mem_bytes = sizeof(ram);
	vm.nr_frames = sizeof(ram) >> PAGE_SHIFT;
	vm.state = VM_RUNNING;
	lapic_reset(&v->lapic, 0);
	/* A CPU with VME DE PSE TSC PAE MCE PGE FXSR SSE, SMEP, SYSCALL NX LM. */
	leaf1 = (struct cpuid_regs){ 0, 0, 0,
				     (1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 6) |
					     (1u << 7) | (1u << 13) | (1u << 24) | (1u << 25) };
	leaf7 = (struct cpuid_regs){ 0, 1u << 7, 0, 0 };
	leaf81 = (struct cpuid_regs){ 0, 0, 0, (1u << 11) | (1u << 20) | (1u << 29) };
	seen.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE; /* multiboot start state */
	memset(&fake_paging, 0, sizeof(fake_paging));
}

static struct vexit rec(enum vexit_kind kind, unsigned int len)
{
	return (struct vexit){ .kind = kind, .insn_len = len, .rflags = X86_RFLAGS_IF };
}

START_TEST(cpuid_fills_registers_and_skips)
{
	struct vexit e = rec(VEXIT_CPUID, 2);

	v->regs.rax = 7;
	v->regs.rcx = 1;
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_SKIP);
	ck_assert_uint_eq(v->regs.rax, 7);
	ck_assert_uint_eq(v->regs.rbx, 1);
	ck_assert_uint_eq(v->regs.rcx, 0x1234);
	ck_assert_uint_eq(v->regs.rdx, 0x5678);
	ck_assert_uint_eq(e.insn_len, 2);
}
END_TEST

START_TEST(hlt_halts_or_stops)
{
	struct vexit e = rec(VEXIT_HLT, 1);

	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_SKIP);
	ck_assert(v->halted);
	v->halted = false;
	e.rflags = X86_RFLAGS_FIXED; /* IF clear: nothing could ever wake it */
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_STOP);
	ck_assert(!v->halted);
	ck_assert_uint_eq(seen.crashes, 1);
	ck_assert_int_eq(vm.state, VM_STOPPED);
}
END_TEST

/*
 * HLT with interrupts off on a VM of two vCPUs: it waits for an NMI, and
 * the VM stops only when no vCPU is left to send one (or a SIPI). A
 * sibling with an NMI pending, or a SIPI, is about to run: a guest whose
 * vCPU sent its halted sibling an NMI and halted at once, to be woken by
 * the answer, was stopped (tests/guest/cli-spin on one host CPU).
 */
static struct vcpu *const sib = &vm.vcpus[1];

static enum vexit_action hlt_off(void)
{
	struct vexit e = rec(VEXIT_HLT, 1);

	e.rflags = X86_RFLAGS_FIXED;
	v->halted = v->halted_nmi_only = false;
	vm.state = VM_RUNNING;
	return vexit_handle(v, &e);
}

static void two_vcpus(void)
{
	vm.nr_vcpus = 2;
	sib->vm = &vm;
	sib->id = 1;
	lapic_reset(&sib->lapic, 1);
}

START_TEST(hlt_nmi_only_waits_for_a_sibling)
{
	struct vexit e;

	two_vcpus();
	ck_assert_int_eq(hlt_off(), VEXIT_SKIP);          /* the sibling runs */
	ck_assert(v->halted && v->halted_nmi_only);
	sib->halted = sib->halted_nmi_only = true;
	sib->lapic.nmi_pending = true;                     /* woken next */
	ck_assert_int_eq(hlt_off(), VEXIT_SKIP);
	sib->lapic.nmi_pending = false;
	ck_assert_int_eq(hlt_off(), VEXIT_STOP);           /* nobody left */
	ck_assert_uint_eq(seen.crashes, 1);
	v->lapic.nmi_pending = true;                       /* ours, and it can go in */
	seen.nmi_gate = VIRT_NMI_NOW;
	ck_assert_int_eq(hlt_off(), VEXIT_SKIP);
	seen.nmi_gate = VIRT_NMI_WAIT;                     /* ours, blocked (in its handler) */
	ck_assert_int_eq(hlt_off(), VEXIT_STOP);
	v->lapic.nmi_pending = false;
	sib->halted = sib->halted_nmi_only = false;
	sib->lapic.init_received = sib->lapic.sipi_received = true; /* starts next */
	ck_assert_int_eq(hlt_off(), VEXIT_SKIP);
	sib->lapic.sipi_received = false;                  /* waits for a SIPI */
	ck_assert_int_eq(hlt_off(), VEXIT_STOP);
	ck_assert_uint_eq(seen.crashes, 3);

	/* An INIT to ourselves: the same rule. */
	sib->lapic.init_received = false;
	vm.state = VM_RUNNING;
	v->halted = false;
	v->lapic.init_received = true;
	e = rec(VEXIT_NOTHING, 0);
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_RESUME); /* the sibling can SIPI us */
	ck_assert(v->halted);
	sib->halted = sib->halted_nmi_only = true;
	v->halted = false;
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_STOP);
	ck_assert_uint_eq(seen.crashes, 4);
}
END_TEST

START_TEST(hypercall_result_in_rax)
{
	struct vexit e = rec(VEXIT_HYPERCALL, 3);

	e.long_mode = true;
	v->regs.rax = HV_HC_GET_VERSION;
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_SKIP);
	ck_assert_uint_eq(v->regs.rax, HV_ABI_VERSION);
	e.cpl = 3;
	v->regs.rax = HV_HC_GET_VERSION;
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_SKIP); /* the error is the result */
	ck_assert_int_eq((int64_t)v->regs.rax, -HV_EPERM);
	/* Not in 64-bit mode: the low 32 bits of RAX, a 32-bit result. */
	e.long_mode = false;
	v->regs.rax = 0xffffffff00000000ULL | HV_HC_GET_VERSION;
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_SKIP);
	ck_assert_uint_eq(v->regs.rax, (uint32_t)-HV_EPERM);
}
END_TEST

/* A long call in parts: each but the last is entered again at the same
 * instruction (VEXIT_AGAIN), RAX untouched and no single-step trap; the
 * last completes as any call. */
START_TEST(long_call_goes_again)
{
	struct vexit e = rec(VEXIT_HYPERCALL, 3);
	unsigned int parts = 1;

	e.long_mode = true;
	e.rip = 0x100000;
	e.rflags |= X86_RFLAGS_TF;
	hc_chunk_gfns = 1;
	v->regs = (struct guest_regs){ .rax = HV_HC_SET_RANGE_STATE, .rbx = 0, .rcx = 4, .rdx = 1 };
	while (vexit_handle(v, &e) == VEXIT_AGAIN) {
		ck_assert(!e.single_step);
		ck_assert_uint_eq(v->regs.rax, HV_HC_SET_RANGE_STATE);
		ck_assert_uint_lt(parts++, 10);
	}
	hc_chunk_gfns = HC_CHUNK_GFNS;
	ck_assert_uint_eq(parts, 4);
	ck_assert_uint_eq(v->regs.rax, 4);
	ck_assert(e.single_step); /* the trap comes once, when the call completes */
}
END_TEST

START_TEST(port_io_sizes_and_floating_bus)
{
	struct vexit e = rec(VEXIT_IO, 1);

	e.io.port = 0x3f8;
	e.io.size = 1;
	v->regs.rax = 0xffffff41;
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_SKIP);
	ck_assert(!seen.in);
	ck_assert_uint_eq(seen.out_val, 0xffffff41); /* the device masks by size */
	e.io.in = true;
	v->regs.rax = 0x1111111111111111ULL;
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_SKIP);
	ck_assert_uint_eq(v->regs.rax, 0x11111111111111a5ULL); /* 8-bit IN merges */
	e.io.size = 4;
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_SKIP);
	ck_assert_uint_eq(v->regs.rax, 0xa5); /* 32-bit IN zero-extends */
	e.io.port = 0x1234;
	e.io.size = 2;
	v->regs.rax = 0;
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_SKIP);
	ck_assert_uint_eq(v->regs.rax, 0xffff); /* nothing there */
	ck_assert_uint_eq(seen.io, 4);
	ck_assert_uint_eq(seen.crashes, 0);
}
END_TEST

START_TEST(port_io_malformed_and_debug_exit)
{
	struct vexit e = rec(VEXIT_IO, 1);

	e.io.port = 0x3f8;
	e.io.size = 3;
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_STOP);
	ck_assert_uint_eq(seen.io, 0);
	setup();
	e.io.size = 1;
	e.io.string = true;
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_STOP);
	ck_assert_uint_eq(seen.crashes, 1);
	setup();
	e.io.string = false;
	e.io.port = HV_DEBUG_EXIT_PORT;
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_STOP); /* stopped: never skip into it */
	ck_assert_uint_eq(seen.crashes, 0);
}
END_TEST

START_TEST(msr_known_skips_unknown_injects_gp)
{
	struct vexit e = rec(VEXIT_RDMSR, 2);

	v->regs.rcx = 0x10;
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_SKIP);
	ck_assert_uint_eq(v->regs.rax, 0x55667788);
	ck_assert_uint_eq(v->regs.rdx, 0x11223344);
	v->regs.rcx = 0x999;
	v->regs.rax = 1;
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_INJECT);
	ck_assert_uint_eq(e.vector, 13);
	ck_assert(e.has_error);
	ck_assert_uint_eq(e.error, 0);
	ck_assert_uint_eq(v->regs.rax, 1); /* untouched on #GP */
	e = rec(VEXIT_WRMSR, 2);
	v->regs.rcx = 0x10;
	v->regs.rdx = 0xaabbccdd;
	v->regs.rax = 0xffffffff00112233ULL; /* the upper half of RAX is ignored */
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_SKIP);
	v->regs.rax = 0;
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_INJECT);
	ck_assert_uint_eq(vm.unknown_msrs, 2);
}
END_TEST

START_TEST(guest_physical_fault_goes_to_memory)
{
	struct vexit e = rec(VEXIT_GPT_FAULT, 0);

	e.fault.gpa = 0x2018;
	e.fault.access = VEXIT_ACCESS_WRITE;
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_RESUME); /* the access runs again */
	ck_assert_uint_eq(seen.faults, 1);
	ck_assert_uint_eq(seen.gpa, 0x2018);
	ck_assert_uint_eq(seen.access, VEXIT_ACCESS_WRITE);
}
END_TEST

START_TEST(xapic_access_is_emulated)
{
	struct vexit e = rec(VEXIT_GPT_FAULT, 0);
	uint64_t tpr = 0;

	/* mov %ecx,(%rax) at RIP 0x1000, paging off, to the xAPIC TPR. */
	ram[0x1000] = 0x89;
	ram[0x1001] = 0x08;
	e.rip = 0x1000;
	e.fault.gpa = 0xfee00080;
	e.fault.access = VEXIT_ACCESS_WRITE;
	v->regs.rax = 0xfee00080;
	v->regs.rcx = 0x20;
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_SKIP);
	ck_assert_uint_eq(e.insn_len, 2);
	ck_assert_uint_eq(seen.faults, 0);
	ck_assert(lapic_mmio(v, 0xfee00080, 4, false, &tpr));
	ck_assert_uint_eq(tpr, 0x20);
	/* mov (%rax),%edx reads it back, zero-extended into RDX. */
	ram[0x1001] = 0x8b;
	ram[0x1002] = 0x10;
	e.rip = 0x1001;
	e.insn_len = 0;
	v->regs.rdx = ~0ULL;
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_SKIP);
	ck_assert_uint_eq(e.insn_len, 2);
	ck_assert_uint_eq(v->regs.rdx, 0x20);
	/* An instruction the decoder does not know stops the VM (imul (%rax),%edx). */
	ram[0x1001] = 0x0f;
	ram[0x1002] = 0xaf;
	ram[0x1003] = 0x10;
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_STOP);
	ck_assert_uint_eq(seen.crashes, 1);
}
END_TEST

/* Run the instruction bytes b at RIP rip as an MMIO access at gpa. */
static enum vexit_action mmio_run(uint64_t rip, const uint8_t *b, size_t n, uint64_t gpa)
{
	struct vexit e = rec(VEXIT_GPT_FAULT, 0);
	enum vexit_action a;

	memcpy(ram + rip, b, n);
	e.rip = rip;
	e.fault.gpa = gpa;
	a = vexit_handle(v, &e);
	if (a == VEXIT_SKIP)
		ck_assert_uint_eq(e.insn_len, n);
	return a;
}

static uint32_t apic_rd(uint32_t off)
{
	uint64_t val = 0;

	ck_assert(lapic_mmio(v, 0xfee00000 + off, 4, false, &val));
	return (uint32_t)val;
}

START_TEST(mmio_forms_are_executed)
{
	static const uint8_t or_imm[] = { 0x81, 0x8b, 0xf0, 0, 0, 0, 0, 1, 0, 0 }; /* orl $0x100,0xf0(%rbx) */
	static const uint8_t and_imm[] = { 0x83, 0xa3, 0x80, 0, 0, 0, 0xf0 };        /* andl $-16,0x80(%rbx) */
	static const uint8_t xchg[] = { 0x87, 0x83, 0x80, 0, 0, 0 };                  /* xchg %eax,0x80(%rbx) */
	static const uint8_t movzb[] = { 0x0f, 0xb6, 0x43, 0x30 };                    /* movzbl 0x30(%rbx),%eax */
	static const uint8_t movsx[] = { 0x48, 0x0f, 0xbf, 0x53, 0x30 };              /* movswq 0x30(%rbx),%rdx */
	static const uint8_t test[] = { 0xf7, 0x83, 0xf0, 0, 0, 0, 0, 1, 0, 0 };     /* testl $0x100,0xf0(%rbx) */
	static const uint8_t add[] = { 0x03, 0x8b, 0x80, 0, 0, 0 };                   /* add 0x80(%rbx),%ecx */
	static const uint8_t movah[] = { 0x88, 0x63, 0x00 };                          /* mov %ah,0(%rbx) */
	static const uint8_t stos[] = { 0xf3, 0xab };                                 /* rep stosl */
	static const uint8_t movs[] = { 0xf3, 0xa5 };                                 /* rep movsl */
	static const uint8_t movabs[] = { 0xa1, 0x80, 0, 0xe0, 0xfe, 0, 0, 0, 0 };   /* movabs 0xfee00080,%eax */
	static const uint8_t inc[] = { 0xff, 0x83, 0x80, 0, 0, 0 };                   /* incl 0x80(%rbx) */
	static const uint8_t neg[] = { 0xf7, 0x9b, 0x80, 0, 0, 0 };                   /* negl 0x80(%rbx) */

	v->regs.rbx = 0xfee00000;
	lapic_mmio(v, 0xfee000f0, 4, true, &(uint64_t){ 0xff }); /* SVR: software disabled */
	ck_assert_int_eq(mmio_run(0x1000, or_imm, sizeof(or_imm), 0xfee000f0), VEXIT_SKIP);
	ck_assert_uint_eq(apic_rd(0xf0), 0x1ff); /* read-modify-write: enabled */
	seen.rflags = 0x2;
	ck_assert_int_eq(mmio_run(0x1000, test, sizeof(test), 0xfee000f0), VEXIT_SKIP);
	ck_assert_uint_eq(seen.rflags & 0x40, 0); /* ZF clear: bit 8 set */
	lapic_mmio(v, 0xfee00080, 4, true, &(uint64_t){ 0x3c });
	ck_assert_int_eq(mmio_run(0x1000, and_imm, sizeof(and_imm), 0xfee00080), VEXIT_SKIP);
	ck_assert_uint_eq(apic_rd(0x80), 0x30);
	v->regs.rax = 0xffffffff00000020ULL;
	ck_assert_int_eq(mmio_run(0x1000, xchg, sizeof(xchg), 0xfee00080), VEXIT_SKIP);
	ck_assert_uint_eq(apic_rd(0x80), 0x20);
	ck_assert_uint_eq(v->regs.rax, 0x30); /* 32-bit register write zero-extends */
	v->regs.rax = ~0ULL;
	ck_assert_int_eq(mmio_run(0x1000, movzb, sizeof(movzb), 0xfee00030), VEXIT_SKIP);
	ck_assert_uint_eq(v->regs.rax, 0x14); /* version byte */
	ck_assert_int_eq(mmio_run(0x1000, movsx, sizeof(movsx), 0xfee00030), VEXIT_SKIP);
	ck_assert_uint_eq(v->regs.rdx, 0x14);
	v->regs.rcx = 0x10;
	ck_assert_int_eq(mmio_run(0x1000, add, sizeof(add), 0xfee00080), VEXIT_SKIP);
	ck_assert_uint_eq(v->regs.rcx, 0x30);
	v->regs.rax = 0x4000;
	ck_assert_int_eq(mmio_run(0x1000, movah, sizeof(movah), 0xfee00080), VEXIT_SKIP);
	ck_assert_uint_eq(apic_rd(0x80), 0x20); /* a byte write is dropped */
	/* INC and DEC keep CF; NEG sets it. */
	seen.rflags = 0x2 | 0x1;
	ck_assert_int_eq(mmio_run(0x1000, inc, sizeof(inc), 0xfee00080), VEXIT_SKIP);
	ck_assert_uint_eq(apic_rd(0x80), 0x21);
	ck_assert_uint_eq(seen.rflags & 0x1, 0x1);
	ck_assert_int_eq(mmio_run(0x1000, neg, sizeof(neg), 0xfee00080), VEXIT_SKIP);
	ck_assert_uint_eq(apic_rd(0x80), 0xdf);
	/* rep stosl of one dword at the TPR. */
	v->regs.rax = 0x40;
	v->regs.rcx = 1;
	v->regs.rdi = 0xfee00080;
	ck_assert_int_eq(mmio_run(0x1000, stos, sizeof(stos), 0xfee00080), VEXIT_SKIP);
	ck_assert_uint_eq(apic_rd(0x80), 0x40);
	ck_assert_uint_eq(v->regs.rcx, 0);
	ck_assert_uint_eq(v->regs.rdi, 0xfee00084);
	/* rep movsl from RAM into the APIC page: 0x2000 holds the TPR value. */
	ram[0x2000] = 0x70;
	v->regs.rsi = 0x2000;
	v->regs.rdi = 0xfee00080;
	v->regs.rcx = 1;
	ck_assert_int_eq(mmio_run(0x1000, movs, sizeof(movs), 0xfee00080), VEXIT_SKIP);
	ck_assert_uint_eq(apic_rd(0x80), 0x70);
	ck_assert_uint_eq(v->regs.rsi, 0x2004);
	/* ... and out of it into RAM, 600 dwords: done in batches, RIP kept. */
	v->regs.rsi = 0xfee00000;
	v->regs.rdi = 0x3000;
	v->regs.rcx = 600;
	ck_assert_int_eq(mmio_run(0x1000, movs, sizeof(movs), 0xfee00000), VEXIT_RESUME);
	ck_assert_uint_eq(v->regs.rcx, 600 - 256);
	ck_assert_int_eq(mmio_run(0x1000, movs, sizeof(movs), 0xfee00400), VEXIT_RESUME);
	ck_assert_int_eq(mmio_run(0x1000, movs, sizeof(movs), 0xfee00800), VEXIT_SKIP);
	ck_assert_uint_eq(v->regs.rcx, 0);
	ck_assert_uint_eq(ram[0x3000 + 0x30], 0x14); /* the version register was copied */
	/* An instruction across a page boundary is fetched whole. */
	ck_assert_int_eq(mmio_run(0x0ffc, movabs, sizeof(movabs), 0xfee00080), VEXIT_SKIP);
	ck_assert_uint_eq(v->regs.rax, 0x70);
	ck_assert_uint_eq(seen.crashes, 0);
	/* One whose fetch stops short (the end of RAM) stops the VM. */
	ck_assert_int_eq(mmio_run(sizeof(ram) - 4, movabs, 4, 0xfee00080), VEXIT_STOP);
	ck_assert_uint_eq(seen.crashes, 1);
}
END_TEST

START_TEST(disabled_apic_page_floats)
{
	static const uint8_t rd[] = { 0x8b, 0x43, 0x30 };  /* mov 0x30(%rbx),%eax */
	static const uint8_t wr[] = { 0x89, 0x43, 0x80 };  /* mov %eax,0x80(%rbx) */

	v->regs.rbx = 0xfee00000;
	ck_assert(lapic_msr_write(v, MSR_IA32_APIC_BASE, 0xfee00000 | (1 << 8)));
	ck_assert_int_eq(mmio_run(0x1000, rd, sizeof(rd), 0xfee00030), VEXIT_SKIP);
	ck_assert_uint_eq(v->regs.rax, 0xffffffff);
	ck_assert_int_eq(mmio_run(0x1000, wr, sizeof(wr), 0xfee00080), VEXIT_SKIP);
	ck_assert_uint_eq(seen.crashes, 0);
	ck_assert_uint_eq(seen.faults, 0);
	/* An INIT IPI to ourselves stops the VM (nobody can send the SIPI). */
	ck_assert(lapic_msr_write(v, MSR_IA32_APIC_BASE, 0xfee00000 | (1 << 8) | (1 << 11)));
	v->regs.rax = (5u << 8) | (1u << 14);
	ck_assert_int_eq(mmio_run(0x1000, (const uint8_t[]){ 0x89, 0x83, 0, 3, 0, 0 }, 6, 0xfee00300),
			 VEXIT_STOP);
	ck_assert_uint_eq(seen.crashes, 1);
}
END_TEST

/* Outside RAM where nothing answers: reads are all ones of the access size,
 * writes are lost, string instructions too; what cannot be emulated
 * (fetch, a page-table walk, event delivery) stops the VM, and beyond the
 * physical address width the fault goes to the memory path as before. */
START_TEST(unbacked_space_is_open_bus)
{
	static const uint8_t rd32[] = { 0x8b, 0x43, 0x30 };        /* mov 0x30(%rbx),%eax */
	static const uint8_t rd64[] = { 0x48, 0x8b, 0x13 };        /* mov (%rbx),%rdx */
	static const uint8_t movzb[] = { 0x0f, 0xb6, 0x4b, 0x01 }; /* movzbl 1(%rbx),%ecx */
	static const uint8_t movsx[] = { 0x48, 0x0f, 0xbf, 0x33 }; /* movswq (%rbx),%rsi */
	static const uint8_t wr[] = { 0x89, 0x43, 0x80 };          /* mov %eax,0x80(%rbx) */
	static const uint8_t cmp[] = { 0x83, 0x3b, 0xff };         /* cmpl $-1,(%rbx) */
	static const uint8_t stos[] = { 0xf3, 0xab };              /* rep stosl */
	static const uint8_t movs[] = { 0xf3, 0xa5 };              /* rep movsl */
	struct vexit e;

	v->regs.rbx = 0xff000000;
	v->regs.rax = 0x1234;
	ck_assert_int_eq(mmio_run(0x1000, rd32, sizeof(rd32), 0xff000030), VEXIT_SKIP);
	ck_assert_uint_eq(v->regs.rax, 0xffffffff);
	ck_assert_int_eq(mmio_run(0x1000, rd64, sizeof(rd64), 0xff000000), VEXIT_SKIP);
	ck_assert_uint_eq(v->regs.rdx, ~0ULL);
	v->regs.rcx = 0;
	ck_assert_int_eq(mmio_run(0x1000, movzb, sizeof(movzb), 0xff000001), VEXIT_SKIP);
	ck_assert_uint_eq(v->regs.rcx, 0xff);
	ck_assert_int_eq(mmio_run(0x1000, movsx, sizeof(movsx), 0xff000000), VEXIT_SKIP);
	ck_assert_uint_eq(v->regs.rsi, ~0ULL);
	ck_assert_int_eq(mmio_run(0x1000, wr, sizeof(wr), 0xff000080), VEXIT_SKIP);
	seen.rflags = 0x2;
	ck_assert_int_eq(mmio_run(0x1000, cmp, sizeof(cmp), 0xff000000), VEXIT_SKIP);
	ck_assert_uint_eq(seen.rflags & 0x40, 0x40); /* ZF: it read 0xffffffff */
	/* rep movsl from there into RAM: all ones; rep stosl there: lost. */
	v->regs.rsi = 0xff000000;
	v->regs.rdi = 0x3000;
	v->regs.rcx = 4;
	ck_assert_int_eq(mmio_run(0x1000, movs, sizeof(movs), 0xff000000), VEXIT_SKIP);
	for (unsigned int i = 0; i < 16; i++)
		ck_assert_uint_eq(ram[0x3000 + i], 0xff);
	ck_assert_uint_eq(ram[0x3010], 0);
	v->regs.rdi = sizeof(ram); /* just past the end of RAM */
	v->regs.rcx = 2;
	ck_assert_int_eq(mmio_run(0x1000, stos, sizeof(stos), sizeof(ram)), VEXIT_SKIP);
	ck_assert_uint_eq(v->regs.rcx, 0);
	ck_assert_uint_eq(seen.crashes, 0);
	ck_assert_uint_eq(seen.faults, 0);
	ck_assert_uint_eq(vm.open_bus.count, 6 + 4 + 2);
	ck_assert_uint_eq(vm.open_bus.first_gpa, 0xff000030);
	ck_assert(!vm.open_bus.first_write);
	/* Nothing to execute there, no page tables to walk, no IDT or stack. */
	for (unsigned int k = 0; k < 3; k++) {
		setup();
		e = rec(VEXIT_GPT_FAULT, 0);
		e.fault.gpa = 0xff000000;
		e.fault.access = k == 0 ? VEXIT_ACCESS_FETCH : VEXIT_ACCESS_READ;
		e.fault.table = k == 1;
		e.fault.vectoring = k == 2;
		ck_assert_int_eq(vexit_handle(v, &e), VEXIT_STOP);
		ck_assert_uint_eq(seen.crashes, 1);
		ck_assert_uint_eq(vm.open_bus.count, 0);
	}
	/* Beyond MAXPHYADDR: not emulated, the memory path decides (stops). */
	setup();
	e = rec(VEXIT_GPT_FAULT, 0);
	e.fault.gpa = 1ULL << 36;
	e.fault.access = VEXIT_ACCESS_READ;
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_RESUME);
	ck_assert_uint_eq(seen.faults, 1);
	ck_assert_uint_eq(vm.open_bus.count, 0);
}
END_TEST

static void put32(uint64_t pa, uint32_t val)
{
	memcpy(ram + pa, &val, 4);
}

static void put64(uint64_t pa, uint64_t val)
{
	memcpy(ram + pa, &val, 8);
}

/* mov %ecx,(%eax) at guest-linear rip (physical 0x2010) to the TPR. */
static void tpr_store_at(uint64_t rip, uint32_t tpr)
{
	struct vexit e = rec(VEXIT_GPT_FAULT, 0);
	uint64_t val = 0;

	ram[0x2010] = 0x89;
	ram[0x2011] = 0x08;
	e.rip = rip;
	e.fault.gpa = 0xfee00080;
	v->regs.rcx = tpr;
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_SKIP);
	ck_assert_uint_eq(e.insn_len, 2);
	ck_assert(lapic_mmio(v, 0xfee00080, 4, false, &val));
	ck_assert_uint_eq(val, tpr);
}

START_TEST(fetch_in_every_paging_mode)
{
	/* 32-bit paging: PD at 0, PT at 0x1000; 4 KiB page and a 4 MiB page. */
	fake_paging = (struct guest_paging){ .cr0 = X86_CR0_PE | X86_CR0_PG, .cr4 = X86_CR4_PSE,
					     .cr3 = 0, .cs_bits = 32 };
	put32(0x0, 0x1003);
	put32(0x4, 0x00000083);       /* 0x400000-0x7fffff -> 0 (PSE) */
	put32(0x1000 + 5 * 4, 0x2003); /* linear 0x5000 -> 0x2000 */
	tpr_store_at(0x5010, 0x10);
	tpr_store_at(0x402010, 0x20);
	/* An instruction whose second half is on a page the guest's tables no
	 * longer map (the TLB had it): the #PF of that fetch, CR2 its address. */
	put32(0x1000 + 6 * 4, 0);
	ram[0x2fff] = 0x89;
	{
		struct vexit e = rec(VEXIT_GPT_FAULT, 0);

		e.rip = 0x5fff;
		e.fault.gpa = 0xfee00080;
		e.cpl = 3;
		ck_assert_int_eq(vexit_handle(v, &e), VEXIT_INJECT);
		ck_assert_uint_eq(e.vector, 14);
		ck_assert(e.has_error);
		ck_assert_uint_eq(e.error, 4); /* not present, read, user */
		ck_assert_uint_eq(seen.cr2, 0x6000);
		ck_assert_uint_eq(seen.crashes, 0);
	}
	/* A page-table page outside RAM: nothing to give the guest, the VM stops. */
	put32(0x0 + 2 * 4, 0x10000003);
	{
		struct vexit e = rec(VEXIT_GPT_FAULT, 0);

		e.rip = 0x805010;
		e.fault.gpa = 0xfee00080;
		ck_assert_int_eq(vexit_handle(v, &e), VEXIT_STOP);
		ck_assert_uint_eq(seen.crashes, 1);
		vm.state = VM_RUNNING;
	}
	/* PAE: PDPTEs at 0, PD at 0x1000, PT at 0x3000; 4 KiB and 2 MiB pages. */
	memset(ram, 0, 0x2000);
	fake_paging = (struct guest_paging){ .cr0 = X86_CR0_PE | X86_CR0_PG, .cr4 = X86_CR4_PAE,
					     .cr3 = 0, .cs_bits = 32 };
	put64(0x0, 0x1001);
	put64(0x1000, 0x3001);
	put64(0x1008, 0x00000083);    /* 0x200000-0x3fffff -> 0 */
	put64(0x3000 + 5 * 8, 0x2003);
	tpr_store_at(0x5010, 0x30);
	tpr_store_at(0x202010, 0x40);
	/* rep movsl from the APIC into RAM that ends at an unmapped page: the
	 * iterations before it are done, then the #PF (write) at that page. */
	{
		struct vexit e = rec(VEXIT_GPT_FAULT, 0);

		put64(0x3000 + 7 * 8, 0x1003); /* linear 0x7000 -> 0x1000; 0x8000 not mapped */
		ram[0x2010] = 0xf3;
		ram[0x2011] = 0xa5;
		put64(0x18, 0x1001);          /* PDPTE 3 (0xc0000000-): the same PD */
		put64(0x1000 + 8 * 0x1f7, 0x00000000fee00083ULL); /* 0xfee00000 -> APIC (2 MiB) */
		e.rip = 0x5010;
		e.fault.gpa = 0xfee00000;
		v->regs.rsi = 0xfee00000;
		v->regs.rdi = 0x7ff8;
		v->regs.rcx = 4;
		ck_assert_int_eq(vexit_handle(v, &e), VEXIT_INJECT);
		ck_assert_uint_eq(e.vector, 14);
		ck_assert_uint_eq(e.error, 2); /* not present, write, supervisor */
		ck_assert_uint_eq(seen.cr2, 0x8000);
		ck_assert_uint_eq(v->regs.rcx, 2);
		ck_assert_uint_eq(v->regs.rdi, 0x8000);
		ck_assert_uint_eq(v->regs.rsi, 0xfee00008);
	}
	/* Real mode: linear = CS.base + IP, 16-bit code (66 89 0f: mov %ecx,(%bx)). */
	fake_paging = (struct guest_paging){ .cs_bits = 16, .seg_base = { 0, 0x2000 } };
	{
		struct vexit e = rec(VEXIT_GPT_FAULT, 0);
		uint64_t val = 0;

		ram[0x2010] = 0x66;
		ram[0x2011] = 0x89;
		ram[0x2012] = 0x0f;
		e.rip = 0x10;
		e.fault.gpa = 0xfee00080;
		v->regs.rcx = 0x50;
		ck_assert_int_eq(vexit_handle(v, &e), VEXIT_SKIP);
		ck_assert_uint_eq(e.insn_len, 3);
		ck_assert(lapic_mmio(v, 0xfee00080, 4, false, &val));
		ck_assert_uint_eq(val, 0x50);
	}
	/* The #UD intercept's look at a VMMCALL at IP 0x20: at CS.base + IP. */
	ram[0x2020] = 0x0f;
	ram[0x2021] = 0x01;
	ram[0x2022] = 0xd9;
	ck_assert(guest_hypercall_insn(v, 0x20));
	ck_assert(!guest_hypercall_insn(v, 0x21)); /* one byte into it */
}
END_TEST

START_TEST(other_kinds)
{
	struct vexit e = rec(VEXIT_UD, 3);

	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_INJECT);
	ck_assert_uint_eq(e.vector, 6);
	ck_assert(!e.has_error);
	e = rec(VEXIT_NOTHING, 0);
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_RESUME);
	e = rec(VEXIT_INTR_WINDOW, 0);
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_RESUME);
	ck_assert_uint_eq(seen.crashes, 0);
	e = rec(VEXIT_SHUTDOWN, 0);
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_STOP);
	setup();
	e = rec(VEXIT_UNHANDLED, 0);
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_STOP);
	ck_assert(strstr(vm.stop_reason, "unhandled"));
	setup();
	e = rec((enum vexit_kind)VEXIT_KINDS, 0); /* out of range: unhandled too */
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_STOP);
	ck_assert_str_eq(vexit_kind_name(VEXIT_GPT_FAULT), "guest-physical fault");
	ck_assert_str_eq(vexit_kind_name(VEXIT_CR_WRITE), "MOV to CR");
	ck_assert_str_eq(vexit_kind_name((enum vexit_kind)99), "?");
}
END_TEST

static struct vexit cr_write(unsigned int n, uint64_t val)
{
	struct vexit e = rec(VEXIT_CR_WRITE, 3);

	e.cr.n = n;
	e.cr.val = val;
	return e;
}

static void expect_gp(struct vexit *e)
{
	ck_assert_int_eq(vexit_handle(v, e), VEXIT_INJECT);
	ck_assert_uint_eq(e->vector, 13);
	ck_assert(e->has_error);
	ck_assert_uint_eq(e->error, 0);
}

START_TEST(rdpmc_and_cr4_denied_bits_gp)
{
	struct vexit e = rec(VEXIT_RDPMC, 2);

	/* No counters are offered: #GP(0), RIP stays. */
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_INJECT);
	ck_assert_uint_eq(e.vector, 13);
	ck_assert(e.has_error);
	ck_assert_uint_eq(e.error, 0);
	/* CR4 bits of state that is not switched (OSXSAVE, PKE, PCE) are #GP. */
	e = cr_write(4, X86_CR4_PAE | (1UL << 18));
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_INJECT);
	ck_assert_uint_eq(e.vector, 13);
	e = cr_write(4, X86_CR4_PAE | (1UL << 22));
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_INJECT);
	e = cr_write(4, X86_CR4_PAE | (1UL << 8));
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_INJECT);
	ck_assert_uint_eq(seen.cr4_writes, 0);
	/* Allowed bits are written and the MOV is skipped. */
	e = cr_write(4, X86_CR4_PAE | X86_CR4_PGE | X86_CR4_OSFXSR);
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_SKIP);
	ck_assert_uint_eq(seen.cr4_writes, 1);
	ck_assert_uint_eq(seen.cr4, X86_CR4_PAE | X86_CR4_PGE | X86_CR4_OSFXSR);
	ck_assert_uint_eq(seen.crashes, 0);
}
END_TEST

#define CR4_SMAP X86_CR4_SMAP

/* CR4 and CPUID agree: a bit whose feature CPUID hides is #GP, one it shows
 * is accepted, unless its state is not switched (OSXSAVE: never). */
START_TEST(cr4_bits_follow_cpuid)
{
	struct vexit e;

	e = cr_write(4, X86_CR4_VMXE); /* VMX is never offered */
	expect_gp(&e);
	e = cr_write(4, CR4_PCIDE); /* no PCID */
	expect_gp(&e);
	e = cr_write(4, CR4_SMAP); /* no SMAP */
	expect_gp(&e);
	e = cr_write(4, CR4_OSXSAVE); /* no XSAVE */
	expect_gp(&e);
	ck_assert_uint_eq(seen.cr4_writes, 0);
	leaf1.ecx |= 1u << 26; /* XSAVE shown: OSXSAVE still refused (XCR0 not switched) */
	e = cr_write(4, CR4_OSXSAVE);
	expect_gp(&e);
	leaf7.ebx |= 1u << 20; /* SMAP shown: accepted */
	e = cr_write(4, CR4_SMAP | X86_CR4_SMEP);
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_SKIP);
	ck_assert_uint_eq(seen.cr4, CR4_SMAP | X86_CR4_SMEP);
	leaf1.edx &= ~(1u << 13); /* no PGE: CR4.PGE refused */
	e = cr_write(4, X86_CR4_PGE);
	expect_gp(&e);
	ck_assert_uint_eq(guest_cr4_allowed() & (X86_CR4_PGE | X86_CR4_VMXE | CR4_PCIDE), 0);
	ck_assert_uint_eq(seen.crashes, 0);
}
END_TEST

START_TEST(cr0_checks_and_shadowed_bits)
{
	struct vexit e;

	e = cr_write(0, X86_CR0_PE | X86_CR0_ET | (1ULL << 32)); /* bits 63:32 */
	expect_gp(&e);
	e = cr_write(0, X86_CR0_PG | X86_CR0_ET); /* PG without PE */
	expect_gp(&e);
	e = cr_write(0, X86_CR0_PE | X86_CR0_NW); /* NW without CD */
	expect_gp(&e);
	/* NE cleared reads back clear; reserved bits are ignored, ET stays 1. */
	e = cr_write(0, X86_CR0_PE | (1ULL << 6));
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_SKIP);
	ck_assert_uint_eq(seen.cr0, X86_CR0_PE | X86_CR0_ET);
	/* 32-bit paging: no EFER change, a TLB flush. */
	e = cr_write(0, X86_CR0_PE | X86_CR0_PG | X86_CR0_NE);
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_SKIP);
	ck_assert_uint_eq(seen.efer, 0);
	ck_assert_uint_eq(seen.flushes, 1);
	ck_assert_uint_eq(seen.pdpte_loads, 0);
	/* LME cannot change with paging on. */
	ck_assert(!vcr_set_efer(v, X86_EFER_LME));
	ck_assert(vcr_set_efer(v, X86_EFER_NXE | X86_EFER_SCE));
	ck_assert(!vcr_set_efer(v, 1ULL << 9)); /* reserved */
	leaf81.edx &= ~(1u << 20);
	ck_assert(!vcr_set_efer(v, X86_EFER_NXE)); /* CPUID hides NX */
}
END_TEST

START_TEST(long_mode_in_and_out)
{
	struct vexit e;

	ck_assert(vcr_set_efer(v, X86_EFER_LME | X86_EFER_LMA)); /* LMA is read-only */
	ck_assert_uint_eq(seen.efer, X86_EFER_LME);
	e = cr_write(0, seen.cr0 | X86_CR0_PG); /* no PAE: #GP */
	expect_gp(&e);
	e = cr_write(4, X86_CR4_PAE);
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_SKIP);
	e = cr_write(0, seen.cr0 | X86_CR0_PG);
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_SKIP);
	ck_assert_uint_eq(seen.efer, X86_EFER_LME | X86_EFER_LMA);
	ck_assert_uint_eq(seen.pdpte_loads, 0); /* 4-level paging has none */
	e = cr_write(4, 0); /* PAE cannot be cleared in IA-32e mode */
	expect_gp(&e);
	ck_assert(!vcr_set_efer(v, 0)); /* nor LME with paging on */
	e = cr_write(0, X86_CR0_PE | X86_CR0_NE); /* paging off in 64-bit mode: #GP */
	e.long_mode = true;
	expect_gp(&e);
	e = cr_write(0, X86_CR0_PE | X86_CR0_NE); /* from compatibility mode: out */
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_SKIP);
	ck_assert_uint_eq(seen.efer, X86_EFER_LME);
	ck_assert(vcr_set_efer(v, 0));
	ck_assert_uint_eq(seen.efer, 0);
	ck_assert_uint_eq(seen.crashes, 0);
}
END_TEST

START_TEST(pae_paging_loads_pdptes)
{
	uint64_t pdpte[4] = { 0x2001, 0, 0x3001, 0 };
	struct vexit e;

	seen.cr3 = 0x1020; /* 32-byte aligned: bits 11:5 count */
	memcpy(ram + 0x1020, pdpte, sizeof(pdpte));
	seen.cr4 = X86_CR4_PAE;
	e = cr_write(0, seen.cr0 | X86_CR0_PG);
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_SKIP);
	ck_assert_uint_eq(seen.pdpte_loads, 1);
	ck_assert_mem_eq(seen.pdpte, pdpte, sizeof(pdpte));
	/* A present PDPTE with a reserved bit: the MOV raises #GP. */
	pdpte[1] = 0x4001 | (1ULL << 7);
	memcpy(ram + 0x1020, pdpte, sizeof(pdpte));
	e = cr_write(3, 0x1020);
	expect_gp(&e);
	e = cr_write(3, 0x1000); /* CR3 load: PDPTEs reloaded, TLB flushed */
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_SKIP);
	ck_assert_uint_eq(seen.pdpte_loads, 2);
	ck_assert_uint_eq(seen.cr3, 0x1000);
	e = cr_write(3, 0x7fff000); /* outside RAM */
	expect_gp(&e);
}
END_TEST

START_TEST(cr8_is_the_apic_tpr)
{
	struct vexit e = cr_write(8, 9);

	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_SKIP);
	ck_assert_uint_eq(lapic_get_tpr(&v->lapic), 0x90);
	lapic_set_tpr(&v->lapic, 0x5c); /* a TPR write through the APIC */
	e = rec(VEXIT_CR_READ, 4);
	e.cr.n = 8;
	e.cr.gpr = 11;
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_SKIP);
	ck_assert_uint_eq(v->regs.r11, 5);
	e = cr_write(8, 16); /* bits 63:4 reserved */
	expect_gp(&e);
	ck_assert_uint_eq(lapic_get_tpr(&v->lapic), 0x5c);
	e = cr_write(2, 0); /* no such exit: the VM stops, the host does not */
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_STOP);
	ck_assert_uint_eq(seen.crashes, 1);
}
END_TEST

START_TEST(cache_flush_pause_and_absent_insns)
{
	struct vexit e = rec(VEXIT_CACHE_FLUSH, 2);

	/* INVD/WBINVD at CPL 0: nothing to do, the instruction is skipped. */
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_SKIP);
	ck_assert(!e.single_step);
	/* Privileged: #GP(0) elsewhere, RIP stays. */
	e = rec(VEXIT_CACHE_FLUSH, 2);
	e.cpl = 3;
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_INJECT);
	ck_assert_uint_eq(e.vector, 13);
	ck_assert(e.has_error);
	ck_assert_uint_eq(e.error, 0);
	e = rec(VEXIT_PAUSE, 1);
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_SKIP);
	ck_assert_str_eq(vexit_kind_name(VEXIT_CACHE_FLUSH), "INVD/WBINVD");
	ck_assert_uint_eq(seen.crashes, 0);
}
END_TEST

START_TEST(single_step_after_emulated_insn_only)
{
	struct vexit e = rec(VEXIT_CPUID, 2);

	/* TF over an emulated instruction: the skip ends with the trap. */
	e.rflags |= X86_RFLAGS_TF;
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_SKIP);
	ck_assert(e.single_step);
	e = rec(VEXIT_IO, 1);
	e.io.port = 0x3f8;
	e.io.size = 1;
	e.rflags |= X86_RFLAGS_TF;
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_SKIP);
	ck_assert(e.single_step);
	/* Without TF: none. */
	e = rec(VEXIT_CPUID, 2);
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_SKIP);
	ck_assert(!e.single_step);
	/* An instruction that faults instead has no trap (the fault wins). */
	e = rec(VEXIT_RDPMC, 2);
	e.rflags |= X86_RFLAGS_TF;
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_INJECT);
	ck_assert(!e.single_step);
	e = rec(VEXIT_UD, 3);
	e.rflags |= X86_RFLAGS_TF;
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_INJECT);
	ck_assert(!e.single_step);
	/* Nor does an exit that did not complete an instruction. */
	e = rec(VEXIT_GPT_FAULT, 0);
	e.rflags |= X86_RFLAGS_TF;
	e.fault.gpa = 0x2000;
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_RESUME);
	ck_assert(!e.single_step);
	e = rec(VEXIT_INTR_WINDOW, 0);
	e.rflags |= X86_RFLAGS_TF;
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_RESUME);
	ck_assert(!e.single_step);
}
END_TEST

START_TEST(hlt_under_tf_keeps_the_trap)
{
	struct vexit e = rec(VEXIT_HLT, 1);

	/* STI; HLT under TF: the #DB after HLT is delivered, the vCPU does
	 * not sleep through it. */
	e.rflags |= X86_RFLAGS_TF;
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_SKIP);
	ck_assert(e.single_step);
	ck_assert(!v->halted);
	/* Even with IF clear: the trap wakes it, nothing is stuck. */
	e = rec(VEXIT_HLT, 1);
	e.rflags = X86_RFLAGS_FIXED | X86_RFLAGS_TF;
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_SKIP);
	ck_assert(e.single_step);
	ck_assert(!v->halted);
	ck_assert_uint_eq(seen.crashes, 0);
}
END_TEST

/* An event whose delivery (a push onto a stack in the APIC page) takes the
 * fault: the instruction at RIP is not what accessed the device, so it is
 * not emulated; the VM stops with a message, the APIC is untouched. */
START_TEST(mmio_during_event_delivery_stops)
{
	struct vexit e = rec(VEXIT_GPT_FAULT, 0);
	uint64_t tpr = 0;

	ram[0x1000] = 0x89; /* mov %ecx,(%rax): would write the TPR */
	ram[0x1001] = 0x08;
	e.rip = 0x1000;
	e.fault.gpa = 0xfee00080;
	e.fault.access = VEXIT_ACCESS_WRITE;
	e.fault.vectoring = true;
	v->regs.rax = 0xfee00080;
	v->regs.rcx = 0x20;
	ck_assert_int_eq(vexit_handle(v, &e), VEXIT_STOP);
	ck_assert_uint_eq(seen.crashes, 1);
	ck_assert(lapic_mmio(v, 0xfee00080, 4, false, &tpr));
	ck_assert_uint_eq(tpr, 0);
}
END_TEST

/* SDM Vol. 3A Table 6-5: which exception a second one raised during the
 * delivery of a first becomes. */
START_TEST(double_fault_rules)
{
	ck_assert_int_eq(vexit_exception_after(13, 11), 8);  /* contributory twice */
	ck_assert_int_eq(vexit_exception_after(0, 13), 8);
	ck_assert_int_eq(vexit_exception_after(14, 14), 8);  /* page fault twice */
	ck_assert_int_eq(vexit_exception_after(14, 13), 8);
	ck_assert_int_eq(vexit_exception_after(14, 20), 8);  /* #VE is page-fault class */
	ck_assert_int_eq(vexit_exception_after(13, 14), 14); /* contributory, then #PF */
	ck_assert_int_eq(vexit_exception_after(13, 20), 20);
	ck_assert_int_eq(vexit_exception_after(6, 13), 13);  /* benign first */
	ck_assert_int_eq(vexit_exception_after(17, 20), 20);
	ck_assert_int_eq(vexit_exception_after(13, 17), 17); /* benign second */
	ck_assert_int_eq(vexit_exception_after(8, 13), -1);  /* after #DF: shutdown */
	ck_assert_int_eq(vexit_exception_after(8, 14), -1);
	ck_assert_int_eq(vexit_exception_after(8, 1), 1);
	/* RF=1 is pushed with faults, not with #DB, traps or aborts. */
	ck_assert(vexit_exception_is_fault(13) && vexit_exception_is_fault(6) &&
		  vexit_exception_is_fault(14) && vexit_exception_is_fault(20));
	ck_assert(!vexit_exception_is_fault(1) && !vexit_exception_is_fault(3) &&
		  !vexit_exception_is_fault(8) && !vexit_exception_is_fault(18));
}
END_TEST

START_TEST(tsc_write_offset_and_adjust)
{
	/* IA32_TSC := 1000 at host 5000: RDTSC continues from 1000. */
	guest_tsc_write(v, 5000, 1000);
	ck_assert_uint_eq(5000 + v->tsc_offset, 1000);
	ck_assert_uint_eq(7000 + v->tsc_offset, 3000);
	/* TSC_ADJUST records what the write added (SDM §17.17.3). */
	ck_assert_int_eq((int64_t)v->tsc_adjust, -4000);
	/* A second write adds its own difference. */
	guest_tsc_write(v, 8000, 10000);
	ck_assert_uint_eq(8000 + v->tsc_offset, 10000);
	ck_assert_int_eq((int64_t)v->tsc_adjust, 2000);
	/* Writing TSC_ADJUST moves the TSC by the change. */
	guest_tsc_adjust_write(v, 0);
	ck_assert_uint_eq(8000 + v->tsc_offset, 8000);
	ck_assert_uint_eq(v->tsc_adjust, 0);
	guest_tsc_adjust_write(v, 500);
	ck_assert_uint_eq(9000 + v->tsc_offset, 9500);
}
END_TEST

START_TEST(tsc_deadline_in_host_terms)
{
	guest_tsc_write(v, 1000000, 100); /* guest TSC 999,900 behind the host */
	ck_assert_uint_eq(guest_tsc_deadline_to_host(v, 1000000, 0), 0); /* disarm */
	ck_assert_uint_eq(guest_tsc_deadline_to_host(v, 1000000, 600), 1000500);
	/* Due now or past (in guest terms): due at once, never far away. */
	ck_assert_uint_eq(guest_tsc_deadline_to_host(v, 1000000, 100), 1000000);
	ck_assert_uint_eq(guest_tsc_deadline_to_host(v, 1000000, 50), 1000000);
	/* Guest TSC ahead of the host: a deadline below the host's TSC is
	 * still in the guest's future. */
	v->tsc_offset = v->tsc_adjust = 0;
	guest_tsc_write(v, 100, 1ULL << 40);
	ck_assert_uint_eq(guest_tsc_deadline_to_host(v, 100, (1ULL << 40) + 5), 105);
	ck_assert_uint_eq(guest_tsc_deadline_to_host(v, 100, 50), 100);
}
END_TEST

Suite *vexit_suite(void)
{
	Suite *s = suite_create("vexit");
	TCase *t = tcase_create("handlers");

	tcase_add_checked_fixture(t, setup, NULL);
	tcase_add_test(t, cpuid_fills_registers_and_skips);
	tcase_add_test(t, hlt_halts_or_stops);
	tcase_add_test(t, hlt_nmi_only_waits_for_a_sibling);
	tcase_add_test(t, hypercall_result_in_rax);
	tcase_add_test(t, long_call_goes_again);
	tcase_add_test(t, port_io_sizes_and_floating_bus);
	tcase_add_test(t, port_io_malformed_and_debug_exit);
	tcase_add_test(t, msr_known_skips_unknown_injects_gp);
	tcase_add_test(t, guest_physical_fault_goes_to_memory);
	tcase_add_test(t, xapic_access_is_emulated);
	tcase_add_test(t, mmio_forms_are_executed);
	tcase_add_test(t, disabled_apic_page_floats);
	tcase_add_test(t, unbacked_space_is_open_bus);
	tcase_add_test(t, fetch_in_every_paging_mode);
	tcase_add_test(t, other_kinds);
	tcase_add_test(t, rdpmc_and_cr4_denied_bits_gp);
	tcase_add_test(t, cr4_bits_follow_cpuid);
	tcase_add_test(t, cr0_checks_and_shadowed_bits);
	tcase_add_test(t, long_mode_in_and_out);
	tcase_add_test(t, double_fault_rules);
	tcase_add_test(t, mmio_during_event_delivery_stops);
	tcase_add_test(t, pae_paging_loads_pdptes);
	tcase_add_test(t, cr8_is_the_apic_tpr);
	tcase_add_test(t, cache_flush_pause_and_absent_insns);
	tcase_add_test(t, single_step_after_emulated_insn_only);
	tcase_add_test(t, hlt_under_tf_keeps_the_trap);
	tcase_add_test(t, tsc_write_offset_and_adjust);
	tcase_add_test(t, tsc_deadline_in_host_terms);
	suite_add_tcase(s, t);
	return s;
}
