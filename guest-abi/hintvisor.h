/* SPDX-License-Identifier: MIT */
/*
 * Hintvisor guest ABI, version 1.1: everything a guest needs to detect
 * Hintvisor, call it, and take part in guest page hinting. Needs only
 * <stdint.h> (<linux/types.h> in a Linux kernel). The prose that goes with
 * it is guest-abi/ABI.md.
 *
 * Calling convention (as KVM): VMCALL at CPL 0, call number in RAX,
 * arguments in RBX, RCX, RDX, RSI; the result comes back in RAX. A negative
 * result is -HV_E*; everything else is preserved. A long call (ABI.md §3)
 * may take several VM exits, with interrupts delivered at the VMCALL in
 * between; the guest sees it return once.
 */
#ifndef HINTVISOR_ABI_H
#define HINTVISOR_ABI_H

#ifdef __KERNEL__
#include <linux/types.h> /* the Linux guest kernel: its uint*_t */
#else
#include <stdint.h>
#endif

#define HV_ABI_MAJOR 1
#define HV_ABI_MINOR 1
#define HV_ABI_VERSION ((HV_ABI_MAJOR << 16) | HV_ABI_MINOR)

/* CPUID leaves (EAX in). */
#define HV_CPUID_SIGNATURE 0x40000000u /* EAX: max leaf; EBX,ECX,EDX: "HintvisorHV\0" */
#define HV_CPUID_VERSION 0x40000001u   /* EAX: HV_ABI_VERSION; EBX: HV_FEAT_* */
#define HV_CPUID_SIG_EBX 0x746e6948u   /* "Hint" */
#define HV_CPUID_SIG_ECX 0x6f736976u   /* "viso" */
#define HV_CPUID_SIG_EDX 0x00564872u   /* "rHV\0" */

/* Feature bits (CPUID 0x40000001 EBX and HV_HC_GET_FEATURES). */
#define HV_FEAT_PAGE_STATES (1u << 0)   /* set/get page state calls */
#define HV_FEAT_STATE_TABLE (1u << 1)   /* shared state table */
#define HV_FEAT_DISCARD_FAULT (1u << 2) /* discard fault through #VE */
#define HV_FEAT_STATS (1u << 3)         /* HV_HC_GET_STATS */
#define HV_FEAT_RESET (1u << 4)         /* HV_HC_RESET (ABI 1.1) */

/* Hypercall numbers. Never reused; 0 is never valid. */
#define HV_HC_GET_VERSION 1        /* () -> HV_ABI_VERSION */
#define HV_HC_GET_FEATURES 2       /* () -> HV_FEAT_* */
#define HV_HC_SET_PAGE_STATE 3     /* (gfn, state) -> result word */
#define HV_HC_SET_RANGE_STATE 4    /* (first gfn, count, state) -> pages changed */
#define HV_HC_SET_BATCH_STATE 5    /* (gpa of entries, count) -> entries processed */
#define HV_HC_GET_PAGE_STATE 6     /* (gfn) -> state word */
#define HV_HC_REGISTER_TABLE 7     /* (gpa, nr of gfns) -> 0 */
#define HV_HC_REGISTER_VE_AREA 8   /* (gpa) -> 0, for the calling vCPU */
#define HV_HC_GET_STATS 9          /* (gpa of struct hv_vm_stats, size) -> bytes written */
#define HV_HC_RESET 10             /* () -> pages made STABLE; table and #VE areas unregistered */
#define HV_HC_MAX 10

/* Guest page states. */
#define HV_PAGE_STABLE 0
#define HV_PAGE_UNUSED 1
#define HV_PAGE_VOLATILE 2
#define HV_PAGE_POT_VOLATILE 3
#define HV_PAGE_STATE_MASK 0x3

/* Host states, as reported by HV_HC_GET_PAGE_STATE bits 2..3. */
#define HV_HOST_RESIDENT 0
#define HV_HOST_PRESERVED 1
#define HV_HOST_ZERO 2

