/* SPDX-License-Identifier: MIT */
/*
 * The measures of asm/mitigations.h on this CPU: reading the facts at boot,
 * the boot line, and the measures themselves with their counters (VERW and
 * RSB filling are in the entry code, vmx_entry.S and svm_entry.S). BSP,
 * interrupts off; mitig_x87_ptrs() and mitig_vm_switch() on a VM switch
 * (guest_cpu_switch()), mitig_before_entry() before each VM entry.
 */
#include <asm/cpu.h>
#include <asm/mitigations.h>
#include <asm/trap.h>
#include <base/console.h>
#include <string.h>

unsigned int mitig_on;
uint64_t mitig_count[MITIG_NR];
uint16_t mitig_verw_sel = HOST_DS;
static bool l1d_msr;

/* FILD's operand: FDP points here after mitig_x87_ptrs(). */
static const int32_t x87_known;

/* The software L1D flush reads this: twice the largest L1D of the CPUs
 * concerned (32 KiB), as KVM does. */
#define L1D_FILL_SIZE (64 * 1024)
#define L1D_LINE 64
static uint8_t l1d_fill[L1D_FILL_SIZE] __attribute__((aligned(PAGE_SIZE)));

/* CPUID leaf 0's vendor string: EBX, EDX, ECX. */
static bool vendor_is(const struct cpuid_regs *r, const char *s)
{
	uint32_t w[3];

	memcpy(w, s, sizeof(w));
	return r->ebx == w[0] && r->edx == w[1] && r->ecx == w[2];
}

static void read_facts(struct mitig_facts *f)
{
	struct cpuid_regs v = cpuid(0, 0);

	*f = (struct mitig_facts){ 0 };
	f->amd = vendor_is(&v, "AuthenticAMD") || vendor_is(&v, "HygonGenuine");
	if (v.eax >= 7) {
		struct cpuid_regs r = cpuid(7, 0);

		f->l7_ebx = r.ebx;
		f->l7_edx = r.edx;
	}
	if (f->l7_edx & CPUID_7_EDX_ARCH_CAPS)
		f->arch_caps = rdmsr(MSR_IA32_ARCH_CAPABILITIES);
	if (cpuid(0x80000000, 0).eax >= 0x80000008)
		f->e8_ebx = cpuid(0x80000008, 0).ebx;
}

void mitig_init(enum mitig_mode m)
{
	static const char *const mode_name[] = { "auto", "forced", "off" };
	struct mitig_facts f;
	struct mitig_choice c;

	read_facts(&f);
	c = mitig_choose(&f, m);
	mitig_on = c.on;
	l1d_msr = c.l1d_msr;
	printk("mitigations (%s):", mode_name[m]);
	for (unsigned int i = 0; i < MITIG_NR; i++) {
		if (!(c.on & MITIG_BIT(i)))
			continue;
		printk(" %s", mitig_name(i));
		if (i == MITIG_L1D_FLUSH)
			printk(c.l1d_msr ? "(MSR)" : "(sw)");
	}
	if (!c.on)
		printk(" none");
	printk(" [%s; CPUID 7:EBX %#x EDX %#x, 8000_0008h:EBX %#x; ARCH_CAPABILITIES ",
	       f.amd ? "AMD" : "not AMD", f.l7_ebx, f.l7_edx, f.e8_ebx);
	if (f.l7_edx & CPUID_7_EDX_ARCH_CAPS)
		printk("%#lx]\n", f.arch_caps);
	else
		printk("absent]\n");
	if (c.skipped & MITIG_BIT(MITIG_IBPB))
		printk("mitigations: IBPB skipped: this CPU has no IBPB (CPUID 7:EDX[26], "
		       "8000_0008h:EBX[12] clear)\n");
	if (c.skipped & MITIG_BIT(MITIG_L1D_FLUSH))
		printk("mitigations: L1D-flush skipped: this CPU has no IA32_FLUSH_CMD (CPUID "
		       "7:EDX[28] clear; a microcode update adds it)\n");
}

/*
 * FNCLEX first: the outgoing VM may have left an unmasked exception
 * pending, and FILD (a waiting instruction) would raise #MF here. EMMS
 * empties the register stack, so that FILD cannot overflow it; a 32-bit
 * integer loads exactly: no exception at all. FIP and FDP then point at
 * this FILD and x87_known, FOP is its opcode; FXRSTOR loads the rest.
 */
void mitig_x87_ptrs(void)
{
	if (!(mitig_on & MITIG_BIT(MITIG_X87_PTRS)))
		return;
	asm volatile("fnclex\n\t"
		     "emms\n\t"
		     "fildl %0" ::"m"(x87_known));
	mitig_count[MITIG_X87_PTRS]++;
}

/* IBPB: no indirect branch after it is predicted from what ran before it
 * (SDM Vol. 4, IA32_PRED_CMD; AMD's "Indirect Branch Control"). */
void mitig_vm_switch(void)
{
	if (!(mitig_on & MITIG_BIT(MITIG_IBPB)))
		return;
	wrmsr(MSR_IA32_PRED_CMD, PRED_CMD_IBPB);
	mitig_count[MITIG_IBPB]++;
}

/*
 * The L1D flush before VM entry (Intel's L1TF guidance for VMMs): the
 * IA32_FLUSH_CMD command where CPUID offers it; else (forced only) fill
 * the L1D with a buffer of our own as KVM does: pages first (their TLB
 * entries), a serialising CPUID, then every line.
 */
void mitig_before_entry(void)
{
	if (!(mitig_on & MITIG_BIT(MITIG_L1D_FLUSH)))
		return;
	mitig_count[MITIG_L1D_FLUSH]++;
	if (l1d_msr) {
		wrmsr(MSR_IA32_FLUSH_CMD, FLUSH_CMD_L1D);
		return;
	}
	for (size_t i = 0; i < L1D_FILL_SIZE; i += PAGE_SIZE)
		(void)*(volatile uint8_t *)&l1d_fill[i];
	(void)cpuid(0, 0);
	for (size_t i = 0; i < L1D_FILL_SIZE; i += 8 * L1D_LINE) {
		const volatile uint8_t *p = &l1d_fill[i];

		/* Eight lines a round: the loop costs no more than the loads. */
		(void)p[0], (void)p[L1D_LINE], (void)p[2 * L1D_LINE], (void)p[3 * L1D_LINE];
		(void)p[4 * L1D_LINE], (void)p[5 * L1D_LINE], (void)p[6 * L1D_LINE];
		(void)p[7 * L1D_LINE];
	}
}
