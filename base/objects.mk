# SPDX-License-Identifier: MIT
# The hypervisor's sources in base/ (included by the top Makefile).
CORE_SRCS += $(addprefix base/,console.c mem.c libc_glue.c)
