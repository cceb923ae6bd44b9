/* SPDX-License-Identifier: MIT */
/*
 * Virtual CPUs and VMs: the architecture-neutral view. The back end's state
 * of a vCPU (VMCS or VMCB) sits in struct vcpu_arch, that of a VM (its
 * nested page tables) in struct vm_arch.
 */
#ifndef HV_VCPU_H
#define HV_VCPU_H

#include <asm/guest_regs.h>
#include <asm/vcpu_arch.h>
#include <asm/vm_arch.h>
#include <hv/dev/bus.h>
#include <hv/dev/ioapic.h>
#include <hv/dev/lapic.h>
#include <hv/dev/pci.h>
#include <hv/dev/pic.h>
#include <hv/dev/platform.h>
#include <hv/dev/virtio_balloon.h>
#include <hv/dev/virtio_blk.h>
#include <hv/dev/uart.h>
#include <guest-abi/hintvisor.h>
#include <hv/vm/config.h>
#include <mm/mm.h>
#include <types.h>

#define VM_NAME_LEN 32
#define VM_MAX CFG_MAX_VMS
_Static_assert(VM_MAX <= 64, "a VM id is a bit of struct pcpu's 64-bit flush_vms");
#define VCPU_MAX CFG_MAX_VCPUS /* per VM */
#define VM_EXIT_COUNTERS 192u /* >= every back end's counter indices */
#define VM_PORT_SLOTS 16     /* distinct unhandled ports counted one by one */


struct vm;

/*
 * A hypercall that did a bounded part of its work and is to go on when the
 * guest executes the same instruction again (hv/hint/hypercall.c; ABI.md §3, long
 * calls): the call as issued (instruction, stack pointer, number and
 * arguments) and how far it got. A few at once, for calls the guest's
 * interrupt handlers make while one is in progress.
 */
#define VCPU_HC_CONTS 4
struct hc_cont {
	uint64_t age;          /* 0: slot free; else when it was last used */
	uint64_t rip, rsp, nr, args[4];
	uint64_t done;         /* gfns done */
	int64_t result;        /* the result so far */
	uint64_t pages[4][3];  /* GET_STATS: pages counted so far */
};

/* How a vCPU starts: the boot protocol of its image decides. */
enum vcpu_mode {
	VCPU_MODE_LONG,   /* 64-bit, paging on (hvboot, Linux 64-bit boot protocol) */
	VCPU_MODE_PROT32, /* 32-bit protected mode, paging off (multiboot) */
	VCPU_MODE_REAL,   /* real mode at cs:rip, base cs * 16 (an AP: INIT state) */
};

struct vcpu_start {
	enum vcpu_mode mode;
	uint64_t rip, rsp, cr3; /* cr3 ignored for PROT32 */
	uint64_t gdt_base;
	uint16_t gdt_limit;
	uint16_t cs, ds;        /* selectors of flat code and data descriptors */
	struct guest_regs regs; /* initial general-purpose registers */
};

struct vcpu {
	struct vm *vm;
	unsigned int id;
	struct guest_regs regs;
	struct vcpu_arch arch; /* back-end state: see asm/vcpu_arch.h */
	uint64_t ve_area;   /* registered #VE information area (gpa) */
	bool ve_registered;
	bool halted;        /* HLT with interrupts enabled: waits for one */
	bool ran;           /* has run (an AP: since its SIPI) */
	bool halted_nmi_only; /* ... with interrupts disabled: an NMI wakes it */
	unsigned int on_cpu; /* the host CPU running it, + 1 (0: none; the scheduler's) */
	bool irq_from_pic;  /* the last interrupt injected came from the 8259 */
	bool irq_window, nmi_window; /* asked of the back end (vcpu_inject_events()) */
	struct lapic lapic;
	/* Guest state the VMCS does not switch; loaded while this vCPU runs. */
	uint64_t syscall_msrs[6]; /* STAR LSTAR CSTAR SFMASK KERNEL_GS_BASE TSC_AUX */
	uint64_t cr2, dr[4], dr6; /* neither in the VMCS nor trapped (MOV DR does not exit) */
	/* Guest TSC = host TSC + tsc_offset (in the VMCS/VMCB); tsc_adjust is
	 * IA32_TSC_ADJUST, what the guest's own writes added (SDM §17.17.3). */
	uint64_t tsc_offset, tsc_adjust;
	uint64_t misc_enable;     /* IA32_MISC_ENABLE as the guest wrote it */
	struct hc_cont hc_cont[VCPU_HC_CONTS]; /* long hypercalls in progress */
	uint64_t hc_age;
	/* The exit being handled, for the stats of host work per exit. */
	bool in_exit;
	unsigned int exit_reason; /* the back end's exit counter index */
	uint64_t exit_tsc, exit_walked;
	uint8_t fpu[512] __attribute__((aligned(16))); /* FXSAVE image */
};

/* VM_RESETTING: the guest asked for a reset during this run; the scheduler
 * restarts the VM from its images as soon as the run is over. */
enum vm_state { VM_READY, VM_RUNNING, VM_RESETTING, VM_STOPPED };

