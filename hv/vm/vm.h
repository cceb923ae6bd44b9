/* SPDX-License-Identifier: MIT */
/*
 * VMs as the rest of the hypervisor sees them: creation from the config, the
 * ways a VM ends, and the services exits call into (architecture-neutral).
 */
#ifndef HV_VM_H
#define HV_VM_H

#include <boot_info.h>
#include <hv/vm/config.h>
#include <base/spinlock.h>
#include <hv/vm/vcpu.h>

extern struct vm *vms[VM_MAX];
extern unsigned int nr_vms;

static inline bool ranges_overlap(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
	return an && bn && a < b + bn && b < a + an;
}

/*
 * Is [gpa, gpa + len) guest RAM? RAM is [0, mem) minus the I/O APIC page at
 * 0xfec00000 and the local APIC page at 0xfee00000, holes for guests that
 * large (ABI §8, hv/load/memmap.h): the devices cannot be moved, so no host
 * access may map RAM there behind the guest's APICs.
 */
static inline bool vm_is_ram(const struct vm *vm, uint64_t gpa, uint64_t len)
{
	if (gpa >= vm->mem_bytes || len > vm->mem_bytes - gpa)
		return false;
	return len == 0 || (!ranges_overlap(gpa, len, IOAPIC_BASE, PAGE_SIZE) &&
			    !ranges_overlap(gpa, len, APIC_DEFAULT_BASE, PAGE_SIZE));
}

/*
 * Does [gpa, gpa + len) overlap the registered state table? The host changes
 * table bytes only by CAS (ABI §6), so it never writes a buffer there (#VE
 * area, stats, batch results, virtio data): such buffers are refused.
 */
static inline bool vm_on_table(const struct vm *vm, uint64_t gpa, uint64_t len)
{
	return vm->table_pages && ranges_overlap(gpa, len, vm->table_gpa, vm->table_nr);
}

/* Does [gpa, gpa + len) overlap a device's virtqueue (a pinned ring the
 * device writes with plain stores)? The state table may not lie there. */
static inline bool vm_rings_overlap(const struct vm *vm, uint64_t gpa, uint64_t len)
{
	return (vm->has_blk && virtio_blk_ring_overlaps(&vm->blk, gpa, len)) ||
	       (vm->has_balloon && virtio_balloon_ring_overlaps(&vm->balloon, gpa, len));
}


/*
 * The guest asked its platform for a reset (how: "port 0xcf9", ...). With
 * on_reset=restart (the default) the VM is marked VM_RESETTING and its run
 * ends; the scheduler then calls vm_restart(). With on_reset=stop it is
 * stopped with "reset requested by the guest (how)".
 */
void vm_reset(struct vm *vm, const char *how);
/*
 * The lock of everything the VMs share (the VMs and their devices, host
 * memory and the pool, stats, the console): one CPU at a time handles
 * exits and schedules; guests run on every CPU at once (docs/smp.md).
 */
extern struct spinlock vm_lock;
/* After unmapping: vm's guest-physical translations gone on every CPU
 * (kicking and waiting for CPUs that run it); under vm_lock. */
void vm_flush_gpt(struct vm *vm);
/* This CPU: drop the translations other CPUs asked it to for the VM whose
 * vCPU it runs, and acknowledge (see vm.c); without vm_lock, before each
 * entry, after each exit and while it waits for the lock. */
void vm_process_flushes(void);
/* v is loaded on this CPU (under vm_lock): its VM's translations dropped if
 * another CPU asked for it since this CPU last ran it. */
void vm_flush_loaded(struct vcpu *v);
/*
 * An event for vCPU t is pending (an IPI from another vCPU, under vm_lock):
 * make it see it soon. Running on another CPU: that CPU leaves its guest at
 * once (its run loop injects the event before the next entry; an IPI that
 * arrives before the entry makes the entry exit at once). Not running: the
 * idle CPUs look for work again (a halted vCPU wakes in runnable()).
 */
void vcpu_kick(struct vcpu *t);

