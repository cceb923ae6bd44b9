/* SPDX-License-Identifier: MIT */
/*
 * What the host CPU does between two VMs, and between a VM and the host, so
 * that one cannot see what another left behind in it: state a VM switch
 * does not replace (the x87 error pointers under AMD's FXRSTOR) and the
 * transient-execution barriers (L1D flush, VERW, IBPB, RSB filling).
 * Chosen once at boot from CPUID, IA32_ARCH_CAPABILITIES and the config's
 * "mitigations" (mitig_choose(), plain C, unit-tested); carried out by the
 * VM-switch and entry paths of both back ends (docs/security.md). BSP,
 * interrupts off.
 */
#ifndef ASM_MITIGATIONS_H
#define ASM_MITIGATIONS_H

/* One bit per measure (MITIG_BIT(id) in mitig_on); also the index of its
 * counter in mitig_count[]. Numbers, for the entry code too. */
#define MITIG_X87_PTRS 0  /* x87 FIP/FDP/FOP set to a known value before FXRSTOR */
#define MITIG_L1D_FLUSH 1 /* L1 data cache flushed before each VM entry (L1TF) */
#define MITIG_VERW 2      /* CPU buffers cleared by VERW before each VM entry (MDS, TAA) */
#define MITIG_IBPB 3      /* branch predictors barred when another VM's vCPU is next */
#define MITIG_RSB_FILL 4  /* return stack overwritten after each VM exit */
#define MITIG_NR 5

#ifdef __ASSEMBLER__
#define MITIG_BIT(id) (1 << (id))

/*
 * Right before VMLAUNCH/VMRESUME/VMRUN, after the last load of host data:
 * VERW with a memory operand naming a writable data segment overwrites the
 * store, fill and load buffers on CPUs with MD_CLEAR (Intel's MDS
 * guidance). Clobbers RFLAGS only.
 */
.macro MITIG_VERW_BEFORE_ENTRY
	testl $MITIG_BIT(MITIG_VERW), mitig_on(%rip)
	jz .Lverw_done\@
	incq mitig_count + 8 * MITIG_VERW(%rip)
	verw mitig_verw_sel(%rip)
.Lverw_done\@:
.endm

/*
 * After a VM exit, before the host's first RET: 32 CALLs whose return
 * addresses lead into a speculation trap, so that no RET of the host is
 * predicted from an entry the guest left in the return stack buffer (as
 * Linux's FILL_RETURN_BUFFER). Net stack use 0; clobbers RAX and RFLAGS.
 */
.macro MITIG_RSB_FILL_AFTER_EXIT
	testl $MITIG_BIT(MITIG_RSB_FILL), mitig_on(%rip)
	jz .Lrsb_done\@
	movl $16, %eax
.Lrsb_loop\@:
	call .Lrsb_1\@
.Lrsb_trap_0\@:
	pause
	lfence
	jmp .Lrsb_trap_0\@
.Lrsb_1\@:
	call .Lrsb_2\@
.Lrsb_trap_1\@:
	pause
	lfence
	jmp .Lrsb_trap_1\@
.Lrsb_2\@:
	addq $16, %rsp
	decl %eax
	jnz .Lrsb_loop\@
	lfence			/* no speculation past a mispredicted JNZ */
	incq mitig_count + 8 * MITIG_RSB_FILL(%rip)
.Lrsb_done\@:
.endm

#else /* !__ASSEMBLER__ */

#include <types.h>

#define MITIG_BIT(id) (1u << (id))

enum mitig_mode {
	MITIG_AUTO,  /* what this CPU needs */
	MITIG_FORCE, /* everything this CPU can do, needed or not (tests) */
	MITIG_OFF,   /* no transient-execution barriers (x87 pointers: as auto) */
};