/* Result word of a state change and of HV_HC_GET_PAGE_STATE. */
#define HV_RES_OLD_STATE(r) ((r) & HV_PAGE_STATE_MASK)
#define HV_RES_HOST_STATE(r) (((r) >> 2) & 0x3)
#define HV_RES_DISCARDED (1u << 4) /* the content of the page was dropped */

/*
 * Batch entry: gfn in bits 63..12, new state in bits 1..0. The host writes
 * the result back into the same entry: gfn kept, bits 11..0 replaced by the
 * result word, or by HV_BATCH_ERR | error number (positive) for a rejected
 * entry. One 4 KiB page holds at most HV_BATCH_MAX entries.
 */
#define HV_BATCH_MAX 512
#define HV_BATCH_GFN(e) ((e) >> 12)
#define HV_BATCH_ENTRY(gfn, state) (((uint64_t)(gfn) << 12) | (uint64_t)(state))
#define HV_BATCH_ERR (1u << 11)

/*
 * Shared state table: one byte per gfn. Guest and host change a byte only
 * with compare-and-swap. Values other than these read as STABLE.
 */
#define HV_TABLE_DISCARDED 0x80 /* set by the host on a dropped VOLATILE page */

/* Discard fault: #VE (vector 20) with this area filled in (SDM layout). */
#define HV_DISCARD_VECTOR 20
#define HV_VE_REASON_DISCARD 0x48445343u /* "CSDH" */
struct hv_ve_info {
	uint32_t reason;      /* HV_VE_REASON_DISCARD */
	uint32_t busy;        /* 0xffffffff while unhandled; guest writes 0 when done */
	uint64_t exit_qual;   /* access bits: 1 read, 2 write, 4 fetch */
	uint64_t gla;         /* guest-linear address of the access */
	uint64_t gpa;         /* guest-physical address of the access */
	uint16_t eptp_index;  /* always 0 */
	uint16_t reserved[3];
};

/* Guest-visible error codes (returned negated). Fixed forever. */
#define HV_EPERM 1    /* called from CPL > 0 */
#define HV_ENOMEM 12  /* the host is out of memory for this call; nothing changed */
#define HV_EFAULT 14  /* a guest-physical argument is not in guest RAM */
#define HV_EBUSY 16   /* already registered / area in use */
#define HV_EINVAL 22  /* malformed argument (alignment, state value, count) */
#define HV_ERANGE 34  /* gfn beyond guest RAM */
#define HV_ENOSYS 38  /* unknown call number */

/* Per-VM statistics returned by HV_HC_GET_STATS (prefix of it if smaller). */
struct hv_vm_stats {
	uint64_t pages[4][3]; /* [guest state][host state] page counts */
	uint64_t page_outs;
	uint64_t page_ins;
	uint64_t drops_unused;
	uint64_t drops_volatile;
	uint64_t drops_pot_volatile;
	uint64_t discard_faults;
	uint64_t zero_fills;
	uint64_t reuse_detected;
	uint64_t hypercalls;
	uint64_t exits;
};

/* Guest start state for 64-bit ELF guests ("hvboot"), see ABI.md. */
#define HV_START_INFO_GPA 0x1000u
#define HV_START_MAGIC 0x544f4f4256484e48ull /* "HNHVBOOT" */
struct hv_start_info {
	uint64_t magic;      /* HV_START_MAGIC */
	uint32_t version;    /* HV_ABI_VERSION */
	uint32_t vcpus;      /* number of vCPUs */
	uint64_t mem_bytes;  /* guest RAM: [0, mem_bytes) */
	uint64_t cmdline_gpa; /* NUL-terminated, 0 if none */
	char name[32];       /* VM name, NUL-terminated */
};

/* Debug exit: a write of v to this port ends the VM (QEMU isa-debug-exit). */
#define HV_DEBUG_EXIT_PORT 0xf4

#endif /* HINTVISOR_ABI_H */
