/* SPDX-License-Identifier: MIT */
/*
 * Virtual CPUs and VMs: the architecture-neutral view. The VT-x specifics of
 * a vCPU (its VMCS) sit behind struct vmx_vcpu in arch/x86_64.
 */
#ifndef HV_VCPU_H
#define HV_VCPU_H

#include <asm/ept.h>
#include <guest-abi/hintvisor.h>
#include <mm/mm.h>
#include <types.h>

#define VM_NAME_LEN 32
#define VM_MAX 16
#define VM_EXIT_COUNTERS 80 /* >= EXIT_REASON_MAX */

/* Guest GPRs not held in the VMCS; layout known to vmx_entry.S. */
struct guest_regs {
	uint64_t rax, rcx, rdx, rbx, rbp, rsi, rdi;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

struct vm;

struct vcpu {
	struct vm *vm;
	unsigned int id;
	struct guest_regs regs;
	void *vmcs;         /* 4 KiB VMCS region */
	bool launched;      /* VMLAUNCH done; next entry is VMRESUME */
	uint16_t vpid;
	uint64_t ve_area;   /* registered #VE information area (gpa) */
	bool ve_registered;
};

enum vm_state { VM_READY, VM_RUNNING, VM_STOPPED };

struct vm {
	char name[VM_NAME_LEN];
	unsigned int id;
	enum vm_state state;
	int exit_code;         /* debug-exit value, or -1 */
	char stop_reason[96];  /* why it stopped */
	uint64_t mem_bytes;
	uint64_t nr_frames;
	uint64_t entry;        /* guest RIP at start */
	struct ept ept;
	struct mm_vm mm;       /* frame table and page states (mm/) */
	void *mm_storage;      /* host pages holding the frame table */
	uint64_t mm_storage_pages;
	uint8_t **table_pages; /* registered shared state table, per 4 KiB */
	uint64_t table_gpa, table_nr;
	struct hv_vm_stats final_stats; /* memory stats as the VM stopped */
	struct vcpu vcpu;      /* one vCPU per VM for now */
	char line[160];        /* COM1 output being assembled */
	size_t line_len;
	uint64_t exits[VM_EXIT_COUNTERS];
	uint64_t hypercalls[HV_HC_MAX + 2]; /* last slot: unknown numbers */
	uint64_t tsc_start, tsc_run;        /* TSC at first entry, time spent in guest */
};

#endif /* HV_VCPU_H */
