# SPDX-License-Identifier: MIT
# libFuzzer harnesses (tests/fuzz): host builds of the real hypervisor code
# with ASan/UBSan, clang-14. Included by the top Makefile.
#   make fuzz                 every fuzzer for FUZZ_TIME seconds each (default 60)
#   make fuzz FUZZERS=config  only the named ones
# make check runs each for FUZZ_CHECK_RUNS inputs on top of its seed corpus
# (tests/fuzz/run.sh).

FUZZ_CC := clang-14
FUZZ_DIR := $(BUILD)/fuzz
FUZZ_CFLAGS := -std=gnu11 -O1 -g -Iinclude -Iarch/x86_64/include -I. -Itests/fuzz \
	-include tests/fuzz/fake_hw.h \
	-Wall -Wextra -Werror -Wno-unused-parameter -Wno-gnu-statement-expression \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_TIME ?= 60
FUZZ_CHECK_RUNS ?= 30000

# The hypervisor code under a fuzzer: the hinting glue, EPT, mm/.
FUZZ_HV_SRCS := tests/fuzz/shim.c hv/hint/hint.c hv/mem/pool.c hv/mem/gmem.c hv/hint/hypercall.c arch/x86_64/gpt.c \
	arch/x86_64/lib/pgtable.c mm/frames.c $(MM_SRCS)

FUZZ_SRCS_hypercall := tests/fuzz/fuzz_hypercall.c $(FUZZ_HV_SRCS)
FUZZ_SRCS_mmio := tests/fuzz/fuzz_mmio.c arch/x86_64/lib/mmio_decode.c
FUZZ_SRCS_config := tests/fuzz/fuzz_config.c hv/vm/config.c
FUZZ_SRCS_elf := tests/fuzz/fuzz_elf.c hv/load/elf.c
FUZZ_SRCS_multiboot := tests/fuzz/fuzz_multiboot.c hv/load/multiboot.c hv/load/memmap.c $(FUZZ_HV_SRCS)
FUZZ_SRCS_bzimage := tests/fuzz/fuzz_bzimage.c hv/load/linux.c hv/load/memmap.c $(FUZZ_HV_SRCS)
FUZZ_SRCS_virtio := tests/fuzz/fuzz_virtio.c hv/dev/virtio_blk.c hv/dev/virtq.c hv/dev/pci.c hv/dev/pic.c \
	$(FUZZ_HV_SRCS)

# Instruction emulation and VT-x task switches, over the strict guest-memory fake.
FUZZ_SRCS_emulate := tests/fuzz/fuzz_emulate.c tests/fuzz/fake_gmem.c \
	hv/vcpu/emulate.c arch/x86_64/lib/mmio_decode.c hv/dev/lapic.c
FUZZ_SRCS_task := tests/fuzz/fuzz_task.c tests/fuzz/fake_gmem.c \
	arch/x86_64/vmx/vmx_task.c hv/vcpu/upcalls.c arch/x86_64/virt_up.c hv/dev/pic.c hv/vcpu/vcr.c hv/vcpu/emulate.c arch/x86_64/lib/mmio_decode.c \
	arch/x86_64/guest_cpu.c hv/vcpu/cpu_model.c arch/x86_64/lib/cr4.c arch/x86_64/guest_tsc.c hv/dev/lapic.c
# Exit handling and the devices: the VM's whole platform (hv/vm/vm.c, hv/dev/board.c).
FUZZ_PLATFORM_SRCS := tests/fuzz/platform.c hv/vcpu/vexit.c hv/vcpu/gpt_fault.c arch/x86_64/lib/x86_event.c hv/vcpu/vcr.c \
	arch/x86_64/guest_cpu.c hv/vcpu/cpu_model.c arch/x86_64/lib/cr4.c arch/x86_64/guest_tsc.c hv/vcpu/emulate.c \
	arch/x86_64/lib/mmio_decode.c hv/vm/vm.c hv/dev/board.c hv/dev/bus.c hv/load/acpi.c hv/load/elf.c hv/load/multiboot.c \
	hv/load/linux.c hv/load/memmap.c hv/vm/vm_console.c boot/boot_info.c hv/dev/lapic.c hv/dev/ioapic.c hv/dev/pic.c \
	hv/dev/uart.c hv/dev/platform.c hv/dev/pci.c hv/dev/virtio_blk.c hv/dev/virtq.c \
	hv/dev/virtio_balloon.c $(FUZZ_HV_SRCS)
FUZZ_SRCS_exit := tests/fuzz/fuzz_exit.c $(FUZZ_PLATFORM_SRCS)
FUZZ_SRCS_devices := tests/fuzz/fuzz_devices.c $(FUZZ_PLATFORM_SRCS)

FUZZ_SRCS_balloon := tests/fuzz/fuzz_balloon.c hv/dev/virtio_balloon.c hv/dev/virtq.c hv/dev/pci.c \
	hv/dev/pic.c $(FUZZ_HV_SRCS)

FUZZERS ?= hypercall mmio config elf multiboot bzimage virtio emulate task exit devices balloon
fuzz_objs = $(patsubst %,$(FUZZ_DIR)/o/%.o,$(1))
FUZZ_BINS := $(FUZZERS:%=$(FUZZ_DIR)/fuzz_%)

$(FUZZ_DIR)/o/%.c.o: %.c
	@mkdir -p $(@D)
	@echo "  FUZZCC  $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

.PRECIOUS: $(FUZZ_DIR)/o/%.c.o
.SECONDEXPANSION:
# Every harness links the fake host machine of the forced include.
$(FUZZ_DIR)/fuzz_%: $$(call fuzz_objs,tests/fuzz/fake_hw.c $$(FUZZ_SRCS_$$*))
	@echo "  LD      $@"
	@$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BINS)

fuzz: deps fuzz-build
	@BUILD=$(BUILD) tests/fuzz/run.sh time $(FUZZ_TIME) $(FUZZERS)
