/* SPDX-License-Identifier: MIT */
/*
 * AMD SVM hardware formats: the VMCB (AMD APM Vol. 2 appendix B, tables
 * B-1 and B-2), intercept bits, exit codes (appendix C), event injection
 * (§15.20), CPUID 8000000Ah features and the SVM MSRs, and the SVM
 * instruction wrappers. Used by the svm*.c files only.
 */
#ifndef ASM_SVM_H
#define ASM_SVM_H

#include <types.h>

/* CPUID Fn8000_000A EDX (APM Vol. 3 appendix E.4.9). */
#define SVM_FEAT_NPT (1u << 0)
#define SVM_FEAT_NRIPS (1u << 3)
#define SVM_FEAT_VMCB_CLEAN (1u << 5)
#define SVM_FEAT_FLUSH_BY_ASID (1u << 6)
#define SVM_FEAT_DECODE_ASSISTS (1u << 7)

#define MSR_VM_CR 0xc0010114
#define VM_CR_SVMDIS (1ULL << 4)
#define MSR_VM_HSAVE_PA 0xc0010117
#define X86_EFER_SVME (1UL << 12)

/* CR intercepts (VMCB offset 000h): reads in bits 0..15, writes 16..31. */
#define SVM_INTCR_WRITE_CR4 (1u << 20)
#define SVM_INTCR_WRITE_CR8 (1u << 24)

/* Intercept vector 3 (VMCB offset 00Ch) and 4 (010h). */
#define SVM_INT3_INTR (1u << 0)
#define SVM_INT3_NMI (1u << 1)
#define SVM_INT3_VINTR (1u << 4)
#define SVM_INT3_IRET (1u << 20)
#define SVM_INT3_RDPMC (1u << 15)
#define SVM_INT3_CPUID (1u << 18)
#define SVM_INT3_INVD (1u << 22)
#define SVM_INT3_HLT (1u << 24)
#define SVM_INT3_INVLPGA (1u << 26)
#define SVM_INT3_IOIO (1u << 27)
#define SVM_INT3_MSR (1u << 28)
#define SVM_INT3_SHUTDOWN (1u << 31)
#define SVM_INT4_VMRUN (1u << 0)
#define SVM_INT4_VMMCALL (1u << 1)
#define SVM_INT4_VMLOAD (1u << 2)
#define SVM_INT4_VMSAVE (1u << 3)
#define SVM_INT4_STGI (1u << 4)
#define SVM_INT4_CLGI (1u << 5)
#define SVM_INT4_SKINIT (1u << 6)
#define SVM_INT4_WBINVD (1u << 9)
#define SVM_INT4_MONITOR (1u << 10)
#define SVM_INT4_MWAIT (1u << 11)
#define SVM_INT4_MWAIT_COND (1u << 12)
#define SVM_INT4_XSETBV (1u << 13)
#define SVM_INT5_INVPCID (1u << 2)

/* int_ctl (VMCB offset 060h). */
#define SVM_V_TPR_MASK 0xfu /* bits 3:0: the guest's CR8 with V_INTR_MASKING */
#define SVM_V_IRQ (1u << 8)
#define SVM_V_INTR_PRIO_SHIFT 16
#define SVM_V_IGN_TPR (1u << 20)
#define SVM_V_INTR_MASKING (1u << 24)
/* int_state (068h). */
#define SVM_INT_SHADOW (1u << 0)

/* tlb_ctl (05Ch). */
#define SVM_TLB_FLUSH_ALL 1
#define SVM_TLB_FLUSH_ASID 3

/* nested_ctl (090h). */
#define SVM_NESTED_NP (1ULL << 0)

/* VMCB clean bits (0C0h, APM §15.15.3): what the CPU may keep cached. */
#define SVM_CLEAN_INTERCEPTS (1u << 0) /* intercepts, TSC offset, pause filter */
#define SVM_CLEAN_IOPM (1u << 1)       /* IOPM and MSRPM bases */
#define SVM_CLEAN_ASID (1u << 2)
#define SVM_CLEAN_TPR (1u << 3)        /* V_TPR, V_IRQ, V_INTR_* */
#define SVM_CLEAN_NP (1u << 4)         /* nCR3, G_PAT */
#define SVM_CLEAN_CRX (1u << 5)        /* CR0, CR3, CR4, EFER */
#define SVM_CLEAN_DRX (1u << 6)        /* DR6, DR7 */
#define SVM_CLEAN_DT (1u << 7)         /* GDTR, IDTR */
#define SVM_CLEAN_SEG (1u << 8)        /* CS, DS, SS, ES, CPL */
#define SVM_CLEAN_CR2 (1u << 9)
#define SVM_CLEAN_ALL 0x3ffu

