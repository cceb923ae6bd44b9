# SPDX-License-Identifier: MIT
# The hypervisor's sources in hv/core/ (included by the top Makefile).
CORE_SRCS += $(addprefix hv/core/,main.c stats.c lifecycle.c)