/* What the choice depends on, as read from the CPU. */
struct mitig_facts {
	bool amd;           /* AuthenticAMD or HygonGenuine */
	uint32_t l7_ebx;    /* CPUID.(7,0):EBX, 0 if leaf 7 is absent */
	uint32_t l7_edx;    /* CPUID.(7,0):EDX */
	uint32_t e8_ebx;    /* CPUID 8000_0008h:EBX, 0 if the leaf is absent */
	uint64_t arch_caps; /* IA32_ARCH_CAPABILITIES, 0 unless CPUID.(7,0):EDX[29] */
};

/* CPUID.(7,0):EBX[11] RTM; EDX[10] MD_CLEAR, [26] IBRS/IBPB, [28] L1D_FLUSH
 * (IA32_FLUSH_CMD), [29] IA32_ARCH_CAPABILITIES (SDM Vol. 2A, CPUID). */
#define CPUID_7_EBX_RTM (1u << 11)
#define CPUID_7_EDX_MD_CLEAR (1u << 10)
#define CPUID_7_EDX_IBPB (1u << 26)
#define CPUID_7_EDX_L1D_FLUSH (1u << 28)
#define CPUID_7_EDX_ARCH_CAPS (1u << 29)
/* CPUID 8000_0008h:EBX[2] XSaveErPtr: FXSAVE/XSAVE always save the error
 * pointers, FXRSTOR/XRSTOR always restore them; [12] IBPB (AMD APM Vol. 3,
 * E.4.7). */
#define CPUID_E8_EBX_XSAVEERPTR (1u << 2)
#define CPUID_E8_EBX_IBPB (1u << 12)
/* IA32_ARCH_CAPABILITIES (SDM Vol. 4, Table 2-2). */
#define MSR_IA32_ARCH_CAPABILITIES 0x10a
#define ARCH_CAP_RDCL_NO (1ULL << 0)
#define ARCH_CAP_SKIP_L1DFL_VMENTRY (1ULL << 3)
#define ARCH_CAP_MDS_NO (1ULL << 5)
#define ARCH_CAP_TAA_NO (1ULL << 8)
#define MSR_IA32_PRED_CMD 0x49
#define PRED_CMD_IBPB 1
#define MSR_IA32_FLUSH_CMD 0x10b
#define FLUSH_CMD_L1D 1

struct mitig_choice {
	unsigned int on;      /* MITIG_BIT()s carried out */
	unsigned int skipped; /* wanted (needed, or forced), but this CPU cannot */
	bool l1d_msr;         /* the L1D flush is IA32_FLUSH_CMD, not a software fill */
};

/* The decision table: which measures run on a CPU with facts f in mode m.
 * Pure; never fails. */
struct mitig_choice mitig_choose(const struct mitig_facts *f, enum mitig_mode m);
/* Short name of a measure, as printed at boot and in the stats; "?" for an
 * id >= MITIG_NR. */
const char *mitig_name(unsigned int id);

/* Read the facts, choose, print "mitigations (mode): ..." (once, at boot). */
void mitig_init(enum mitig_mode m);
/* The measures on (MITIG_BIT()s) and how often each has run; the entry
 * code reads mitig_on and counts VERW and RSB filling itself. */
extern unsigned int mitig_on;
extern uint64_t mitig_count[MITIG_NR];
/* VERW's operand: the host's data segment selector. */
extern uint16_t mitig_verw_sel;

/* Before FXRSTOR of the next vCPU's FPU image: with MITIG_X87_PTRS, make
 * FIP/FDP/FOP the hypervisor's own known values, so that an FXRSTOR that
 * leaves them in place (AMD without XSaveErPtr, no exception pending in
 * the image) does not hand the previous VM's to the next. */
void mitig_x87_ptrs(void);
/* On a switch of the hardware's guest state to a vCPU of another VM than
 * the last one that ran (guest_cpu_switch()): IBPB, if on. */
void mitig_vm_switch(void);
/* Right before each VM entry, from C (the last call before vmx_enter() /
 * svm_enter()): the L1D flush, if on. */
void mitig_before_entry(void);

#endif /* __ASSEMBLER__ */
#endif /* ASM_MITIGATIONS_H */