/* Stop a VM because of something the guest did; the run goes on. */
void vm_crash(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The guest wrote value to the debug-exit port. */
void vm_debug_exit(struct vm *vm, uint32_t value);

/* A byte the guest sent to its console (COM1 or port 0xe9); bytes other than
 * printable ASCII, tab and newline reach the host console as "\xNN"
 * (hv/vm/vm_console.c). */
void vm_console_byte(struct vm *vm, uint8_t c);
/* Emit a partial last line, e.g. when the VM stops without a newline. */
void vm_console_flush(struct vm *vm);

/* Register the VM's devices on its bus (hv/dev/board.c). 0 or negative errno. */
int board_setup(struct vm *vm);
/* Port I/O from the guest: returns false if no device decodes the port.
 * *val holds the value written (out) or receives the value read (in). */
bool board_io(struct vcpu *v, uint16_t port, unsigned int size, bool in, uint32_t *val);
/* Does a device decode guest-physical address gpa now (MMIO)? */
bool board_mmio_owns(struct vcpu *v, uint64_t gpa);
/* An MMIO access the exit code decoded; false: no device, or malformed. */
bool board_mmio(struct vcpu *v, uint64_t gpa, unsigned int size, bool write, uint64_t *val);
/* An ISA interrupt source (0..15) sets its line: the 8259 pair and the I/O
 * APIC both see it (IRQ 0 on I/O APIC pin 2). */
void board_set_irq(struct vm *vm, unsigned int irq, bool level);

/* Before each VM entry: device work left from earlier exits (a bounded
 * amount per call). May stop the VM. Also called for a halted vCPU while
 * board_work_pending() says there is some: finished work raises an interrupt.
 * Inline: most VMs have neither a disk nor a balloon. */
static inline void board_poll(struct vcpu *v)
{
	struct vm *vm = v->vm;

	if (vm->has_blk)
		virtio_blk_poll(vm, &vm->blk);
	if (vm->has_balloon && vm->state != VM_STOPPED)
		virtio_balloon_poll(vm, &vm->balloon, vm->tsc_run);
}
/* Is there such work left (then board_poll() would do some)? */
bool board_work_pending(const struct vm *vm);


/* The VM's timers at TSC now (the local APIC timer, PIT channel 0 on IRQ 0):
 * what is due is raised; returns the TSC of the next one due (UINT64_MAX:
 * none armed), when the vCPU has to exit. vm_next_timer(): the same without
 * a tick, when a halted vCPU has to wake up. Asked before every VM entry, so
 * the usual case, nothing due, takes no call; vm_timers_fire() raises what
 * is due at now and returns as vm_timers_tick() does. */
static inline uint64_t vm_next_timer(const struct vcpu *v)
{
	uint64_t apic = lapic_next_event(&v->lapic), pit = platform_pit_next_irq0(&v->vm->plat);

	return MIN(apic, pit);
}
uint64_t vm_timers_fire(struct vcpu *v, uint64_t now);
static inline uint64_t vm_timers_tick(struct vcpu *v, uint64_t now)
{
	uint64_t next = vm_next_timer(v);

	return now < next ? next : vm_timers_fire(v, now);
}

/*
 * VMCALL/VMMCALL at guest address rip: regs hold the call. cpl: guest CPL;
 * long_mode: the guest is in 64-bit mode (else only the low 32 bits of the
 * registers count, and of the result, as KVM does). Returns true when the
 * call is complete, its result in RAX; false when it did a bounded part of
 * its work (a long call, ABI.md §3): the registers are untouched and the
 * caller enters the guest again without advancing RIP, so that the guest
 * executes the same instruction, which goes on where this one stopped.
 */
bool hypercall_handle(struct vcpu *v, unsigned int cpl, bool long_mode, uint64_t rip);
/* The work one exit of a long call does: frame-table entries or table bytes
 * (HC_CHUNK_GFNS; tests lower it to split small calls). */
#define HC_CHUNK_GFNS 16384
extern uint64_t hc_chunk_gfns;

/* Guest touched a guest-physical address without a mapping (EPT violation,
 * nested page fault). access: VEXIT_ACCESS_* bits. */
void vcpu_gpt_fault(struct vcpu *v, gpa_t gpa, uint64_t gla, bool gla_valid, uint32_t access);

#endif /* HV_VM_H */
