/* SPDX-License-Identifier: MIT */
/*
 * apic-ipi: IPIs a vCPU sends itself through the xAPIC ICR (SDM Vol. 3A
 * §11.6.1) and the instruction forms kernels use on the APIC page. Fixed
 * IPIs by the self shorthand, by our physical ID, by a flat logical
 * destination and to all including self are delivered; to all excluding
 * self, another ID or another logical bit they are not; a vector below 16
 * sets ESR "send illegal vector". An NMI to our ID runs the NMI handler,
 * and a second one after its IRET runs it again; one the NMI handler sends
 * itself waits for the handler's IRET and is delivered right after it,
 * once, not nested. Then MOV in its widths and
 * moffs form, MOVZX/MOVSX, OR/AND/ADD/SUB/XOR/CMP/TEST, XCHG and REP
 * MOVS/STOS, each checked against the register it touched.
 */
#include "apic.h"

const char test_title[] = "apic-ipi: self-IPIs, self-NMI, and MMIO instruction forms on the APIC";

#define MAX_WAIT 2000000000ULL

DEFINE_ISR(0x80)
DEFINE_ISR(0x81)
DEFINE_ISR(0x82)
DEFINE_ISR(0x83)
DEFINE_ISR(0x84)
DEFINE_ISR(0x85)

static volatile uint64_t nmis, nmi_depth, nmi_max_depth, nmi_resend;

__attribute__((interrupt)) static void nmi_handler(struct interrupt_frame *f)
{
	if (++nmi_depth > nmi_max_depth)
		nmi_max_depth = nmi_depth;
	nmis++;
	if (nmi_resend) {
		/* A self-NMI from inside the handler: blocked until our IRET. */
		nmi_resend = 0;
		apic_wr(APIC_ICR, ICR_NMI | ICR_ASSERT);
		spin_tsc(100000);
	}
	nmi_depth--;
}

static void ipis(void)
{
	uint64_t r;

	asm volatile("sti");
	apic_wr(APIC_ICR_HIGH, 0);
	apic_wr(APIC_ICR, ICR_SELF | 0x80);
	EXPECT(wait_for(&irq_hits[0x80], 1, MAX_WAIT));
	apic_wr(APIC_ICR_HIGH, 0);               /* physical destination: our ID 0 */
	apic_wr(APIC_ICR, 0x81);
	EXPECT(wait_for(&irq_hits[0x81], 1, MAX_WAIT));
	apic_wr(APIC_ICR, ICR_ALL | 0x82);
	EXPECT(wait_for(&irq_hits[0x82], 1, MAX_WAIT));
	apic_wr(APIC_DFR, 0xffffffff);           /* flat model */
	apic_wr(APIC_LDR, 0x04000000);           /* logical ID bit 2 */
	apic_wr(APIC_ICR_HIGH, 0x04000000);
	apic_wr(APIC_ICR, ICR_LOGICAL | 0x83);
	EXPECT(wait_for(&irq_hits[0x83], 1, MAX_WAIT));
	/* Not for us. */
	apic_wr(APIC_ICR_HIGH, 0x02000000);
	apic_wr(APIC_ICR, ICR_LOGICAL | 0x84);
	apic_wr(APIC_ICR_HIGH, 0x05000000);      /* physical ID 5 */
	apic_wr(APIC_ICR, 0x84);
	apic_wr(APIC_ICR, ICR_OTHERS | 0x84);
	spin_tsc(100000);
	EXPECT_EQ(irq_hits[0x84], 0);
	/* Illegal vector. */
	apic_wr(APIC_ESR, 0);
	apic_wr(APIC_ICR, ICR_SELF | 0x05);
	apic_wr(APIC_ESR, 0); /* publishes the errors since the write before */
	EXPECT(apic_rd(APIC_ESR) & 0x20);
	apic_wr(APIC_ESR, 0);
	EXPECT_EQ(apic_rd(APIC_ICR) & (1u << 12), 0); /* delivery status: idle */
	asm volatile("cli");
	gprintf("IPIs: self %lu, physical %lu, all %lu, logical %lu, not-ours %lu\n",
		irq_hits[0x80], irq_hits[0x81], irq_hits[0x82], irq_hits[0x83], irq_hits[0x84]);

	/* Self-NMI: delivered with interrupts off, again after the IRET. */
	apic_wr(APIC_ICR_HIGH, 0);
	apic_wr(APIC_ICR, ICR_NMI | ICR_ASSERT);
	EXPECT(wait_for(&nmis, 1, MAX_WAIT));
	apic_wr(APIC_ICR, ICR_NMI | ICR_ASSERT);
	EXPECT(wait_for(&nmis, 2, MAX_WAIT));
	gprintf("self-NMI: %lu delivered\n", nmis);

	/* A self-NMI sent by the NMI handler: pending while the handler runs
	 * (NMIs blocked until its IRET), delivered at the instruction
	 * boundary right after that IRET, so before our next instruction
	 * reads the count (SDM Vol. 3A §6.7.1, "Handling Multiple NMIs"). */
	nmis = 0;
	nmi_max_depth = 0;
	nmi_resend = 1;
	apic_wr(APIC_ICR, ICR_NMI | ICR_ASSERT);
	asm volatile("" ::: "memory");
	r = nmis;
	spin_tsc(1000000);
	gprintf("self-NMI from the NMI handler: %lu after the IRET, %lu in all, nesting depth %lu\n",
		r, nmis, nmi_max_depth);
	EXPECT_EQ(r, 2);
	EXPECT_EQ(nmis, 2);
	EXPECT_EQ(nmi_max_depth, 1);
}

