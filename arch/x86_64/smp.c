/* SPDX-License-Identifier: MIT */
/*
 * Starting the host's other CPUs (asm/smp.h). The MADT names them (the
 * RSDP from the boot loader, else the BIOS area); the trampoline
 * (ap_boot.S) goes to the highest free page below 640 KiB; each AP is
 * started alone (SDM Vol. 3A §9.4.4.1: INIT, 10 ms, STARTUP, 200 us,
 * STARTUP), with its own stack and struct pcpu, and says it is online once
 * its tables are loaded and the back end is on. Boot CPU, boot time.
 */
#include <asm/cpu.h>
#include <asm/host_timer.h>
#include <asm/madt.h>
#include <asm/pcpu.h>
#include <asm/smp.h>
#include <asm/trap.h>
#include <asm/tsc.h>
#include <asm/virt.h>
#include <base/console.h>
#include <base/mem.h>
#include <string.h>

extern const uint8_t ap_boot_start[], ap_boot_end[];
extern uint64_t ap_cr3, ap_cr4, ap_stack, ap_arg, ap_entry;

#define AP_STACK_PAGES 4
#define ICR_INIT 0x00004500u    /* INIT, level assert */
#define ICR_STARTUP 0x00004600u /* STARTUP | vector */
#define LOW_TOP 0xa0000ULL      /* below the VGA hole and option ROMs */
#define AP_WAIT_MS 200

static const void *map_phys(uint64_t pa, size_t len, void *ctx)
{
	(void)ctx;
	/* paging_init() identity-maps at least the first 4 GiB. */
	return pa && pa + len <= (4ULL << 30) && pa + len > pa ? (const void *)(uintptr_t)pa : NULL;
}

static uint32_t madt_ids[PCPU_MAX];
static int madt_n = -1;

/* The CPUs of the MADT, through the RSDP from the boot loader (multiboot2:
 * a copy in its information, read before anything reuses that memory), or
 * else the BIOS read-only area (ACPI §5.2.5.1). */
void smp_find_cpus(const struct boot_info *bi)
{
	if (bi->acpi_rsdp)
		madt_n = madt_cpus(bi->acpi_rsdp, map_phys, NULL, madt_ids, PCPU_MAX);
	for (uint64_t a = 0xe0000; a < 0x100000 && madt_n < 0; a += 16)
		if (!memcmp((const void *)(uintptr_t)a, "RSD PTR ", 8))
			madt_n = madt_cpus(a, map_phys, NULL, madt_ids, PCPU_MAX);
}

/* A free page below 640 KiB for the trampoline: usable in the boot memory
 * map, no module or the image there (host frames never come from below
 * 1 MiB). The highest one, away from the BIOS data of the first pages. */
static uint64_t trampoline_page(const struct boot_info *bi)
{
	uint64_t best = 0;

	for (uint32_t i = 0; i < bi->nr_mem; i++) {
		const struct boot_mem_region *r = &bi->mem[i];
		uint64_t a = ALIGN_DOWN(MIN(r->base + r->len, LOW_TOP), PAGE_SIZE);

		if (r->type != BOOT_MEM_USABLE || a < PAGE_SIZE)
			continue;
		for (a -= PAGE_SIZE; a >= MAX(ALIGN_UP(r->base, PAGE_SIZE), 0x8000ULL) && a > best;
		     a -= PAGE_SIZE) {
			if (!mem_range_loaded(bi, a, PAGE_SIZE)) {
				best = a;
				break;
			}
		}
	}
	return best;
}

static void delay_us(uint64_t us)
{
	uint64_t end = rdtsc() + tsc_hz / 1000000 * us;

	while (rdtsc() < end)
		cpu_relax();
}

static void (*ap_work)(void);

void smp_release(void (*work)(void))
{
	__atomic_store_n(&ap_work, work, __ATOMIC_RELEASE);
}

void smp_kick(unsigned int index)
{
	if (index < nr_pcpus && &pcpus[index] != this_cpu())
		host_apic_ipi(pcpus[index].apic_id, HOST_KICK_VECTOR);
}

void smp_kick_idle(void)
{
	for (unsigned int i = 0; i < nr_pcpus; i++)
		if (__atomic_load_n(&pcpus[i].idle, __ATOMIC_SEQ_CST))
			smp_kick(i);
}

void smp_idle_wait(uint64_t ticks)
{
	struct pcpu *p = this_cpu();

	if (p->apic_per_tsc)
		host_timer_arm(ticks);
	/* STI's shadow covers HLT: an interrupt pending now wakes it. */
	asm volatile("sti; hlt; cli" ::: "memory");
	if (p->apic_per_tsc)
		host_timer_stop();
}

