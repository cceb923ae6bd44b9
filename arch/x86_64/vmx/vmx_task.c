/* SPDX-License-Identifier: MIT */
/*
 * Hardware task switches on VT-x. A task switch always exits (SDM Vol. 3C,
 * "Treatment of Task Switches"), after the processor has checked the
 * privilege of a CALL or JMP to a TSS descriptor and before it has changed
 * any state: the VMM carries it out as SDM Vol. 3A ("Task Management",
 * "Task Switching") describes it, with the guest's memory reached through
 * its own page tables. AMD SVM does them in hardware (the intercept stays
 * off), so this is the VT-x back end's part of the CPU.
 *
 * Done: JMP and CALL to a 32-bit TSS or through a task gate, IRET with
 * EFLAGS.NT, and interrupts and exceptions through a task gate in the IDT
 * (an exception's error code is pushed on the new task's stack). The checks
 * of the new TSS descriptor give the guest the fault hardware gives in the
 * old task (#GP for an available/busy mismatch, #NP for a TSS not present,
 * #TS for one too small); processors may make them before the exit too.
 * Privilege is not checked again: the processor did it, and through a task
 * gate the TSS descriptor's DPL does not count. Not done, and the VM is stopped with a message
 * instead: 16-bit TSSs, a new task in virtual-8086 mode, and a new task
 * whose segment or LDT descriptors are not valid (hardware would raise the
 * fault in the new task's context). The TSS's T bit (a debug trap on
 * entering the task) is ignored.
 */
#include <asm/cpu.h>
#include <asm/virt.h>
#include <asm/vmx.h>
#include <asm/vmx_cpu.h>
#include <hv/vm/vm.h>
#include <string.h>

/* Exit qualification of a task switch (SDM Vol. 3C, "Exit Qualification for Task Switches"). */
#define TSQ_SELECTOR(q) ((uint16_t)(q))
#define TSQ_SOURCE(q) ((unsigned int)((q) >> 30) & 3)
enum { TS_CALL, TS_IRET, TS_JMP, TS_GATE };

/* The 32-bit TSS fields a switch reads and writes. */
#define TSS_LINK 0x00
#define TSS_CR3 0x1c
#define TSS_EIP 0x20 /* EIP, EFLAGS, EAX..EDI, ES..GS: the dynamic state */
#define TSS_LDT 0x60
#define TSS32_MIN 0x67
#define TSS_DYN_LEN (0x60 - TSS_EIP)

#define DESC_TSS32_AVAIL 9
#define DESC_TSS32_BUSY 11
#define DESC_BUSY (1ULL << 41)
#define DESC_S (1ULL << 44) /* code or data segment, not a system descriptor */
/* The EFLAGS bits that exist (SDM Vol. 1 §3.4.3): 1, 3, 5, 15 and 22-31 are
 * reserved, and a VM entry with any of them set fails (Vol. 3C §27.3.1.4). */
#define EFLAGS_DEFINED 0x003f7fd5u
#define AR_UNUSABLE (1u << 16)

struct tseg {
	uint16_t sel;
	uint32_t base, limit, ar; /* AR in the VMCS format */
};

/* The guest's linear memory; protected mode: addresses wrap at 4 GiB. */
static bool lin_copy(struct vcpu *v, uint64_t va, void *buf, size_t n, bool write)
{
	return virt_up->copy(v, va & 0xffffffffULL, buf, n, write);
}

static struct tseg seg_get(enum seg s)
{
	return (struct tseg){
		.sel = (uint16_t)vmread(VMCS_SEG(VMCS_GUEST_ES_SEL, s)),
		.base = (uint32_t)vmread(VMCS_SEG(VMCS_GUEST_ES_BASE, s)),
		.limit = (uint32_t)vmread(VMCS_SEG(VMCS_GUEST_ES_LIMIT, s)),
		.ar = (uint32_t)vmread(VMCS_SEG(VMCS_GUEST_ES_AR, s)),
	};
}

static void seg_set(enum seg s, const struct tseg *g)
{
	vmwrite(VMCS_SEG(VMCS_GUEST_ES_SEL, s), g->sel);
	vmwrite(VMCS_SEG(VMCS_GUEST_ES_BASE, s), g->base);
	vmwrite(VMCS_SEG(VMCS_GUEST_ES_LIMIT, s), g->limit);
	vmwrite(VMCS_SEG(VMCS_GUEST_ES_AR, s), g->ar);
}

