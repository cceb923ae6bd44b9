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
#include <hv/gmem.h>
#include <hv/vm.h>

uint64_t *guest_gpr(struct vcpu *v, unsigned int n)
{
	struct guest_regs *r = &v->regs;
	uint64_t *const map[16] = { &r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp,
				    &r->rsi, &r->rdi, &r->r8,  &r->r9,  &r->r10, &r->r11,
				    &r->r12, &r->r13, &r->r14, &r->r15 };

	return map[n & 15];
}

/* 32-bit paging (SDM §4.3): a page directory and 4 KiB tables, 4 MiB
 * pages with CR4.PSE (bits 20:13 of the PDE are physical bits 39:32). */
static bool walk32(struct vcpu *v, uint64_t cr3, uint64_t cr4, uint64_t va, uint64_t *pa)
{
	uint32_t *e = gmem_ptr(v->vm, _gpa((cr3 & 0xfffff000ULL) + 4 * ((va >> 22) & 1023)), 4,
				   false);
	uint32_t pde, pte;

	if (!e || !((pde = *e) & 1))
		return false;
	if ((pde & PT_LARGE) && (cr4 & X86_CR4_PSE)) {
		*pa = (pde & 0xffc00000u) | ((uint64_t)(pde >> 13 & 0xff) << 32) | (va & 0x3fffff);
		return true;
	}
	e = gmem_ptr(v->vm, _gpa((pde & 0xfffff000u) + 4 * ((va >> 12) & 1023)), 4, false);
	if (!e || !((pte = *e) & 1))
		return false;
	*pa = (pte & 0xfffff000u) | (va & 0xfff);
	return true;
}

bool guest_walk(struct vcpu *v, uint64_t va, uint64_t *pa)
{
	struct guest_paging p;
	uint64_t table;
	int top;

	virt->get_paging(v, &p);
	if (!(p.cr0 & X86_CR0_PG)) {
		*pa = va;
		return true;
	}
	if (!(p.cr4 & X86_CR4_PAE))
		return walk32(v, p.cr3, p.cr4, va, pa);
	table = p.cr3 & PT_ADDR_MASK;
	top = 4;
	if (!(p.efer & X86_EFER_LMA)) {
		/* PAE paging: 4 PDPTEs at CR3[31:5], then 2-level (SDM §4.4). */
		uint64_t *e = gmem_ptr(v->vm, _gpa((p.cr3 & 0xffffffe0ULL) + 8 * ((va >> 30) & 3)),
					   8, false);

		if (!e || !(*e & 1))
			return false;
		table = *e & PT_ADDR_MASK;
		top = 2;
	}
	for (int level = top; level >= 1; level--) {
		uint64_t *e = gmem_ptr(v->vm, _gpa(table + 8 * pt_index(va, level)), 8, false);
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

		if (!guest_walk(v, rip + i, &pa) || !(b = gmem_ptr(v->vm, _gpa(pa), 1, false)))
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
