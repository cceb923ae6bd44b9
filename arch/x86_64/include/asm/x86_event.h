/* SPDX-License-Identifier: MIT */
/*
 * Events raised while another is delivered, and fault-class exceptions
 * (x86_event.c). Pure.
 */
#ifndef ASM_X86_EVENT_H
#define ASM_X86_EVENT_H

#include <types.h>

/*
 * The exception to deliver when exception second is raised while the
 * delivery of exception first is under way (SDM Vol. 3A §6.15, "Interrupt
 * 8—Double Fault Exception", Tables 6-4 and 6-5): 8 (#DF, error code 0)
 * after two contributory exceptions or a page-fault-class one followed by a
 * contributory or page-fault-class one; -1 (a triple fault: shutdown) for
 * those after #DF; else second (the two are handled serially: the
 * instruction that raised first raises it again when it runs again).
 */
int vexit_exception_after(uint8_t first, uint8_t second);

/*
 * Is vector a fault-class exception other than #DB (SDM Vol. 3A Table 6-1)?
 * The CPU pushes RF=1 with those (§17.3.1.1), so the back ends set RF in
 * the guest's RFLAGS when they inject one (an injected event pushes the
 * RFLAGS it finds, §27.6.1.2).
 */
bool vexit_exception_is_fault(uint8_t vector);

#endif /* ASM_X86_EVENT_H */
