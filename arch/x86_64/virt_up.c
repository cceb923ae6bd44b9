/* SPDX-License-Identifier: MIT */
/*
 * The calls a back end makes into the layers above it (asm/virt.h: struct
 * virt_upcalls), registered once at boot by the vCPU layer. Boot time.
 */
#include <asm/virt.h>

const struct virt_upcalls *virt_up;

void virt_register_upcalls(const struct virt_upcalls *up)
{
	virt_up = up;
}
