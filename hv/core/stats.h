/* SPDX-License-Identifier: MIT */
/* The stats block printed on the serial console during and after a run. */
#ifndef HV_STATS_H
#define HV_STATS_H

/* Print per-VM state, exits by reason and hypercalls by number. final: the
 * end-of-run block (the periodic one is shorter). */
void stats_print(bool final);

struct vm;
/* One "STATS,..." line for vm (the machine-readable form; README). */
void stats_print_line(struct vm *vm);

#endif /* HV_STATS_H */
