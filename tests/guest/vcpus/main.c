/* SPDX-License-Identifier: MIT */
/*
 * vcpus: a VM of several vCPUs (vcpus=3). The BSP starts each AP with
 * INIT-SIPI-SIPI (SDM Vol. 3A §8.4.4) at a real-mode trampoline that goes
 * straight to long mode; each AP checks its APIC ID (the MADT's order),
 * makes hypercalls and registers a #VE area of its own (a second one is
 * -HV_EBUSY for that vCPU only). IPIs between vCPUs: fixed by physical ID,
 * to all others, an NMI; a SIPI to a running AP is ignored. Every vCPU
 * writes its own pages while the host is short of memory, and all read back
 * intact. An AP's volatile pages, dropped by the host, raise discard faults
 * on that AP, reported in its own area and no other. At the end the APs
 * halt with interrupts off, which only an NMI could end, and an INIT-SIPI
 * starts one of them again from the trampoline (a vCPU that ran reset).
 */
#include "apic.h"
#include <string.h>

const char test_title[] = "vcpus: three vCPUs: INIT-SIPI-SIPI, IPIs, per-vCPU #VE, integrity";

#define NR_CPUS 3
#define TRAMP_GPA 0x9000 /* below the image, above the boot page tables */
#define WAIT (4000ULL * 1000 * 1000 * 1000)
#define PAGES_PER_CPU 256 /* 1 MiB each, beside a hog larger than the pool */
#define VPAGES 64

/* The trampoline, copied to TRAMP_GPA: real mode, CS = 0x900, IP = 0. */
asm(".section .rodata\n"
    ".globl tramp_start, tramp_end, tramp_cr3, tramp_stack, tramp_entry\n"
    ".code16\n"
    "tramp_start:\n"
    "	cli\n"
    "	movw %cs, %ax\n"
    "	movw %ax, %ds\n"
    "	lgdtl tramp_gdtr - tramp_start\n"
    "	movl %cr4, %eax\n"
    "	orl $0x20, %eax\n" /* PAE */
    "	movl %eax, %cr4\n"
    "	movl tramp_cr3 - tramp_start, %eax\n"
    "	movl %eax, %cr3\n"
    "	movl $0xc0000080, %ecx\n" /* EFER.LME */
    "	rdmsr\n"
    "	orl $0x100, %eax\n"
    "	wrmsr\n"
    "	movl %cr0, %eax\n"
    "	orl $0x80000001, %eax\n" /* PE, PG */
    "	movl %eax, %cr0\n"
    "	ljmpl $0x08, $(0x9000 + tramp64 - tramp_start)\n"
    ".code64\n"
    "tramp64:\n"
    "	movw $0x10, %ax\n"
    "	movw %ax, %ds\n"
    "	movw %ax, %es\n"
    "	movw %ax, %ss\n"
    "	movq (0x9000 + tramp_stack - tramp_start), %rsp\n"
    "	movq (0x9000 + tramp_entry - tramp_start), %rax\n"
    "	jmp *%rax\n"
    "	.balign 8\n"
    "tramp_gdt:\n"
    "	.quad 0, 0x00af9a000000ffff, 0x00cf92000000ffff\n"
    "tramp_gdtr:\n"
    "	.word 23\n"
    "	.long 0x9000 + tramp_gdt - tramp_start\n"
    "	.balign 8\n"
    "tramp_cr3:\n"
    "	.quad 0\n"
    "tramp_stack:\n"
    "	.quad 0\n"
    "tramp_entry:\n"
    "	.quad 0\n"
    "tramp_end:\n"
    ".text\n");
extern const char tramp_start[], tramp_end[], tramp_cr3[], tramp_stack[], tramp_entry[];

struct __attribute__((packed)) dtr {
	uint16_t limit;
	uint64_t base;
};

