# SPDX-License-Identifier: MIT
# The hypervisor's sources in hv/dev/ (included by the top Makefile).
CORE_SRCS += $(addprefix hv/dev/,board.c lapic.c pic.c uart.c pci.c virtq.c virtio_balloon.c virtio_blk.c bus.c ioapic.c platform.c)
