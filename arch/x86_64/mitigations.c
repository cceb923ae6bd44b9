/* SPDX-License-Identifier: MIT */
/*
 * The measures of asm/mitigations.h on this CPU: reading the facts at boot,
 * the boot line, and the measures themselves with their counters. BSP,
 * interrupts off; mitig_x87_ptrs() on a VM switch (guest_cpu_switch()).
 */
#include <asm/cpu.h>
#include <asm/mitigations.h>
#include <hv/console.h>
#include <string.h>

unsigned int mitig_on;
uint64_t mitig_count[MITIG_NR];

/* FILD's operand: FDP points here after mitig_x87_ptrs(). */
static const int32_t x87_known;

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
	printk("mitigations (%s):", mode_name[m]);
	for (unsigned int i = 0; i < MITIG_NR; i++)
		if (c.on & MITIG_BIT(i))
			printk(" %s", mitig_name(i));
	if (!c.on)
		printk(" none");
	printk(" [%s, CPUID 8000_0008h:EBX %#x]\n", f.amd ? "AMD" : "not AMD", f.e8_ebx);
	for (unsigned int i = 0; i < MITIG_NR; i++)
		if (c.skipped & MITIG_BIT(i))
			printk("mitigations: %s skipped: this CPU cannot\n", mitig_name(i));
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
