/* SPDX-License-Identifier: MIT */
/*
 * The host's own GDT, TSS and IDT (the first two per CPU, in struct pcpu). VM entry requires a usable host TR, and
 * we must not depend on firmware tables (UEFI) or GRUB's. Runs once on the
 * BSP with interrupts off. Descriptor formats: SDM Vol. 3A §3.4.5, §7.2.3.
 */
#include <asm/cpu.h>
#include <asm/pcpu.h>
#include <asm/trap.h>
#include <base/console.h>
#include <string.h>

struct idt_gate {
	uint16_t off0;
	uint16_t sel;
	uint8_t ist;
	uint8_t type;
	uint16_t off1;
	uint32_t off2;
	uint32_t reserved;
};
_Static_assert(sizeof(struct idt_gate) == 16, "64-bit gate is 16 bytes");

_Static_assert(sizeof(struct tss64) == 104, "TSS is 104 bytes");

#define GATE_INTERRUPT 0x8e /* present, DPL 0, 64-bit interrupt gate */
#define MSR_GS_BASE 0xc0000101

struct pcpu pcpus[PCPU_MAX];
unsigned int nr_pcpus = 1;
static struct idt_gate host_idt[256] __attribute__((aligned(16))); /* shared, read-only after boot */

extern const uint64_t trap_stubs[32];
extern void host_nmi_stub(void);

uint64_t host_nmis; /* incremented by host_nmi_stub */

static void set_tss_desc(uint64_t *d, uint64_t base, uint32_t limit)
{
	d[0] = (limit & 0xffffULL) | ((base & 0xffffffULL) << 16) | (0x89ULL << 40) |
	       ((uint64_t)(limit >> 16 & 0xf) << 48) | (((base >> 24) & 0xffULL) << 56);
	d[1] = base >> 32;
}

static void set_gate(unsigned int v, uint64_t h)
{
	struct idt_gate *g = &host_idt[v];

	g->off0 = (uint16_t)h;
	g->sel = HOST_CS;
	g->ist = (v == 2 || v == 8 || v == 18) ? 1 : 0;
	g->type = GATE_INTERRUPT;
	g->off1 = (uint16_t)(h >> 16);
	g->off2 = (uint32_t)(h >> 32);
}

void cpu_set_irq_gate(unsigned int vector, void (*handler)(void))
{
	set_gate(vector & 0xff, (uint64_t)(uintptr_t)handler);
}

/* The GDT and TSS of CPU p, in its struct pcpu. */
void cpu_setup_pcpu(struct pcpu *p, unsigned int index, uint32_t apic_id)
{
	p->self = p;
	p->index = index;
	p->apic_id = apic_id;
	p->gdt[0] = 0;
	p->gdt[1] = 0x00af9a000000ffffULL; /* HOST_CS: 64-bit code */
	p->gdt[2] = 0x00cf92000000ffffULL; /* HOST_DS */
	p->tss.iomap_base = sizeof(p->tss);
	/* #DF, NMI and #MC run on their own stack. */
	p->tss.ist[0] = (uint64_t)(uintptr_t)(p->ist_stack + PCPU_IST_STACK);
	set_tss_desc(&p->gdt[3], (uint64_t)(uintptr_t)&p->tss, sizeof(p->tss) - 1);
}

/* Make p's GDT, TSS and the shared IDT this CPU's, and p its this_cpu(). */
void cpu_load_tables(struct pcpu *p)
{
	struct desc_ptr gdtr, idtr;

	/* FXSAVE/FXRSTOR of guest SSE state needs OSFXSR; the host itself never
	 * uses SSE (-mgeneral-regs-only). */
	write_cr4(read_cr4() | (1UL << 9) | (1UL << 10));
	write_cr0(read_cr0() & ~(X86_CR0_EM_BIT | X86_CR0_TS_BIT));

	gdtr.limit = sizeof(p->gdt) - 1;
	gdtr.base = (uint64_t)(uintptr_t)p->gdt;
	idtr.limit = sizeof(host_idt) - 1;
	idtr.base = (uint64_t)(uintptr_t)host_idt;
	asm volatile("lgdt %0" ::"m"(gdtr));
	asm volatile("lidt %0" ::"m"(idtr));
	/* Reload CS with a far return, then the data segments and TR. */
	asm volatile("pushq %[cs]\n\t"
		     "leaq 1f(%%rip), %%rax\n\t"
		     "pushq %%rax\n\t"
		     "lretq\n"
		     "1:\n\t"
		     "movw %w[ds], %%ax\n\t"
		     "movw %%ax, %%ds\n\t"
		     "movw %%ax, %%es\n\t"
		     "movw %%ax, %%ss\n\t"
		     "xorl %%eax, %%eax\n\t"
		     "movw %%ax, %%fs\n\t"
		     "movw %%ax, %%gs\n\t"
		     "movw %w[tr], %%ax\n\t"
		     "ltr %%ax"
		     :
		     : [cs] "i"(HOST_CS), [ds] "i"(HOST_DS), [tr] "i"(HOST_TR)
		     : "rax", "memory");
	/* The segment loads above cleared the GS base: ours from now on. */
	wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)p);
}

void cpu_init_tables(void)
{
	for (unsigned int v = 0; v < 32; v++)
		set_gate(v, trap_stubs[v]);
	set_gate(2, (uint64_t)(uintptr_t)host_nmi_stub); /* counted, not fatal */
	cpu_setup_pcpu(&pcpus[0], 0, cpuid(1, 0).ebx >> 24);
	cpu_load_tables(&pcpus[0]);
}

static const char *const vector_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS",
	"#NP", "#SS", "#GP", "#PF", "RSV", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

void dump_backtrace(uint64_t rbp)
{
	printk("backtrace:");
	/* Frame pointers are kept in every build; stop at anything odd. */
	for (int depth = 0; depth < 16 && rbp && !(rbp & 7); depth++) {
		const uint64_t *fp = (const uint64_t *)(uintptr_t)rbp;

		if (fp[1] == 0)
			break;
		printk(" %#lx", fp[1]);
		if (fp[0] <= rbp)
			break;
		rbp = fp[0];
	}
	printk("\n");
}

void trap_handler(struct trap_frame *f)
{
	const char *name = f->vector < 32 && vector_names[f->vector] ? vector_names[f->vector] : "?";

	printk("\n*** host exception %lu %s, error %#lx, RIP %#lx, CS %#lx, RFLAGS %#lx\n",
	       f->vector, name, f->error, f->rip, f->cs, f->rflags);
	printk("RAX %016lx RBX %016lx RCX %016lx RDX %016lx\n", f->rax, f->rbx, f->rcx, f->rdx);
	printk("RSI %016lx RDI %016lx RBP %016lx RSP %016lx\n", f->rsi, f->rdi, f->rbp, f->rsp);
	printk("R8  %016lx R9  %016lx R10 %016lx R11 %016lx\n", f->r8, f->r9, f->r10, f->r11);
	printk("R12 %016lx R13 %016lx R14 %016lx R15 %016lx\n", f->r12, f->r13, f->r14, f->r15);
	printk("CR0 %016lx CR2 %016lx CR3 %016lx CR4 %016lx\n", read_cr0(), read_cr2(), read_cr3(),
	       read_cr4());
	dump_backtrace(f->rbp);
	panic("unexpected exception in the hypervisor");
}
