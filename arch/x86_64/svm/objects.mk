# SPDX-License-Identifier: MIT
# The hypervisor's sources in arch/x86_64/svm/ (included by the top Makefile).
CORE_SRCS += $(addprefix arch/x86_64/svm/,svm.c svm_exit.c svm_entry.S)