/* What each vCPU reports; written by that vCPU only. */
struct cpu_report {
	volatile uint64_t up, apic_id, version, ve_reg, ve_again;
	volatile uint64_t fixed, others, nmis, ve_faults, ve_foreign, verified, bad_words;
};

static struct dtr bsp_gdtr, bsp_idtr;
static struct cpu_report rep[NR_CPUS];
/* One #VE area per vCPU, each 64-byte aligned (ABI: call 8). */
static struct {
	volatile struct hv_ve_info info;
} __attribute__((aligned(64))) areas[NR_CPUS];
static uint8_t ap_stacks[NR_CPUS][8192] __attribute__((aligned(16)));
static volatile uint64_t bsp_wakeups, phase, vfirst;
static uint64_t own_first[NR_CPUS];
static struct hog hog;

static unsigned int my_id(void)
{
	return apic_rd(APIC_ID) >> 24;
}

static void ipi(unsigned int dest, uint32_t low)
{
	apic_wr(APIC_ICR_HIGH, dest << 24);
	apic_wr(APIC_ICR, low);
}

__attribute__((interrupt)) static void isr_wake(struct interrupt_frame *f)
{
	bsp_wakeups++;
	apic_eoi();
}

/* The IPIs the BSP sends: counted, and the BSP woken to see it. */
__attribute__((interrupt)) static void isr_fixed(struct interrupt_frame *f)
{
	rep[my_id()].fixed++;
	apic_eoi();
	ipi(0, 0x40);
}

__attribute__((interrupt)) static void isr_others(struct interrupt_frame *f)
{
	rep[my_id()].others++;
	apic_eoi();
	ipi(0, 0x40);
}

__attribute__((interrupt)) static void isr_nmi(struct interrupt_frame *f)
{
	rep[my_id()].nmis++;
	ipi(0, 0x40);
}

/* #VE (vector 20, no error code): the area of this vCPU must hold it. */
__attribute__((interrupt)) static void isr_ve(struct interrupt_frame *f)
{
	unsigned int id = my_id();
	volatile struct hv_ve_info *a = &areas[id].info;

	for (unsigned int i = 0; i < NR_CPUS; i++)
		if (i != id && areas[i].info.busy)
			rep[id].ve_foreign++;
	if (!a->busy) {
		rep[id].ve_foreign++;
		return;
	}
	hv_set_state(a->gpa >> PAGE_SHIFT, HV_PAGE_STABLE);
	page_fill(a->gpa >> PAGE_SHIFT, 1);
	rep[id].ve_faults++;
	a->busy = 0;
}

/* Sleep until *v reaches want (interrupts on while halted). */
static bool wait_irq(volatile uint64_t *v, uint64_t want)
{
	uint64_t t0 = rdtsc();

	for (;;) {
		asm volatile("cli");
		if (*v >= want) {
			asm volatile("sti");
			return true;
		}
		if (rdtsc() - t0 > WAIT) {
			asm volatile("sti");
			return false;
		}
		asm volatile("sti; hlt" ::: "memory");
	}
}

static void tell_bsp(void)
{
	ipi(0, 0x40);
}

