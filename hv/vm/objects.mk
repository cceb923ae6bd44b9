# SPDX-License-Identifier: MIT
# The hypervisor's sources in hv/vm/ (included by the top Makefile).
CORE_SRCS += $(addprefix hv/vm/,vm.c vm_console.c config.c)