/* EVENTINJ / EXITINTINFO (APM §15.20). */
#define SVM_EVT_VALID (1u << 31)
#define SVM_EVT_ERROR (1u << 11)
#define SVM_EVT_TYPE_INTR (0u << 8)
#define SVM_EVT_TYPE_NMI (2u << 8)
#define SVM_EVT_TYPE_EXCEPTION (3u << 8)
#define SVM_EVT_TYPE_SOFT (4u << 8)
#define SVM_EVT_TYPE_MASK (7u << 8)

/* IOIO EXITINFO1 (APM §15.10.2). */
#define SVM_IOIO_IN (1u << 0)
#define SVM_IOIO_STR (1u << 2)
#define SVM_IOIO_REP (1u << 3)
#define SVM_IOIO_SZ8 (1u << 4)
#define SVM_IOIO_SZ16 (1u << 5)
#define SVM_IOIO_SZ32 (1u << 6)
#define SVM_IOIO_PORT(i) ((uint16_t)((i) >> 16))

/* MOV CRx EXITINFO1 with decode assists: the GPR (APM §15.8.1). */
#define SVM_CR_VALID (1ULL << 63)
#define SVM_CR_GPR(i) ((unsigned int)(i) & 15)

/* Nested page fault EXITINFO1: a #PF error code (APM §15.25.6). */
#define SVM_NPF_WRITE (1ULL << 1)
#define SVM_NPF_FETCH (1ULL << 4)
#define SVM_NPF_GUEST_TABLE (1ULL << 33) /* during the walk of the guest's page tables */

/* Exit codes (APM appendix C). */
#define SVM_EXIT_WRITE_CR4 0x014
#define SVM_EXIT_WRITE_CR8 0x018
#define SVM_EXIT_EXCP_BASE 0x040
#define SVM_EXIT_INTR 0x060
#define SVM_EXIT_NMI 0x061
#define SVM_EXIT_VINTR 0x064
#define SVM_EXIT_RDPMC 0x06f
#define SVM_EXIT_CPUID 0x072
#define SVM_EXIT_IRET 0x074
#define SVM_EXIT_INVD 0x076
#define SVM_EXIT_HLT 0x078
#define SVM_EXIT_INVLPGA 0x07a
#define SVM_EXIT_IOIO 0x07b
#define SVM_EXIT_MSR 0x07c
#define SVM_EXIT_SHUTDOWN 0x07f
#define SVM_EXIT_VMRUN 0x080
#define SVM_EXIT_VMMCALL 0x081
#define SVM_EXIT_VMLOAD 0x082
#define SVM_EXIT_VMSAVE 0x083
#define SVM_EXIT_STGI 0x084
#define SVM_EXIT_CLGI 0x085
#define SVM_EXIT_SKINIT 0x086
#define SVM_EXIT_WBINVD 0x089
#define SVM_EXIT_MONITOR 0x08a
#define SVM_EXIT_MWAIT 0x08b
#define SVM_EXIT_MWAIT_COND 0x08c
#define SVM_EXIT_XSETBV 0x08d
#define SVM_EXIT_INVPCID 0x0a2
#define SVM_EXIT_NPF 0x400
#define SVM_EXIT_INVALID 0xffffffffffffffffULL

/* Exit counter indices: codes below 0xa0 map to themselves. */
#define SVM_CTR_NPF 0xa0
#define SVM_CTR_INVALID 0xa1
#define SVM_CTR_OTHER 0xa2
#define SVM_CTR_MAX 0xa3

/* Segment attributes: descriptor bits 40..47 and 52..55 (APM §15.5.1). */
#define SVM_ATTR_CODE64 0x29b /* execute/read accessed, S, P, L, G */
#define SVM_ATTR_CODE32 0xc9b /* execute/read accessed, S, P, D/B, G */
#define SVM_ATTR_DATA 0xc93   /* read/write accessed, S, P, D/B, G */
#define SVM_ATTR_TSS64_BUSY 0x08b
#define SVM_ATTR_CODE16 0x09b /* real mode: execute/read accessed, S, P */
#define SVM_ATTR_DATA16 0x093 /* real mode: read/write accessed, S, P */

struct vmcb_seg {
	uint16_t sel, attrib;
	uint32_t limit;
	uint64_t base;
};

