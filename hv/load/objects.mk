# SPDX-License-Identifier: MIT
# The hypervisor's sources in hv/load/ (included by the top Makefile).
CORE_SRCS += $(addprefix hv/load/,elf.c linux.c multiboot.c memmap.c acpi.c hvboot.c)
