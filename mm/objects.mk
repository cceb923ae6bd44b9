# SPDX-License-Identifier: MIT
# The hypervisor's sources in mm/ (included by the top Makefile).
CORE_SRCS += $(addprefix mm/,frames.c)