struct vmcb_control {
	uint32_t intercept_cr, intercept_dr, intercept_exc, intercept3, intercept4, intercept5;
	uint8_t reserved0[0x3c - 0x18];
	uint16_t pause_thresh, pause_count;
	uint64_t iopm_pa, msrpm_pa, tsc_offset;
	uint32_t asid;
	uint8_t tlb_ctl, reserved1[3];
	uint32_t int_ctl, int_vector, int_state, reserved2;
	uint64_t exit_code, exit_info1, exit_info2;
	uint32_t exit_int_info, exit_int_info_err;
	uint64_t nested_ctl, avic_bar, ghcb_pa;
	uint32_t event_inj, event_inj_err;
	uint64_t nested_cr3, virt_ext;
	uint32_t clean, reserved3;
	uint64_t next_rip;
	uint8_t insn_len, insn_bytes[15];
	uint8_t reserved4[0x400 - 0xe0];
};

struct vmcb_save {
	struct vmcb_seg es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr;
	uint8_t reserved0[0xcb - 0xa0];
	uint8_t cpl;
	uint32_t reserved1;
	uint64_t efer;
	uint8_t reserved2[0x148 - 0xd8];
	uint64_t cr4, cr3, cr0, dr7, dr6, rflags, rip;
	uint8_t reserved3[0x1d8 - 0x180];
	uint64_t rsp, s_cet, ssp, isst;
	uint64_t rax, star, lstar, cstar, sfmask, kernel_gs_base;
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip, cr2;
	uint8_t reserved4[0x268 - 0x248];
	uint64_t g_pat;
};

struct vmcb {
	struct vmcb_control ctl;
	struct vmcb_save save;
};

_Static_assert(sizeof(struct vmcb_seg) == 16, "VMCB segment is 16 bytes");
_Static_assert(__builtin_offsetof(struct vmcb_control, iopm_pa) == 0x40, "IOPM_BASE_PA at 040h");
_Static_assert(__builtin_offsetof(struct vmcb_control, asid) == 0x58, "ASID at 058h");
_Static_assert(__builtin_offsetof(struct vmcb_control, int_ctl) == 0x60, "int_ctl at 060h");
_Static_assert(__builtin_offsetof(struct vmcb_control, exit_code) == 0x70, "EXITCODE at 070h");
_Static_assert(__builtin_offsetof(struct vmcb_control, exit_int_info) == 0x88, "EXITINTINFO at 088h");
_Static_assert(__builtin_offsetof(struct vmcb_control, nested_ctl) == 0x90, "NP_ENABLE at 090h");
_Static_assert(__builtin_offsetof(struct vmcb_control, event_inj) == 0xa8, "EVENTINJ at 0A8h");
_Static_assert(__builtin_offsetof(struct vmcb_control, nested_cr3) == 0xb0, "N_CR3 at 0B0h");
_Static_assert(__builtin_offsetof(struct vmcb_control, clean) == 0xc0, "clean bits at 0C0h");
_Static_assert(__builtin_offsetof(struct vmcb_control, next_rip) == 0xc8, "nRIP at 0C8h");
_Static_assert(sizeof(struct vmcb_control) == 0x400, "control area is 400h bytes");
_Static_assert(__builtin_offsetof(struct vmcb_save, cpl) == 0xcb, "CPL at 0CBh");
_Static_assert(__builtin_offsetof(struct vmcb_save, efer) == 0xd0, "EFER at 0D0h");
_Static_assert(__builtin_offsetof(struct vmcb_save, cr4) == 0x148, "CR4 at 148h");
_Static_assert(__builtin_offsetof(struct vmcb_save, rip) == 0x178, "RIP at 178h");
_Static_assert(__builtin_offsetof(struct vmcb_save, rsp) == 0x1d8, "RSP at 1D8h");
_Static_assert(__builtin_offsetof(struct vmcb_save, rax) == 0x1f8, "RAX at 1F8h");
_Static_assert(__builtin_offsetof(struct vmcb_save, cr2) == 0x240, "CR2 at 240h");
_Static_assert(__builtin_offsetof(struct vmcb_save, g_pat) == 0x268, "G_PAT at 268h");
_Static_assert(sizeof(struct vmcb) <= 4096, "VMCB fits its page");

struct svm_caps {
	uint32_t revision, nr_asids, features; /* CPUID 8000000Ah EAX, EBX, EDX */
	bool nrips, clean, flush_by_asid, decode_assists;
};

extern struct svm_caps svm_caps;

#endif /* ASM_SVM_H */
