# SPDX-License-Identifier: MIT
# The hypervisor's sources in hv/mem/ (included by the top Makefile).
CORE_SRCS += $(addprefix hv/mem/,pool.c gmem.c)
