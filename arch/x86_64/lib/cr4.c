/* SPDX-License-Identifier: MIT */
/*
 * Which CR4 bits a guest may set, from the CPUID it is shown (asm/cr4.h).
 * Pure; any context.
 */
#include <asm/cr4.h>

/* Which CPUID feature flag a CR4 bit needs (SDM Vol. 2A, CPUID; Vol. 3A §2.5). */
struct cr4_feature {
	uint64_t cr4;
	uint32_t leaf;
	uint8_t reg; /* 1 EBX, 2 ECX, 3 EDX */
	uint8_t bit;
};

static const struct cr4_feature cr4_features[] = {
	{ X86_CR4_VME, 1, 3, 1 },	   { X86_CR4_PVI, 1, 3, 1 },   { X86_CR4_DE, 1, 3, 2 },
	{ X86_CR4_PSE, 1, 3, 3 },	   { X86_CR4_TSD, 1, 3, 4 },   { X86_CR4_PAE, 1, 3, 6 },
	{ X86_CR4_MCE, 1, 3, 7 },	   { X86_CR4_PGE, 1, 3, 13 },  { X86_CR4_OSFXSR, 1, 3, 24 },
	{ X86_CR4_OSXMMEXCPT, 1, 3, 25 }, { X86_CR4_VMXE, 1, 2, 5 }, { CR4_SMXE, 1, 2, 6 },
	{ CR4_PCIDE, 1, 2, 17 },	   { CR4_OSXSAVE, 1, 2, 26 },  { X86_CR4_FSGSBASE, 7, 1, 0 },
	{ X86_CR4_SMEP, 7, 1, 7 },	   { X86_CR4_SMAP, 7, 1, 20 }, { CR4_UMIP, 7, 2, 2 },
	{ CR4_PKE, 7, 2, 3 },		   { CR4_LA57, 7, 2, 16 },
};

uint64_t cr4_allowed_by(uint32_t l1_ecx, uint32_t l1_edx, uint32_t l7_ebx, uint32_t l7_ecx)
{
	uint64_t allowed = 0;

	for (size_t i = 0; i < ARRAY_SIZE(cr4_features); i++) {
		const struct cr4_feature *f = &cr4_features[i];
		uint32_t word = f->leaf == 1 ? (f->reg == 2 ? l1_ecx : f->reg == 3 ? l1_edx : 0)
					     : (f->reg == 1 ? l7_ebx : f->reg == 2 ? l7_ecx : 0);

		if (word & (1u << f->bit))
			allowed |= f->cr4;
	}
	return allowed & GUEST_CR4_ALLOWED;
}
