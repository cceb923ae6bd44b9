/* SPDX-License-Identifier: MIT */
/*
 * apic-init: INIT and SIPI sent to our own vCPU through the ICR (SDM Vol.
 * 3A §11.6.1, §8.4). A SIPI is recognized only in wait-for-SIPI, so one sent
 * while we run is ignored, as is an INIT level de-assert. A real INIT resets
 * the vCPU into wait-for-SIPI; in a VM of one vCPU nothing can send the SIPI,
 * so Hintvisor stops the VM and says why (tests/guest/apic-init/expect).
 */
#include "apic.h"

const char test_title[] = "apic-init: SIPI ignored while running; INIT to ourselves";

void test_main(void)
{
	apic_wr(APIC_SVR, 0x1ff);
	apic_wr(APIC_ICR_HIGH, 0);              /* destination: our APIC ID 0 */
	apic_wr(APIC_ICR, ICR_SIPI | 0x10);     /* ignored: not in wait-for-SIPI */
	apic_wr(APIC_ICR, ICR_INIT | ICR_LEVEL); /* INIT level de-assert: ignored */
	gprintf("still running after a SIPI and an INIT de-assert\n");
	apic_wr(APIC_ICR, ICR_INIT | ICR_ASSERT);
	test_fail("still running after an INIT to ourselves");
}
