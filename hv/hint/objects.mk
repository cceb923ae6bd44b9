# SPDX-License-Identifier: MIT
# The hypervisor's sources in hv/hint/ (included by the top Makefile).
CORE_SRCS += $(addprefix hv/hint/,hypercall.c hint.c)
