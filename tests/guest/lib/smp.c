/* SPDX-License-Identifier: MIT */
/* Several vCPUs in a test guest (see smp.h). */
#include "smp.h"
#include <string.h>

struct interrupt_frame;

#define APIC 0xfee00000UL
#define GUARD (4000ULL * 1000 * 1000 * 1000)

/* The trampoline, copied to SMP_TRAMP_GPA: real mode, CS = 0x900, IP = 0. */
asm(".section .rodata\n"
    ".code16\n"
    "smp_tramp_start:\n"
    "	cli\n"
    "	movw %cs, %ax\n"
    "	movw %ax, %ds\n"
    "	lgdtl smp_tramp_gdtr - smp_tramp_start\n"
    "	movl %cr4, %eax\n"
    "	orl $0x20, %eax\n" /* PAE */
    "	movl %eax, %cr4\n"
    "	movl smp_tramp_cr3 - smp_tramp_start, %eax\n"
    "	movl %eax, %cr3\n"
    "	movl $0xc0000080, %ecx\n" /* EFER.LME */
    "	rdmsr\n"
    "	orl $0x100, %eax\n"
    "	wrmsr\n"
    "	movl %cr0, %eax\n"
    "	orl $0x80000001, %eax\n" /* PE, PG */
    "	movl %eax, %cr0\n"
    "	ljmpl $0x08, $(0x9000 + smp_tramp64 - smp_tramp_start)\n"
    ".code64\n"
    "smp_tramp64:\n"
    "	movw $0x10, %ax\n"
    "	movw %ax, %ds\n"
    "	movw %ax, %es\n"
    "	movw %ax, %ss\n"
    "	movq (0x9000 + smp_tramp_stack - smp_tramp_start), %rsp\n"
    "	movq (0x9000 + smp_tramp_entry - smp_tramp_start), %rax\n"
    "	jmp *%rax\n"
    "	.balign 8\n"
    "smp_tramp_gdt:\n"
    "	.quad 0, 0x00af9a000000ffff, 0x00cf92000000ffff\n"
    "smp_tramp_gdtr:\n"
    "	.word 23\n"
    "	.long 0x9000 + smp_tramp_gdt - smp_tramp_start\n"
    "	.balign 8\n"
    "smp_tramp_cr3:\n"
    "	.quad 0\n"
    "smp_tramp_stack:\n"
    "	.quad 0\n"
    "smp_tramp_entry:\n"
    "	.quad 0\n"
    "smp_tramp_end:\n"
    ".text\n");
extern const char smp_tramp_start[], smp_tramp_end[], smp_tramp_cr3[], smp_tramp_stack[],
	smp_tramp_entry[];

struct __attribute__((packed)) dtr {
	uint16_t limit;
	uint64_t base;
};

volatile uint64_t smp_up[SMP_MAX_CPUS];
static struct dtr bsp_gdtr, bsp_idtr;
static void (*volatile ap_fn)(unsigned int id);
static uint8_t ap_stacks[SMP_MAX_CPUS][8192] __attribute__((aligned(16)));
static bool wake_isr_set;

static inline uint32_t apic_read(uint32_t off)
{
	return *(volatile uint32_t *)(APIC + off);
}

static inline void apic_write(uint32_t off, uint32_t val)
{
	*(volatile uint32_t *)(APIC + off) = val;
}

unsigned int smp_id(void)
{
	return apic_read(0x20) >> 24;
}

void smp_apic_on(void)
{
	apic_write(0xf0, 0x1ff);
}

void smp_ipi(unsigned int dest, uint32_t low)
{
	uint64_t flags;

	/* The two ICR writes must not be split by a handler that sends too. */
	asm volatile("pushfq; popq %0; cli" : "=r"(flags)::"memory");
	apic_write(0x310, dest << 24);
	apic_write(0x300, low);
	if (flags & (1u << 9))
		asm volatile("sti" ::: "memory");
}

void smp_eoi(void)
{
	apic_write(0xb0, 0);
}

bool smp_wait(volatile uint64_t *v, uint64_t want)
{
	uint64_t t0 = rdtsc();

	for (;;) {
		asm volatile("cli");
		if (*v >= want || rdtsc() - t0 > GUARD) {
			asm volatile("sti");
			return *v >= want;
		}
		asm volatile("sti; hlt" ::: "memory");
	}
}

/* SMP_WAKE_VECTOR: an AP that came up wakes the BSP with it. */
__attribute__((interrupt)) static void wake_isr(struct interrupt_frame *f)
{
	(void)f;
	smp_eoi();
}

/* An AP, in long mode on its own stack: the BSP's tables, then fn. */
static void __attribute__((noreturn)) ap_entry(void)
{
	void (*fn)(unsigned int) = ap_fn;
	unsigned int id;

	asm volatile("lgdt %0; lidt %1" ::"m"(bsp_gdtr), "m"(bsp_idtr));
	smp_apic_on();
	id = smp_id();
	if (id < SMP_MAX_CPUS)
		smp_up[id]++;
	smp_ipi(0, SMP_WAKE_VECTOR);
	if (fn && id < SMP_MAX_CPUS)
		fn(id);
	for (;;)
		asm volatile("cli; hlt");
}

bool smp_start_ap(unsigned int id, void (*fn)(unsigned int id))
{
	uint8_t *t = (uint8_t *)(uintptr_t)SMP_TRAMP_GPA;
	uint64_t cr3, before;

	if (id == 0 || id >= SMP_MAX_CPUS)
		return false;
	asm volatile("sgdt %0; sidt %1" : "=m"(bsp_gdtr), "=m"(bsp_idtr));
	asm volatile("mov %%cr3, %0" : "=r"(cr3));
	memcpy(t, smp_tramp_start, (size_t)(smp_tramp_end - smp_tramp_start));
	*(uint64_t *)(t + (smp_tramp_cr3 - smp_tramp_start)) = cr3;
	*(uint64_t *)(t + (smp_tramp_entry - smp_tramp_start)) = (uint64_t)ap_entry;
	*(uint64_t *)(t + (smp_tramp_stack - smp_tramp_start)) =
		(uint64_t)(ap_stacks[id] + sizeof(ap_stacks[id]));
	ap_fn = fn;
	before = smp_up[id];
	if (!wake_isr_set) {
		idt_set_gate(SMP_WAKE_VECTOR, wake_isr);
		wake_isr_set = true;
	}
	smp_ipi(id, SMP_ICR_INIT | SMP_ICR_ASSERT);
	smp_ipi(id, SMP_ICR_SIPI | (SMP_TRAMP_GPA >> 12));
	smp_ipi(id, SMP_ICR_SIPI | (SMP_TRAMP_GPA >> 12)); /* the second of the pair */
	return smp_wait(&smp_up[id], before + 1);
}