/* An AP, in long mode on its own stack: the BSP's tables, then its work. */
static void __attribute__((noreturn)) ap_main(void)
{
	unsigned int id;
	struct cpu_report *r;
	uint64_t seen = 0;

	asm volatile("lgdt %0; lidt %1" ::"m"(bsp_gdtr), "m"(bsp_idtr));
	apic_wr(APIC_SVR, 0x1ff);
	id = my_id();
	r = &rep[id < NR_CPUS ? id : 0];
	r->apic_id = id;
	r->version = hypercall(HV_HC_GET_VERSION, 0, 0, 0, 0);
	if (!r->up) { /* INIT keeps the VM's registrations: only the first time */
		r->ve_reg = hypercall(HV_HC_REGISTER_VE_AREA, (uint64_t)&areas[id].info, 0, 0, 0);
		r->ve_again = hypercall(HV_HC_REGISTER_VE_AREA, (uint64_t)&areas[id].info, 0, 0, 0);
	}
	r->up++;
	tell_bsp();
	for (;;) {
		asm volatile("cli");
		if (phase == seen) {
			asm volatile("sti; hlt" ::: "memory");
			continue;
		}
		asm volatile("sti");
		seen = phase;
		switch (seen) {
		case 1: /* write our pages */
			for (uint64_t g = own_first[id]; g < own_first[id] + PAGES_PER_CPU; g++)
				page_fill(g, id + 1);
			if (id == 1) { /* and make the first VPAGES volatile */
				for (uint64_t g = vfirst; g < vfirst + VPAGES; g++)
					page_fill(g, 1);
				hv_set_range(vfirst, VPAGES, HV_PAGE_VOLATILE);
			}
			break;
		case 2: /* read them back; AP 1 its volatile pages too */
			for (uint64_t g = own_first[id]; g < own_first[id] + PAGES_PER_CPU; g++)
				r->bad_words += page_diff(g, id + 1);
			if (id == 1)
				for (uint64_t g = vfirst; g < vfirst + VPAGES; g++)
					r->bad_words += page_diff(g, 1);
			break;
		case 3: /* the end: halt with interrupts off */
			r->verified = seen;
			tell_bsp();
			asm volatile("cli; hlt");
			break;
		}
		r->verified = seen;
		tell_bsp();
	}
}

static void start_aps(void)
{
	uint8_t *t = (uint8_t *)(uintptr_t)TRAMP_GPA;
	uint64_t cr3;

	asm volatile("sgdt %0; sidt %1" : "=m"(bsp_gdtr), "=m"(bsp_idtr));
	asm volatile("mov %%cr3, %0" : "=r"(cr3));
	memcpy(t, tramp_start, (size_t)(tramp_end - tramp_start));
	*(uint64_t *)(t + (tramp_cr3 - tramp_start)) = cr3;
	*(uint64_t *)(t + (tramp_entry - tramp_start)) = (uint64_t)ap_main;
	for (unsigned int id = 1; id < NR_CPUS; id++) {
		*(volatile uint64_t *)(t + (tramp_stack - tramp_start)) =
			(uint64_t)(ap_stacks[id] + sizeof(ap_stacks[id]));
		ipi(id, ICR_INIT | ICR_ASSERT);
		ipi(id, ICR_SIPI | (TRAMP_GPA >> 12));
		ipi(id, ICR_SIPI | (TRAMP_GPA >> 12)); /* the second of the pair: ignored */
		EXPECT(wait_irq(&rep[id].up, 1));
	}
}

/* Move every AP to phase p and wait until each has done it. */
static void phase_all(uint64_t p)
{
	phase = p;
	for (unsigned int id = 1; id < NR_CPUS; id++)
		ipi(id, 0x41);
	for (unsigned int id = 1; id < NR_CPUS; id++)
		EXPECT(wait_irq(&rep[id].verified, p));
}