struct vm {
	char name[VM_NAME_LEN];
	unsigned int id;
	enum vm_state state;
	int exit_code;         /* debug-exit value, or -1 */
	char stop_reason[128]; /* why it stopped */
	uint64_t mem_bytes;
	uint64_t nr_frames;
	uint64_t entry;        /* guest RIP at start */
	const struct vm_config *cfg; /* what it was built from, and is rebuilt from */
	uint64_t boots;        /* 1 at the first start, one more per restart */
	char reset_reason[64]; /* what the guest did to reset it (VM_RESETTING) */
	struct vm *after;      /* does not start before this VM has stopped */
	uint64_t start_at;     /* ... nor before this TSC (config delay_ms=) */
	uint64_t time_limit;   /* stopped once cpu_time reaches it (0: never; time_limit_ms=) */
	uint64_t cpu_time;     /* TSC ticks of its time slices: guest and host work for it */
	struct vm_arch arch;   /* back-end state: see asm/vm_arch.h */
	struct mm_vm mm;       /* frame table and page states (mm/) */
	/* Nested page tables: host frames outside the pool, charged to the VM
	 * (hv/mem/pool.c): at most gpt_limit, why the last allocation failed. */
	uint64_t gpt_limit, gpt_peak;
	enum { GPT_OK, GPT_OVER_LIMIT, GPT_NO_HOST_FRAME } gpt_short;
	void *mm_storage;      /* host pages holding the frame table */
	uint64_t mm_storage_pages;
	uint8_t **table_pages; /* registered shared state table, per 4 KiB */
	uint64_t table_gpa, table_nr;
	uint64_t table_ptr_pages; /* host pages of table_pages[] */
	uint64_t table_pinned;    /* its pages pinned so far (registration in parts) */
	bool table_ready;         /* registration complete */
	struct hv_vm_stats final_stats; /* memory stats as the VM stopped */
	/* vCPU 0 starts at the image's entry (the BSP); nr_vcpus from the
	 * config (vcpus=). */
	struct vcpu vcpus[VCPU_MAX];
	unsigned int nr_vcpus;
	unsigned int vcpu_cursor; /* the scheduler's: the vCPU whose turn is next */
	struct bus bus;          /* port and MMIO ranges of the devices below */
	struct pic pic;
	struct ioapic ioapic;
	struct platform_ports plat; /* PIT, PM timer, port 0x61/0x92, reset */
	struct uart uart;
	struct pci_bus pci;
	struct pci_dev host_bridge;
	struct virtio_blk blk;
	bool has_blk;
	struct virtio_balloon balloon;
	bool has_balloon;
	char line[256];        /* console output being assembled (hv/vm/vm_console.c) */
	size_t line_len;
	uint64_t exits[VM_EXIT_COUNTERS];
	uint64_t hypercalls[HV_HC_MAX + 2]; /* last slot: unknown numbers */
	uint64_t hc_continued;   /* long calls entered again to go on (continuations) */
	uint64_t shootdowns, shootdown_ipis; /* CPUs waited for / kicked to flush its translations */
	/* Host work per exit, the largest seen: TSC ticks from an exit to the
	 * next entry (overall, which exit reason, and per reason), and
	 * frame-table entries or table bytes walked (pool_walked()). */
	uint64_t work_ticks_max, work_walked_max;
	unsigned int work_ticks_reason;
	uint64_t work_ticks_by_reason[VM_EXIT_COUNTERS];
	uint64_t tsc_start, tsc_run;        /* TSC at first entry, time spent in guest */
	uint64_t unknown_msrs, unknown_ports;
	struct {                 /* accesses outside RAM nothing answered (open bus) */
		uint64_t count;
		uint64_t first_gpa;
		bool first_write;
	} open_bus;
	struct {                 /* the unhandled ports, by port (first VM_PORT_SLOTS seen) */
		uint16_t port;
		uint64_t count;
	} port_counts[VM_PORT_SLOTS];
};

/* The interrupt the vCPU should take next (local APIC first, then the 8259
 * through LINT0), or -1. *from_pic tells where it came from. */
static inline int vcpu_irq_pending(const struct vcpu *v, bool *from_pic)
{
	int vec;

	*from_pic = false;
	/* The common case before an entry: nothing requested anywhere. */
	if (lapic_irr_empty(&v->lapic) && pic_quiet(&v->vm->pic))
		return -1;
	vec = lapic_pending(&v->lapic);
	if (vec >= 0 || !lapic_accepts_extint(&v->lapic))
		return vec;
	vec = pic_pending(&v->vm->pic);
	*from_pic = vec >= 0;
	return vec;
}

/* The pending interrupt was injected. */
static inline void vcpu_irq_ack(struct vcpu *v, int vec, bool from_pic)
{
	if (from_pic)
		pic_ack(&v->vm->pic);
	else
		lapic_ack(&v->lapic, (uint8_t)vec);
}

/* Undo vcpu_irq_ack(): the interrupt's delivery did not reach the guest. */
static inline void vcpu_irq_unack(struct vcpu *v, int vec, bool from_pic)
{
	if (from_pic)
		pic_unack(&v->vm->pic, vec);
	else
		lapic_unack(&v->lapic, (uint8_t)vec);
}

#endif /* HV_VCPU_H */
