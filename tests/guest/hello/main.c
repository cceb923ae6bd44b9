/* SPDX-License-Identifier: MIT */
/* hello: detect Hintvisor by CPUID and ask its ABI version by hypercall, with
 * both hypercall instructions (VMCALL and VMMCALL work on either vendor). */
#include "hvtest.h"

const char test_title[] = "hello: CPUID signature and version hypercall";

void test_main(void)
{
	uint32_t a, b, c, d;
	uint64_t v;

	cpuid(1, &a, &b, &c, &d);
	EXPECT(c & (1u << 31)); /* hypervisor present */
	EXPECT(!(c & (1u << 5))); /* no VMX for guests */
	cpuid(0x80000001, &a, &b, &c, &d);
	EXPECT(!(c & (1u << 2))); /* no SVM either */
	cpuid(HV_CPUID_SIGNATURE, &a, &b, &c, &d);
	EXPECT(a >= HV_CPUID_VERSION);
	EXPECT_EQ(b, HV_CPUID_SIG_EBX);
	EXPECT_EQ(c, HV_CPUID_SIG_ECX);
	EXPECT_EQ(d, HV_CPUID_SIG_EDX);
	cpuid(HV_CPUID_VERSION, &a, &b, &c, &d);
	EXPECT_EQ(a, HV_ABI_VERSION);

	v = hypercall(HV_HC_GET_VERSION, 0, 0, 0, 0);
	EXPECT_EQ(v, HV_ABI_VERSION);
	EXPECT_EQ(hypercall(HV_HC_GET_FEATURES, 0, 0, 0, 0), b);
	EXPECT_EQ(hypercall_vmmcall(HV_HC_GET_VERSION, 0, 0, 0, 0), HV_ABI_VERSION);
	EXPECT_EQ(hypercall_vmmcall(HV_HC_GET_FEATURES, 0, 0, 0, 0), b);
	gprintf("Hello from %s: Hintvisor ABI %lu.%lu, %lu MiB RAM\n", start_info->name, v >> 16,
		v & 0xffff, start_info->mem_bytes >> 20);
}