void test_main(void)
{
	uint64_t version = hypercall(HV_HC_GET_VERSION, 0, 0, 0, 0), fixed1;
	uint64_t ranges[1][2];

	apic_wr(APIC_SVR, 0x1ff);
	idt_set_gate(0x40, isr_wake);
	idt_set_gate(0x41, isr_fixed);
	idt_set_gate(0x42, isr_others);
	idt_set_gate(2, isr_nmi);
	idt_set_gate(20, isr_ve);
	for (unsigned int id = 0; id < NR_CPUS; id++)
		own_first[id] = alloc_frames(PAGES_PER_CPU);
	vfirst = alloc_frames(VPAGES);
	EXPECT_EQ(hypercall(HV_HC_REGISTER_VE_AREA, (uint64_t)&areas[0].info, 0, 0, 0), 0);
	asm volatile("sti");

	start_aps();
	for (unsigned int id = 1; id < NR_CPUS; id++) {
		EXPECT_EQ(rep[id].apic_id, id);
		EXPECT_EQ(rep[id].version, version);
		EXPECT_EQ(rep[id].ve_reg, 0);
		EXPECT_EQ(rep[id].ve_again, (uint64_t)-HV_EBUSY);
	}
	gprintf("%u APs up by INIT-SIPI-SIPI; each registered its own #VE area\n", NR_CPUS - 1);

	/* IPIs: fixed to AP 1 by physical ID, fixed to all others, NMI to AP 2. */
	fixed1 = bsp_wakeups;
	ipi(1, 0x41);
	apic_wr(APIC_ICR, ICR_OTHERS | 0x42);
	ipi(2, ICR_NMI | ICR_ASSERT);
	ipi(1, ICR_SIPI | (TRAMP_GPA >> 12)); /* AP 1 runs: ignored */
	for (unsigned int id = 1; id < NR_CPUS; id++)
		EXPECT(wait_irq(&rep[id].others, 1));
	EXPECT(wait_irq(&rep[1].fixed, 1));
	EXPECT(wait_irq(&rep[2].nmis, 1));
	EXPECT_EQ(rep[2].fixed, 0);
	EXPECT_EQ(rep[1].nmis, 0);
	EXPECT_EQ(rep[0].others, 0);
	gprintf("IPIs: fixed %lu/%lu, to others %lu/%lu, NMI %lu/%lu (AP1/AP2); %lu wake-ups\n",
		rep[1].fixed, rep[2].fixed, rep[1].others, rep[2].others, rep[1].nmis, rep[2].nmis,
		bsp_wakeups - fixed1);

	/* Every vCPU writes its pages; then more than the host pool, from here. */
	phase_all(1);
	for (uint64_t g = own_first[0]; g < own_first[0] + PAGES_PER_CPU; g++)
		page_fill(g, 1);
	hog_init_rest(&hog);
	ranges[0][0] = vfirst;
	ranges[0][1] = VPAGES;
	EXPECT(hog_until(&hog, (const uint64_t(*)[2])ranges, 1, HOST_ZERO_M, 64, hog.n * 4));
	phase_all(2);
	for (uint64_t g = own_first[0]; g < own_first[0] + PAGES_PER_CPU; g++)
		rep[0].bad_words += page_diff(g, 1);
	for (unsigned int id = 0; id < NR_CPUS; id++)
		EXPECT_EQ(rep[id].bad_words, 0);
	EXPECT_EQ(rep[1].ve_faults, VPAGES);
	EXPECT_EQ(rep[0].ve_faults + rep[2].ve_faults, 0);
	for (unsigned int id = 0; id < NR_CPUS; id++)
		EXPECT_EQ(rep[id].ve_foreign, 0);
	gprintf("%u pages per vCPU intact; AP1 took %lu discard faults in its own #VE area\n",
		PAGES_PER_CPU, rep[1].ve_faults);

	phase_all(3);
	gprintf("APs halted with interrupts off\n");

	/* INIT resets a vCPU that ran (here: halted with interrupts off) into
	 * wait-for-SIPI; the SIPI starts it again at the trampoline, as a
	 * kexec'd kernel starts its APs. */
	*(volatile uint64_t *)((uint8_t *)(uintptr_t)TRAMP_GPA + (tramp_stack - tramp_start)) =
		(uint64_t)(ap_stacks[2] + sizeof(ap_stacks[2]));
	ipi(2, ICR_INIT | ICR_ASSERT);
	ipi(2, ICR_SIPI | (TRAMP_GPA >> 12));
	EXPECT(wait_irq(&rep[2].up, 2));
	EXPECT_EQ(rep[2].apic_id, 2);
	gprintf("AP 2 started again by INIT-SIPI after it had run (boots: %lu)\n", rep[2].up);
	test_end(test_failures() ? TEST_FAILURE : TEST_SUCCESS, NULL);
}