/* The descriptor of sel in the GDT, or in the LDT ldt when TI is set. */
static bool desc_addr(uint16_t sel, const struct tseg *ldt, uint64_t *va)
{
	uint64_t base = vmread(VMCS_GUEST_GDTR_BASE);
	uint32_t limit = (uint32_t)vmread(VMCS_GUEST_GDTR_LIMIT);

	if (sel & 4) {
		if (!ldt || (ldt->ar & AR_UNUSABLE))
			return false;
		base = ldt->base;
		limit = ldt->limit;
	}
	if ((uint32_t)(sel | 7) > limit)
		return false;
	*va = base + (sel & ~7u);
	return true;
}

static bool desc_read(struct vcpu *v, uint16_t sel, const struct tseg *ldt, uint64_t *d)
{
	uint64_t va;

	return desc_addr(sel, ldt, &va) && lin_copy(v, va, d, 8, false);
}

static bool desc_write(struct vcpu *v, uint16_t sel, const struct tseg *ldt, uint64_t d)
{
	uint64_t va;

	return desc_addr(sel, ldt, &va) && lin_copy(v, va, &d, 8, true);
}

static unsigned int desc_type(uint64_t d)
{
	return (unsigned int)(d >> 40) & 0xf;
}

static unsigned int desc_dpl(uint64_t d)
{
	return (unsigned int)(d >> 45) & 3;
}

static bool desc_present(uint64_t d)
{
	return d & (1ULL << 47);
}

static struct tseg desc_seg(uint16_t sel, uint64_t d)
{
	struct tseg s = {
		.sel = sel,
		.base = (uint32_t)(((d >> 16) & 0xffffff) | ((d >> 56) << 24)),
		.limit = (uint32_t)((d & 0xffff) | ((d >> 32) & 0xf0000)),
		.ar = (uint32_t)((d >> 40) & 0xf0ff), /* type S DPL P, AVL L D/B G */
	};

	if (d & (1ULL << 55))
		s.limit = s.limit << 12 | 0xfff;
	return s;
}

/*
 * Load segment register s of the new task from selector sel, as a task
 * switch qualifies it (SDM Vol. 3A, "Task Switching", last step): CS a present code
 * segment with the CPL its RPL gives; SS a present writable data segment at
 * that CPL; the data registers null (unusable) or a present data or
 * readable code segment. Sets the accessed bit, in memory too.
 */
static bool load_seg(struct vcpu *v, enum seg s, uint16_t sel, const struct tseg *ldt,
		     unsigned int cpl, const char **why)
{
	struct tseg g = { .sel = sel, .ar = AR_UNUSABLE };
	unsigned int type, dpl;
	uint64_t d;

	if ((sel & ~3u) == 0) {
		if (s == SEG_CS || s == SEG_SS) {
			*why = "null CS or SS in the new TSS";
			return false;
		}
		seg_set(s, &g);
		return true;
	}
	if (!desc_read(v, sel, ldt, &d)) {
		*why = "a segment selector of the new TSS is outside its table";
		return false;
	}
	type = desc_type(d);
	dpl = desc_dpl(d);
	if (!desc_present(d) || !(d & DESC_S)) {
		*why = "a segment of the new task is not present or not a code/data segment";
		return false;
	}
	if (s == SEG_CS) {
		if (!(type & 8) || ((type & 4) ? dpl > cpl : dpl != cpl)) {
			*why = "the new CS is not a code segment at the new CPL";
			return false;
		}
	} else if (s == SEG_SS) {
		if ((type & 0xa) != 2 || dpl != cpl || (sel & 3) != cpl) {
			*why = "the new SS is not a writable data segment at the new CPL";
			return false;
		}
	} else if ((type & 0xa) == 8) {
		*why = "a data segment register of the new task names an execute-only segment";
		return false;
	}
	if (!(d & (1ULL << 40))) {
		d |= 1ULL << 40;
		(void)desc_write(v, sel, ldt, d);
	}
	g = desc_seg(sel, d);
	seg_set(s, &g);
	return true;
}