static void mmio_forms(void)
{
	uint64_t base = APIC_DEFAULT, r;
	uint32_t version = apic_rd(APIC_VERSION), buf[64];
	uint8_t zf;

	/* MOV AL/AX/EAX <- moffs (movabs). */
	asm volatile("movabs 0xfee00030, %%eax" : "=a"(r));
	EXPECT_EQ(r, version);
	r = 0xaaaaaaaa00000000ULL;
	asm volatile("movabs 0xfee00030, %%al" : "+a"(r));
	EXPECT_EQ(r, 0xaaaaaaaa00000000ULL | (version & 0xff));
	r = 0;
	asm volatile("movabs 0xfee00030, %%ax" : "+a"(r));
	EXPECT_EQ(r, version & 0xffff);
	r = 0x10;
	asm volatile("movabs %%eax, 0xfee00080" ::"a"(r) : "memory");
	EXPECT_EQ(apic_rd(APIC_TPR), 0x10);
	/* MOVZX / MOVSX of a byte and a word. */
	asm volatile("movzbl 0x30(%1), %k0" : "=r"(r) : "r"(base));
	EXPECT_EQ(r, version & 0xff);
	asm volatile("movzwq 0x30(%1), %0" : "=r"(r) : "r"(base));
	EXPECT_EQ(r, version & 0xffff);
	apic_wr(APIC_TPR, 0xf0);
	asm volatile("movsbq 0x80(%1), %0" : "=r"(r) : "r"(base));
	EXPECT_EQ(r, 0xfffffffffffffff0ULL);
	/* Immediate stores. */
	asm volatile("movl $0x20, 0x80(%0)" ::"r"(base) : "memory");
	EXPECT_EQ(apic_rd(APIC_TPR), 0x20);
	/* Read-modify-write to the register: OR, AND, ADD, SUB, XOR. */
	asm volatile("orl $0x01, 0x80(%0)" ::"r"(base) : "memory");
	EXPECT_EQ(apic_rd(APIC_TPR), 0x21);
	asm volatile("andl $0xf0, 0x80(%0)" ::"r"(base) : "memory");
	EXPECT_EQ(apic_rd(APIC_TPR), 0x20);
	asm volatile("addl $0x10, 0x80(%0)" ::"r"(base) : "memory");
	EXPECT_EQ(apic_rd(APIC_TPR), 0x30);
	asm volatile("subl %1, 0x80(%0)" ::"r"(base), "r"(0x20) : "memory");
	EXPECT_EQ(apic_rd(APIC_TPR), 0x10);
	asm volatile("xorl %1, 0x80(%0)" ::"r"(base), "r"(0x50) : "memory");
	EXPECT_EQ(apic_rd(APIC_TPR), 0x40);
	asm volatile("lock orl $0x5, 0x80(%0)" ::"r"(base) : "memory");
	EXPECT_EQ(apic_rd(APIC_TPR), 0x45);
	/* TEST and CMP set the flags from the register. */
	asm volatile("testl $0x100, 0xf0(%1); setz %0" : "=r"(zf) : "r"(base) : "cc");
	EXPECT_EQ(zf, 0); /* SVR[8] is set */
	asm volatile("testl $0x200, 0xf0(%1); setz %0" : "=r"(zf) : "r"(base) : "cc");
	EXPECT_EQ(zf, 1);
	asm volatile("cmpl $0x45, 0x80(%1); setz %0" : "=r"(zf) : "r"(base) : "cc");
	EXPECT_EQ(zf, 1);
	asm volatile("cmpl $0x46, 0x80(%1); setc %0" : "=r"(zf) : "r"(base) : "cc");
	EXPECT_EQ(zf, 1); /* 0x45 < 0x46: borrow */
	/* ALU with the register as destination. */
	r = 0x100;
	asm volatile("addl 0x80(%1), %k0" : "+r"(r) : "r"(base));
	EXPECT_EQ(r, 0x145);
	/* XCHG. */
	r = 0x60;
	asm volatile("xchgl %k0, 0x80(%1)" : "+r"(r) : "r"(base) : "memory");
	EXPECT_EQ(r, 0x45);
	EXPECT_EQ(apic_rd(APIC_TPR), 0x60);
	/* ADC and SBB with CF set, NOT (keeps CF), NEG (sets it); the TPR keeps
	 * bits 7:0 of what is written. */
	asm volatile("stc; adcl $0x0f, 0x80(%0)" ::"r"(base) : "memory", "cc");
	EXPECT_EQ(apic_rd(APIC_TPR), 0x70);
	asm volatile("stc; sbbl %1, 0x80(%0)" ::"r"(base), "r"(0x0f) : "memory", "cc");
	EXPECT_EQ(apic_rd(APIC_TPR), 0x60);
	asm volatile("stc; notl 0x80(%1); setc %0" : "=r"(zf) : "r"(base) : "memory", "cc");
	EXPECT_EQ(zf, 1);
	EXPECT_EQ(apic_rd(APIC_TPR), 0x9f);
	asm volatile("clc; negl 0x80(%1); setc %0" : "=r"(zf) : "r"(base) : "memory", "cc");
	EXPECT_EQ(zf, 1);
	EXPECT_EQ(apic_rd(APIC_TPR), 0x61);
	r = 0x100;
	asm volatile("stc; sbbl 0x80(%1), %k0" : "+r"(r) : "r"(base) : "cc");
	EXPECT_EQ(r, 0x9e);
	asm volatile("stc; incl 0x80(%1); setc %0" : "=r"(zf) : "r"(base) : "memory", "cc");
	EXPECT_EQ(zf, 1); /* INC keeps CF */
	EXPECT_EQ(apic_rd(APIC_TPR), 0x62);
	asm volatile("decl 0x80(%0)" ::"r"(base) : "memory", "cc");
	EXPECT_EQ(apic_rd(APIC_TPR), 0x61);
	/* REP STOS into the register, REP MOVS from RAM into it and out of the page. */
	{
		uint64_t di = base + APIC_TPR, cnt = 1;

		asm volatile("rep stosl" : "+D"(di), "+c"(cnt) : "a"(0x70) : "memory");
		EXPECT_EQ(apic_rd(APIC_TPR), 0x70);
		EXPECT_EQ(di, base + APIC_TPR + 4);
		EXPECT_EQ(cnt, 0);
	}
	{
		uint32_t src[4] = { 0x30, 0x11, 0x22, 0x33 };
		uint64_t si = (uint64_t)src, di = base + APIC_TPR, cnt = 4;

		asm volatile("rep movsl" : "+S"(si), "+D"(di), "+c"(cnt) : : "memory");
		EXPECT_EQ(apic_rd(APIC_TPR), 0x30); /* the reserved dwords after it ignore the rest */
		EXPECT_EQ(cnt, 0);
	}
	{
		uint64_t si = base, di = (uint64_t)buf, cnt = 64;

		for (unsigned int i = 0; i < 64; i++)
			buf[i] = 0xdeadbeef;
		asm volatile("rep movsl" : "+S"(si), "+D"(di), "+c"(cnt) : : "memory");
		EXPECT_EQ(buf[APIC_VERSION / 4], version);
		EXPECT_EQ(buf[APIC_TPR / 4], 0x30);
		EXPECT_EQ(buf[APIC_TPR / 4 + 1], 0);
		EXPECT_EQ(buf[APIC_SVR / 4], 0x1ff);
		EXPECT_EQ(si, base + 256);
	}
	apic_wr(APIC_TPR, 0);
	gprintf("MMIO forms: moffs, MOVZX/MOVSX, imm, OR/AND/ADD/SUB/XOR/ADC/SBB, NOT/NEG/INC/DEC, TEST/CMP, XCHG, REP STOS/MOVS checked\n");
}

void test_main(void)
{
	set_gate(0x80, isr_0x80);
	set_gate(0x81, isr_0x81);
	set_gate(0x82, isr_0x82);
	set_gate(0x83, isr_0x83);
	set_gate(0x84, isr_0x84);
	set_gate(0x85, isr_0x85);
	set_gate(2, nmi_handler);
	apic_wr(APIC_SVR, 0x1ff);
	apic_wr(APIC_TPR, 0);
	ipis();
	mmio_forms();
}
