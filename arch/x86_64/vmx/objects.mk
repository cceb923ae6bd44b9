# SPDX-License-Identifier: MIT
# The hypervisor's sources in arch/x86_64/vmx/ (included by the top Makefile).
CORE_SRCS += $(addprefix arch/x86_64/vmx/,vmx.c vmcs.c vmx_exit.c vmx_task.c vmx_entry.S)
