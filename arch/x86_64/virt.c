/* SPDX-License-Identifier: MIT */
/*
 * Choosing the virtualization back end. A CPU that reports SVM
 * (CPUID.80000001h:ECX[2], AMD APM Vol. 2 §15.4) gets the SVM back end, even
 * if firmware disabled it (it then names what is missing); every other CPU
 * gets VT-x, which names what it lacks. BSP, boot time.
 */
#include <asm/cpu.h>
#include <asm/virt.h>

#define CPUID_EXT_SVM (1u << 2)

const struct virt_ops *virt;

int virt_init(void)
{
	bool svm = cpuid(0x80000000, 0).eax >= 0x80000001 &&
		   (cpuid(0x80000001, 0).ecx & CPUID_EXT_SVM);

	virt = svm ? &svm_ops : &vmx_ops;
	return virt->init();
}
