/* SPDX-License-Identifier: MIT */
/*
 * apic-global: global disable and re-enable through IA32_APIC_BASE (SDM Vol.
 * 3A §11.4.3), and a relocated APIC base (§11.4.4). Disabled, the APIC is
 * gone: CPUID.1:EDX.APIC reads 0 and its page holds no registers (reads
 * float to all ones, writes are lost); enabling x2APIC from there is
 * illegal. Re-enabled, it is in its power-up state. Moved, its registers
 * answer at the new base and the old page is empty; a base over RAM is
 * refused (Hintvisor does not put the APIC over RAM: #GP).
 */
#include "apic.h"

const char test_title[] = "apic-global: IA32_APIC_BASE disable, re-enable and relocation";

#define NEW_BASE 0xfed00000ULL
#define MAX_WAIT 2000000000ULL

DEFINE_ISR(0x60)

static bool cpuid_apic(void)
{
	return cpuid_reg(1, 3) & (1u << 9);
}

void test_main(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE), v;
	uint32_t version = apic_rd(APIC_VERSION);

	set_gate(0x60, isr_0x60);
	gprintf("IA32_APIC_BASE %#lx, version %#x\n", base, version);
	EXPECT_EQ(base & ~APIC_BASE_BSP, APIC_DEFAULT | APIC_BASE_EN);
	EXPECT(cpuid_apic());
	apic_wr(APIC_SVR, 0x1ff);
	apic_wr(APIC_TPR, 0x20);

	/* Globally disabled. */
	wrmsr(MSR_APIC_BASE, base & ~APIC_BASE_EN);
	EXPECT_EQ(rdmsr(MSR_APIC_BASE), base & ~APIC_BASE_EN);
	EXPECT(!cpuid_apic());
	EXPECT_EQ(mem32(APIC_DEFAULT + APIC_VERSION), 0xffffffff);
	EXPECT_EQ(mem32(APIC_DEFAULT + APIC_TPR), 0xffffffff);
	*(volatile uint32_t *)(APIC_DEFAULT + APIC_TPR) = 0x10; /* lost */
	EXPECT_EQ(mem32(APIC_DEFAULT + APIC_TPR), 0xffffffff);
	EXPECT_EQ(rdmsr_safe(0x803, &v), GP); /* no x2APIC registers either */
	EXPECT_EQ(wrmsr_safe(MSR_APIC_BASE, base | APIC_BASE_EXTD), GP); /* disabled -> x2APIC */
	EXPECT_EQ(wrmsr_safe(MSR_APIC_BASE, (base & ~APIC_BASE_EN) | APIC_BASE_EXTD), GP);
	EXPECT_EQ(wrmsr_safe(MSR_APIC_BASE, base | (1ULL << 9)), GP); /* reserved bit */
	gprintf("disabled: CPUID.1:EDX.APIC %d, version reads %#x\n", cpuid_apic(),
		mem32(APIC_DEFAULT + APIC_VERSION));

	/* Re-enabled: back, in the power-up state. */
	wrmsr(MSR_APIC_BASE, base);
	EXPECT(cpuid_apic());
	EXPECT_EQ(apic_rd(APIC_VERSION), version);
	EXPECT_EQ(apic_rd(APIC_SVR), 0xff);             /* software disabled */
	EXPECT_EQ(apic_rd(APIC_TPR), 0);                /* state lost */
	EXPECT_EQ(apic_rd(APIC_LVT_TIMER), LVT_MASKED);
	apic_wr(APIC_SVR, 0x1ff);

	/* Relocated. */
	wrmsr(MSR_APIC_BASE, NEW_BASE | APIC_BASE_EN | (base & APIC_BASE_BSP));
	EXPECT_EQ(rdmsr(MSR_APIC_BASE) & ~APIC_BASE_BSP, NEW_BASE | APIC_BASE_EN);
	apic_base_va = NEW_BASE;
	EXPECT_EQ(apic_rd(APIC_VERSION), version);
	EXPECT_EQ(apic_rd(APIC_SVR), 0x1ff);
	apic_wr(APIC_TPR, 0x30);
	EXPECT_EQ(apic_rd(APIC_TPR), 0x30);
	EXPECT_EQ(mem32(APIC_DEFAULT + APIC_VERSION), 0xffffffff); /* the old page is empty */
	EXPECT_EQ(mem32(APIC_DEFAULT + APIC_TPR), 0xffffffff);
	apic_wr(APIC_TPR, 0);
	apic_wr(APIC_ICR, ICR_SELF | 0x60);  /* the ICR at the new base */
	asm volatile("sti");
	EXPECT(wait_for(&irq_hits[0x60], 1, MAX_WAIT)); /* EOI through the new base */
	asm volatile("cli");
	gprintf("relocated to %#llx: version %#x, self-IPI delivered %lu\n", NEW_BASE,
		apic_rd(APIC_VERSION), irq_hits[0x60]);
	/* Not over RAM. */
	EXPECT_EQ(wrmsr_safe(MSR_APIC_BASE, 0x200000 | APIC_BASE_EN | (base & APIC_BASE_BSP)), GP);
	EXPECT_EQ(apic_rd(APIC_VERSION), version);

	/* And home again. */
	wrmsr(MSR_APIC_BASE, base);
	apic_base_va = APIC_DEFAULT;
	EXPECT_EQ(apic_rd(APIC_VERSION), version);
	EXPECT_EQ(apic_rd(APIC_TPR), 0); /* the state moved with it */
}
