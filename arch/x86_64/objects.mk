# SPDX-License-Identifier: MIT
# The hypervisor's sources in arch/x86_64/ (included by the top Makefile).
CORE_SRCS += $(addprefix arch/x86_64/,cpu_init.c trap_entry.S paging.c gpt.c tsc.c virt.c virt_up.c smp.c ap_boot.S host_timer.c guest_cpu.c guest_tsc.c mitigations.c mitig_policy.c)
