/* SPDX-License-Identifier: MIT */
/*
 * What the host CPU does between two VMs so that one cannot see what
 * another left behind in it: state that a VM switch does not replace (the
 * x87 error pointers under AMD's FXRSTOR). Chosen once at boot from CPUID
 * and the config's "mitigations" (mitig_choose(), plain C, unit-tested);
 * carried out by the VM-switch and entry paths of both back ends. BSP,
 * interrupts off.
 */
#ifndef ASM_MITIGATIONS_H
#define ASM_MITIGATIONS_H

#include <types.h>

/* One bit per measure; also the index of its counter (MITIG_NR of them). */
enum mitig_id {
	MITIG_X87_PTRS, /* x87 FIP/FDP/FOP set to a known value before FXRSTOR */
	MITIG_NR,
};
#define MITIG_BIT(id) (1u << (id))

enum mitig_mode {
	MITIG_AUTO,  /* what this CPU needs */
	MITIG_FORCE, /* everything this CPU can do, needed or not (tests) */
	MITIG_OFF,   /* no transient-execution barriers (x87 pointers: as auto) */
};

/* What the choice depends on, as read from the CPU. */
struct mitig_facts {
	bool amd;        /* AuthenticAMD or HygonGenuine */
	uint32_t e8_ebx; /* CPUID 8000_0008h:EBX, 0 if the leaf is absent */
};

/* CPUID 8000_0008h:EBX[2] XSaveErPtr: FXSAVE/XSAVE always save the error
 * pointers, and FXRSTOR/XRSTOR always restore them (AMD APM Vol. 3, E.4.7). */
#define CPUID_E8_EBX_XSAVEERPTR (1u << 2)

struct mitig_choice {
	unsigned int on;      /* MITIG_BIT()s carried out */
	unsigned int skipped; /* forced, but this CPU cannot: named at boot */
};

/* The decision table: which measures run on a CPU with facts f in mode m.
 * Pure; never fails. */
struct mitig_choice mitig_choose(const struct mitig_facts *f, enum mitig_mode m);
/* Short name of a measure, as printed at boot and in the stats. */
const char *mitig_name(enum mitig_id id);

/* Read the facts, choose, print "mitigations: ..." (once, at boot). */
void mitig_init(enum mitig_mode m);
/* The measures on (MITIG_BIT()s) and how often each has run. */
extern unsigned int mitig_on;
extern uint64_t mitig_count[MITIG_NR];

/* Before FXRSTOR of the next vCPU's FPU image: with MITIG_X87_PTRS, make
 * FIP/FDP/FOP the hypervisor's own known values, so that an FXRSTOR that
 * leaves them in place (AMD without XSaveErPtr, no exception pending in
 * the image) does not hand the previous VM's to the next. */
void mitig_x87_ptrs(void);

#endif /* ASM_MITIGATIONS_H */
