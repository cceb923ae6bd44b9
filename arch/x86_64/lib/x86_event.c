/* SPDX-License-Identifier: MIT */
/*
 * The x86 rules for events raised while another is being delivered (SDM
 * Vol. 3A §6.15, Tables 6-4 and 6-5) and which exceptions are faults (Table
 * 6-1): pure functions for both back ends' injection and the exit handlers
 * (asm/vexit.h). Any context.
 */
#include <asm/x86_event.h>

/* Exception classes of SDM Vol. 3A Table 6-4. */
enum exc_class { EXC_BENIGN, EXC_CONTRIBUTORY, EXC_PAGE_FAULT };

static enum exc_class exc_class(uint8_t vector)
{
	switch (vector) {
	case 0:  /* #DE */
	case 10: /* #TS */
	case 11: /* #NP */
	case 12: /* #SS */
	case 13: /* #GP */
	case 21: /* #CP */
		return EXC_CONTRIBUTORY;
	case 14: /* #PF */
	case 20: /* #VE */
		return EXC_PAGE_FAULT;
	default:
		return EXC_BENIGN;
	}
}

int vexit_exception_after(uint8_t first, uint8_t second)
{
	enum exc_class c1 = exc_class(first), c2 = exc_class(second);

	if (first == 8)
		return c2 == EXC_BENIGN ? second : -1;
	if ((c1 == EXC_CONTRIBUTORY && c2 == EXC_CONTRIBUTORY) ||
	    (c1 == EXC_PAGE_FAULT && c2 != EXC_BENIGN))
		return 8;
	return second;
}

bool vexit_exception_is_fault(uint8_t vector)
{
	switch (vector) {
	case 0: case 5: case 6: case 7: case 10: case 11: case 12: case 13: case 14:
	case 16: case 17: case 19: case 20: case 21:
		return true;
	default: /* #DB (RF as it was), traps, #DF and #MC (aborts), interrupts */
		return false;
	}
}
