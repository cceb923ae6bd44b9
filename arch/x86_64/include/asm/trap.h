/* SPDX-License-Identifier: MIT */
/* Host exception frame and the host GDT/TSS/IDT set-up (VMX root, BSP). */
#ifndef ASM_TRAP_H
#define ASM_TRAP_H

#include <types.h>

struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rdi, rsi, rbp, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

#define HOST_CS 0x08
#define HOST_DS 0x10
#define HOST_TR 0x18

/* Point IDT vector (32..255) at an interrupt handler stub (assembly, ends in IRETQ). */
void cpu_set_irq_gate(unsigned int vector, void (*handler)(void));
/* The boot CPU: fill the shared IDT, then its GDT (with a TSS), and load
 * them with the segment registers; this_cpu() works from then on. */
void cpu_init_tables(void);
struct pcpu;
/* Another CPU: its GDT and TSS in p (on the boot CPU), then loaded on it. */
void cpu_setup_pcpu(struct pcpu *p, unsigned int index, uint32_t apic_id);
void cpu_load_tables(struct pcpu *p);
/* Called by the entry stubs; prints the frame and a backtrace, then stops. */
void trap_handler(struct trap_frame *f) __attribute__((noreturn));
/* Host NMIs taken (and ignored: nothing of ours sends one), see trap_entry.S. */
extern uint64_t host_nmis;
/* Print a frame-pointer backtrace starting at rbp. */
void dump_backtrace(uint64_t rbp);

#endif /* ASM_TRAP_H */
