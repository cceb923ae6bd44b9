# SPDX-License-Identifier: MIT
# The hypervisor's sources in arch/x86_64/lib/ (included by the top Makefile).
CORE_SRCS += $(addprefix arch/x86_64/lib/,pgtable.c x86_event.c cr4.c madt.c mmio_decode.c)
