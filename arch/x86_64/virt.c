/* SPDX-License-Identifier: MIT */
/*
 * Choosing the virtualization back end (BSP, boot time). VT-x is the only
 * one so far.
 */
#include <asm/virt.h>

const struct virt_ops *virt;

int virt_init(void)
{
	virt = &vmx_ops;
	return virt->init();
}
