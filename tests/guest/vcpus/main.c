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
#include "smp.h"
#include <string.h>

const char test_title[] = "vcpus: three vCPUs: INIT-SIPI-SIPI, IPIs, per-vCPU #VE, integrity";

#define NR_CPUS 3
#define PAGES_PER_CPU 256 /* 1 MiB each, beside a hog larger than the pool */
#define VPAGES 64

/* What each vCPU reports; written by that vCPU only. */
struct cpu_report {
	volatile uint64_t up, apic_id, version, ve_reg, ve_again;
	volatile uint64_t fixed, others, nmis, ve_faults, ve_foreign, verified, bad_words;
	volatile uint64_t tlb_bad;
};

static struct cpu_report rep[NR_CPUS];
/* One #VE area per vCPU, each 64-byte aligned (ABI: call 8). */
static struct {
	volatile struct hv_ve_info info;
} __attribute__((aligned(64))) areas[NR_CPUS];
static volatile uint64_t bsp_wakeups, phase, vfirst;
static uint64_t own_first[NR_CPUS];
static struct hog hog;


__attribute__((interrupt)) static void isr_wake(struct interrupt_frame *f)
{
	bsp_wakeups++;
	apic_eoi();
}

/* The IPIs the BSP sends: counted, and the BSP woken to see it. */
__attribute__((interrupt)) static void isr_fixed(struct interrupt_frame *f)
{
	rep[smp_id()].fixed++;
	apic_eoi();
	smp_ipi(0, 0x40);
}

__attribute__((interrupt)) static void isr_others(struct interrupt_frame *f)
{
	rep[smp_id()].others++;
	apic_eoi();
	smp_ipi(0, 0x40);
}

__attribute__((interrupt)) static void isr_nmi(struct interrupt_frame *f)
{
	rep[smp_id()].nmis++;
	smp_ipi(0, 0x40);
}

