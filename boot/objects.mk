# SPDX-License-Identifier: MIT
# The hypervisor's sources in boot/ (included by the top Makefile).
CORE_SRCS += $(addprefix boot/,boot_info.c mb2.c)
