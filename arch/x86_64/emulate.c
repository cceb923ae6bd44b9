/* SPDX-License-Identifier: MIT */
/*
 * Generic x86 emulation shared by both back ends (see emulate.h): guest
 * GPRs, the guest's page walk (SDM Vol. 3A §4.5), and the MMIO path to the
 * device bus (the xAPIC page, the I/O APIC).
 * Hypervisor context, on an exit of the current vCPU.
 */
#include <asm/cpu.h>
#include <asm/emulate.h>
#include <asm/mmio.h>
#include <asm/pgtable.h>
#include <asm/virt.h>
#include <hv/hint.h>
#include <hv/vm.h>

uint64_t *guest_gpr(struct vcpu *v, unsigned int n)
{
	struct guest_regs *r = &v->regs;
	uint64_t *const map[16] = { &r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp,
				    &r->rsi, &r->rdi, &r->r8,  &r->r9,  &r->r10, &r->r11,
				    &r->r12, &r->r13, &r->r14, &r->r15 };

	return map[n & 15];
}

bool guest_walk(struct vcpu *v, uint64_t va, uint64_t *pa)
{
	struct guest_paging p;
	uint64_t table;

	virt->get_paging(v, &p);
	if (!(p.cr0 & X86_CR0_PG)) {
		*pa = va;
		return true;
	}
	if (!(p.efer & X86_EFER_LMA))
		return false; /* 32-bit paging: not needed by any guest we run */
	table = p.cr3 & PT_ADDR_MASK;
	for (int level = 4; level >= 1; level--) {
		uint64_t *e = hint_gpa_ptr(v->vm, _gpa(table + 8 * pt_index(va, level)), 8, false);
		uint64_t ent;

		if (!e || !((ent = *e) & 1))
			return false;
		if (level == 1 || (level <= 3 && (ent & PT_LARGE))) {
			uint64_t size = pt_level_size(level);

			*pa = (ent & PT_ADDR_MASK & ~(size - 1)) | (va & (size - 1));
			return true;
		}
		table = ent & PT_ADDR_MASK;
	}
	return false;
}

unsigned int guest_fetch(struct vcpu *v, uint64_t rip, uint8_t *buf, unsigned int n)
{
	unsigned int i = 0;

	for (; i < n; i++) {
		uint64_t pa;
		uint8_t *b;

		if (!guest_walk(v, rip + i, &pa) || !(b = hint_gpa_ptr(v->vm, _gpa(pa), 1, false)))
			break;
		buf[i] = *b;
	}
	return i;
}

bool guest_hypercall_insn(struct vcpu *v, uint64_t rip)
{
	uint8_t b[3];

	return guest_fetch(v, rip, b, 3) == 3 && b[0] == 0x0f && b[1] == 0x01 &&
	       (b[2] == 0xc1 || b[2] == 0xd9);
}

enum vexit_action emulate_mmio(struct vcpu *v, struct vexit *e, uint64_t gpa)
{
	uint64_t val, *reg;
	uint8_t insn[15];
	struct mmio_insn d;
	unsigned int n = guest_fetch(v, e->rip, insn, sizeof(insn));

	if (mmio_decode(insn, n, &d)) {
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
	reg = guest_gpr(v, d.reg);
	val = d.has_imm ? d.imm : *reg;
	if (!hv_mmio(v, gpa, d.size, d.write, &val)) {
		vm_crash(v->vm, "malformed MMIO access at gpa %#lx (%u bytes)", gpa, d.size);
		return VEXIT_STOP;
	}
	if (!d.write)
		*reg = d.size == 4 ? (uint32_t)val : val; /* 32-bit loads zero-extend */
	e->insn_len = d.len;
	return VEXIT_SKIP; /* Safe: access emulated */
}