static bool inject_fault(struct vcpu *v, uint8_t vector, uint16_t sel)
{
	vmwrite(VMCS_ENTRY_INTR_INFO, 0); /* the event that led here is not delivered */
	vmx_inject_exception(v, vector, true, sel & 0xfffc);
	return true;
}

static bool stop(struct vcpu *v, uint16_t sel, const char *why)
{
	virt_up->crash(v->vm, "task switch to TSS %#x: %s (not emulated)", sel, why);
	return false;
}

/*
 * The task switch exit with qualification qual. Returns false when the VM
 * was stopped. The guest's GPRs are v->regs (RSP included: the caller
 * writes it back).
 */
bool vmx_task_switch(struct vcpu *v, uint64_t qual)
{
	unsigned int src = TSQ_SOURCE(qual), cpl, len = (unsigned int)vmread(VMCS_EXIT_INSTR_LEN);
	uint16_t sel = TSQ_SELECTOR(qual), ldt_sel, new_sel[6];
	uint32_t vect = (uint32_t)vmread(VMCS_IDT_VECTORING_INFO), eflags, dyn[TSS_DYN_LEN / 4];
	struct tseg old_tr = seg_get(SEG_TR), tr, ldt;
	uint64_t tss_d, old_d, rip = vmread(VMCS_GUEST_RIP);
	uint32_t new_eip, new_eflags, cr3, regs[8], err = 0;
	bool has_err = false, nested = src == TS_CALL || src == TS_GATE;
	struct guest_regs *r = &v->regs;
	const char *why = "";
	uint64_t *gpr[8] = { &r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp, &r->rsi, &r->rdi };

	if (src == TS_GATE && (vect & INTR_INFO_VALID)) {
		unsigned int type = (vect >> 8) & 7;

		/* A hardware exception's fault address is the instruction's own;
		 * INT n, INT3, INTO return past it. */
		if (type != 4 && type != 5 && type != 6)
			len = 0;
		has_err = vect & INTR_INFO_ERROR_CODE;
		err = (uint32_t)vmread(VMCS_IDT_VECTORING_ERROR);
	} else if (src == TS_GATE) {
		len = 0;
	}

	/* Before the switch: faults in the old task's context. IA-32e mode has
	 * no task switches. */
	if (vmx_ops.get_msr(v, MSR_IA32_EFER) & X86_EFER_LMA)
		return inject_fault(v, 13, 0);
	if ((sel & 4) || !desc_read(v, sel, NULL, &tss_d))
		return inject_fault(v, 13, sel);
	if (tss_d & DESC_S)
		return inject_fault(v, 13, sel); /* a code or data segment */
	if (desc_type(tss_d) == 1 || desc_type(tss_d) == 3)
		return stop(v, sel, "a 16-bit TSS");
	if ((desc_type(tss_d) | 2) != DESC_TSS32_BUSY)
		return inject_fault(v, 13, sel); /* not a TSS descriptor */
	/* SDM Vol. 3A, "Checks Made during a Task Switch": present (#NP),
	 * available or busy as the source wants (#GP, for IRET #TS), limit (#TS). */
	tr = desc_seg(sel, tss_d);
	if (!desc_present(tss_d))
		return inject_fault(v, 11, sel);
	if ((src == TS_IRET) != (desc_type(tss_d) == DESC_TSS32_BUSY))
		return inject_fault(v, src == TS_IRET ? 10 : 13, sel);
	if (tr.limit < TSS32_MIN)
		return inject_fault(v, 10, sel);
	if ((old_tr.ar & 0xf) != DESC_TSS32_BUSY)
		return stop(v, sel, "the current task's TR is not a busy 32-bit TSS");

	/* The current task's state goes to its TSS. */
	eflags = (uint32_t)vmread(VMCS_GUEST_RFLAGS);
	if (src == TS_IRET)
		eflags &= ~(1u << 14); /* NT */
	if (!lin_copy(v, old_tr.base + TSS_EIP, dyn, sizeof(dyn), false))
		return stop(v, sel, "the current TSS is not in memory");
	dyn[0] = (uint32_t)(rip + len);
	dyn[1] = eflags;
	for (unsigned int i = 0; i < 8; i++)
		dyn[2 + i] = (uint32_t)*gpr[i];
	for (unsigned int i = 0; i < 6; i++) /* 16-bit fields: the upper halves are kept */
		dyn[10 + i] = (dyn[10 + i] & 0xffff0000u) | (uint16_t)vmread(VMCS_SEG(VMCS_GUEST_ES_SEL, i));
	if (!lin_copy(v, old_tr.base + TSS_EIP, dyn, sizeof(dyn), true))
		return stop(v, sel, "the current TSS is not in memory");
	if ((src == TS_JMP || src == TS_IRET) && desc_read(v, old_tr.sel, NULL, &old_d))
		(void)desc_write(v, old_tr.sel, NULL, old_d & ~DESC_BUSY);

	/* The new task's TSS, through the old task's page tables. */
	if (!lin_copy(v, tr.base + TSS_CR3, &cr3, 4, false) ||
	    !lin_copy(v, tr.base + TSS_EIP, dyn, sizeof(dyn), false) ||
	    !lin_copy(v, tr.base + TSS_LDT, &ldt_sel, 2, false))
		return stop(v, sel, "the new TSS is not in memory");
	if (nested && !lin_copy(v, tr.base + TSS_LINK, &old_tr.sel, 2, true))
		return stop(v, sel, "the new TSS is not in memory");
	new_eip = dyn[0];
	new_eflags = (dyn[1] & EFLAGS_DEFINED) | X86_RFLAGS_FIXED | (nested ? 1u << 14 : 0);
	for (unsigned int i = 0; i < 8; i++)
		regs[i] = dyn[2 + i];
	for (unsigned int i = 0; i < 6; i++)
		new_sel[i] = (uint16_t)dyn[10 + i];
	if (new_eflags & X86_RFLAGS_VM)
		return stop(v, sel, "the new task runs in virtual-8086 mode");
	if (src != TS_IRET)
		(void)desc_write(v, sel, NULL, tss_d | DESC_BUSY);

	/* From here on the switch is made: TR, CR0.TS, CR3, then the state. */
	tr.ar = (tr.ar & ~0xfu) | DESC_TSS32_BUSY;
	seg_set(SEG_TR, &tr);
	vmx_ops.set_cr(v, 0, vmx_ops.get_cr(v, 0) | X86_CR0_TS_BIT);
	if ((vmx_ops.get_cr(v, 0) & X86_CR0_PG) && !virt_up->load_cr3(v, cr3))
		return stop(v, sel, "the new CR3 has invalid PAE PDPTEs");
	vmwrite(VMCS_GUEST_RIP, new_eip);
	vmwrite(VMCS_GUEST_RFLAGS, new_eflags);
	for (unsigned int i = 0; i < 8; i++)
		*gpr[i] = regs[i];
	/* Local breakpoints end with the task; no STI/MOV SS shadow survives. */
	vmwrite(VMCS_GUEST_DR7, vmread(VMCS_GUEST_DR7) & ~0x155ULL);
	vmwrite(VMCS_GUEST_INTERRUPTIBILITY, vmread(VMCS_GUEST_INTERRUPTIBILITY) & ~3ULL);
	vmwrite(VMCS_ENTRY_INTR_INFO, 0); /* a gate's event is delivered by the switch */

	ldt = (struct tseg){ .sel = ldt_sel, .ar = AR_UNUSABLE };
	if (ldt_sel & ~3u) {
		uint64_t d;

		if ((ldt_sel & 4) || !desc_read(v, ldt_sel, NULL, &d) || desc_type(d) != 2 ||
		    !desc_present(d) || (d & DESC_S))
			return stop(v, sel, "the new LDT selector does not name a present LDT");
		ldt = desc_seg(ldt_sel, d);
	}
	seg_set(SEG_LDTR, &ldt);
	cpl = new_sel[SEG_CS] & 3;
	for (unsigned int i = 0; i < 6; i++) {
		static const enum seg order[6] = { SEG_CS, SEG_SS, SEG_ES, SEG_DS, SEG_FS, SEG_GS };

		if (!load_seg(v, order[i], new_sel[order[i]], &ldt, cpl, &why))
			return stop(v, sel, why);
	}
	if (has_err) {
		struct tseg ss = seg_get(SEG_SS);

		r->rsp = (uint32_t)(r->rsp - 4);
		if (!lin_copy(v, ss.base + r->rsp, &err, 4, true))
			return stop(v, sel, "the new task's stack is not in memory");
	}
	return true;
}
