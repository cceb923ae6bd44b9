# SPDX-License-Identifier: MIT
# The hypervisor's sources in hv/vcpu/ (included by the top Makefile).
CORE_SRCS += $(addprefix hv/vcpu/,vexit.c vcr.c emulate.c run.c cpu_model.c upcalls.c gpt_fault.c)