/* #VE (vector 20, no error code): the area of this vCPU must hold it. */
__attribute__((interrupt)) static void isr_ve(struct interrupt_frame *f)
{
	unsigned int id = smp_id();
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

static void tell_bsp(void)
{
	smp_ipi(0, 0x40);
}

/*
 * Address spaces of their own: each vCPU maps TLB_LA (no RAM, in the boot
 * identity map's 2 MiB pages) to a data page of its own with its own page
 * tables, and reads it TLB_ROUNDS times while its siblings do the same, on
 * the same host CPU in turns where there are fewer CPUs than vCPUs. A vCPU
 * that reads a sibling's marker used that sibling's cached translation:
 * vCPUs of one VM must not share a VPID/ASID without a flush between them.
 * Returns the wrong reads. Tables: tlb_first[id], five frames.
 */
#define TLB_LA 0xc0a00000UL
#define TLB_ROUNDS 3000000UL
static uint64_t tlb_first[NR_CPUS];

static uint64_t tlb_check(unsigned int id)
{
	uint64_t f = tlb_first[id], cr3, bad = 0, mark = 0x5a5a000000ULL + id;
	uint64_t *pml4 = (uint64_t *)gfn_ptr(f), *pdpt = (uint64_t *)gfn_ptr(f + 1);
	uint64_t *pd = (uint64_t *)gfn_ptr(f + 2), *pt = (uint64_t *)gfn_ptr(f + 3);
	volatile uint64_t *data = gfn_ptr(f + 4);
	const uint64_t addr = 0x000ffffffffff000ULL;

	asm volatile("mov %%cr3, %0" : "=r"(cr3));
	memcpy(pml4, (void *)(cr3 & addr), PAGE_SIZE);
	memcpy(pdpt, (void *)(pml4[0] & addr), PAGE_SIZE);
	memcpy(pd, (void *)(pdpt[TLB_LA >> 30] & addr), PAGE_SIZE);
	memset(pt, 0, PAGE_SIZE);
	*data = mark;
	pt[(TLB_LA >> 12) & 511] = ((f + 4) << PAGE_SHIFT) | 3;
	pd[(TLB_LA >> 21) & 511] = ((f + 3) << PAGE_SHIFT) | 3;
	pdpt[TLB_LA >> 30] = ((f + 2) << PAGE_SHIFT) | 3;
	pml4[0] = ((f + 1) << PAGE_SHIFT) | 3;
	asm volatile("mov %0, %%cr3" ::"r"(f << PAGE_SHIFT) : "memory");
	for (uint64_t i = 0; i < TLB_ROUNDS; i++)
		bad += *(volatile uint64_t *)TLB_LA != mark;
	asm volatile("mov %0, %%cr3" ::"r"(cr3) : "memory");
	return bad;
}

/* An AP's work (smp_start_ap()). */
static void __attribute__((noreturn)) ap_main(unsigned int id)
{
	struct cpu_report *r;
	uint64_t seen = 0;

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
		case 3: /* an address space of its own */
			r->tlb_bad = tlb_check(id);
			break;
		case 4: /* the end: halt with interrupts off */
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
	for (unsigned int id = 1; id < NR_CPUS; id++)
		EXPECT(smp_start_ap(id, ap_main) && smp_wait(&rep[id].up, 1));
}

/* Move every AP to phase p and wait until each has done it. */
static void phase_all(uint64_t p)
{
	phase = p;
	for (unsigned int id = 1; id < NR_CPUS; id++)
		smp_ipi(id, 0x41);
	for (unsigned int id = 1; id < NR_CPUS; id++)
		EXPECT(smp_wait(&rep[id].verified, p));
}

void test_main(void)
{
	uint64_t version = hypercall(HV_HC_GET_VERSION, 0, 0, 0, 0), fixed1;
	uint64_t ranges[1][2];

	apic_wr(APIC_SVR, 0x1ff);
	idt_set_gate(0x41, isr_fixed);
	idt_set_gate(0x42, isr_others);
	idt_set_gate(2, isr_nmi);
	idt_set_gate(20, isr_ve);
	for (unsigned int id = 0; id < NR_CPUS; id++)
		own_first[id] = alloc_frames(PAGES_PER_CPU);
	vfirst = alloc_frames(VPAGES);
	for (unsigned int id = 0; id < NR_CPUS; id++)
		tlb_first[id] = alloc_frames(5);
	EXPECT_EQ(hypercall(HV_HC_REGISTER_VE_AREA, (uint64_t)&areas[0].info, 0, 0, 0), 0);
	asm volatile("sti");

	start_aps();
	idt_set_gate(SMP_WAKE_VECTOR, isr_wake);
	for (unsigned int id = 1; id < NR_CPUS; id++) {
		EXPECT_EQ(rep[id].apic_id, id);
		EXPECT_EQ(rep[id].version, version);
		EXPECT_EQ(rep[id].ve_reg, 0);
		EXPECT_EQ(rep[id].ve_again, (uint64_t)-HV_EBUSY);
	}
	gprintf("%u APs up by INIT-SIPI-SIPI; each registered its own #VE area\n", NR_CPUS - 1);

	/* IPIs: fixed to AP 1 by physical ID, fixed to all others, NMI to AP 2. */
	fixed1 = bsp_wakeups;
	smp_ipi(1, 0x41);
	apic_wr(APIC_ICR, ICR_OTHERS | 0x42);
	smp_ipi(2, ICR_NMI | ICR_ASSERT);
	smp_ipi(1, ICR_SIPI | (SMP_TRAMP_GPA >> 12)); /* AP 1 runs: ignored */
	for (unsigned int id = 1; id < NR_CPUS; id++)
		EXPECT(smp_wait(&rep[id].others, 1));
	EXPECT(smp_wait(&rep[1].fixed, 1));
	EXPECT(smp_wait(&rep[2].nmis, 1));
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

	/* Address spaces of their own, all vCPUs at once (the BSP too). */
	phase = 3;
	for (unsigned int id = 1; id < NR_CPUS; id++)
		smp_ipi(id, 0x41);
	rep[0].tlb_bad = tlb_check(0);
	for (unsigned int id = 1; id < NR_CPUS; id++)
		EXPECT(smp_wait(&rep[id].verified, 3));
	for (unsigned int id = 0; id < NR_CPUS; id++)
		EXPECT_EQ(rep[id].tlb_bad, 0);
	gprintf("own page tables: %lu reads per vCPU of one linear address, each its own page\n",
		TLB_ROUNDS);

	phase_all(4);
	gprintf("APs halted with interrupts off\n");

	/* INIT resets a vCPU that ran (here: halted with interrupts off) into
	 * wait-for-SIPI; the SIPI starts it again at the trampoline, as a
	 * kexec'd kernel starts its APs. */
	EXPECT(smp_start_ap(2, ap_main));
	EXPECT(smp_wait(&rep[2].up, 2));
	EXPECT_EQ(rep[2].apic_id, 2);
	gprintf("AP 2 started again by INIT-SIPI after it had run (boots: %lu)\n", rep[2].up);
	test_end(test_failures() ? TEST_FAILURE : TEST_SUCCESS, NULL);
}