static __attribute__((noreturn)) void ap_main(struct pcpu *p)
{
	void (*work)(void);

	cpu_load_tables(p);
	host_apic_init();
	if (virt->cpu_on()) {
		__atomic_store_n(&p->failed, true, __ATOMIC_RELEASE);
		for (;;)
			asm volatile("cli; hlt" ::: "memory");
	}
	host_timer_cpu_init(pcpus[0].apic_per_tsc); /* to wake from idle */
	__atomic_store_n(&p->online, true, __ATOMIC_RELEASE);
	while (!(work = __atomic_load_n(&ap_work, __ATOMIC_ACQUIRE)))
		cpu_relax();
	work();
	for (;;)
		asm volatile("cli; hlt" ::: "memory");
}

static void *slot(uint8_t *page, const void *sym)
{
	return page + ((const uint8_t *)sym - ap_boot_start);
}

/* Start the AP with apic_id as CPU p; true once it is online. */
static bool start_ap(struct pcpu *p, uint8_t *page)
{
	uint8_t *stack = pages_alloc(AP_STACK_PAGES);
	uint32_t vector = (uint32_t)((uintptr_t)page >> PAGE_SHIFT);

	if (!stack)
		return false;
	*(uint64_t *)slot(page, &ap_stack) = (uint64_t)(uintptr_t)(stack + AP_STACK_PAGES * PAGE_SIZE);
	*(uint64_t *)slot(page, &ap_arg) = (uint64_t)(uintptr_t)p;
	host_apic_ipi(p->apic_id, ICR_INIT);
	delay_us(10000);
	for (int i = 0; i < 2 && !__atomic_load_n(&p->online, __ATOMIC_ACQUIRE); i++) {
		host_apic_ipi(p->apic_id, ICR_STARTUP | vector);
		delay_us(200);
	}
	for (uint64_t end = rdtsc() + tsc_hz / 1000 * AP_WAIT_MS;
	     rdtsc() < end && !__atomic_load_n(&p->online, __ATOMIC_ACQUIRE) &&
	     !__atomic_load_n(&p->failed, __ATOMIC_ACQUIRE);)
		cpu_relax();
	return __atomic_load_n(&p->online, __ATOMIC_ACQUIRE);
}

unsigned int smp_start(const struct boot_info *bi, unsigned int max_cpus)
{
	const uint32_t *ids = madt_ids;
	uint32_t bsp;
	uint64_t tramp, cr3 = read_cr3();
	int n = madt_n;
	unsigned int want = max_cpus && max_cpus < PCPU_MAX ? max_cpus : PCPU_MAX;

	if (!host_apic_init() || n < 0) {
		printk("hintvisor: 1 CPU (%s)\n", n < 0 ? "no ACPI MADT" : "no local APIC");
		return nr_pcpus;
	}
	bsp = host_apic_id();
	pcpus[0].apic_id = bsp;
	/* Idle CPUs halt until a kick or their timer: calibrated here when the
	 * back end has not (VT-x). */
	if (n > 1 && want > 1 && !pcpus[0].apic_per_tsc && host_timer_init())
		pcpus[0].apic_per_tsc = 0;
	tramp = trampoline_page(bi);
	if (n > 1 && want > 1 && (!tramp || cr3 >= (4ULL << 30))) {
		printk("hintvisor: 1 of %d CPUs (%s)\n", n,
		       tramp ? "host page tables above 4 GiB" : "no free page below 640 KiB");
		return nr_pcpus;
	}
	if (tramp) {
		uint8_t *page = (uint8_t *)(uintptr_t)tramp;

		memcpy(page, ap_boot_start, (size_t)(ap_boot_end - ap_boot_start));
		*(uint64_t *)slot(page, &ap_cr3) = cr3;
		*(uint64_t *)slot(page, &ap_cr4) = read_cr4() & ~(X86_CR4_VMXE | (1UL << 17)); /* PCIDE */
		*(uint64_t *)slot(page, &ap_entry) = (uint64_t)(uintptr_t)ap_main;
	}
	for (int i = 0; i < n && i < PCPU_MAX && nr_pcpus < want; i++) {
		struct pcpu *p = &pcpus[nr_pcpus];

		if (ids[i] == bsp)
			continue;
		memset(p, 0, sizeof(*p));
		cpu_setup_pcpu(p, nr_pcpus, ids[i]);
		if (start_ap(p, (uint8_t *)(uintptr_t)tramp))
			nr_pcpus++;
		else
			printk("hintvisor: CPU with APIC ID %u did not start%s\n", ids[i],
			       p->failed ? " (the virtualization back end failed on it)" : "");
	}
	printk("hintvisor: %u of %d CPUs online (APIC IDs", nr_pcpus, n);
	for (unsigned int i = 0; i < nr_pcpus; i++)
		printk(" %u", pcpus[i].apic_id);
	printk(")%s\n", max_cpus && (unsigned int)n > max_cpus ? ", cpus= limits them" : "");
	return nr_pcpus;
}
