# SPDX-License-Identifier: MIT
# Hintvisor build. Plain GNU Make, one object list per folder.
#   make run     install what is missing, build, boot under Bochs, print the console
#   make check   install what is missing, build, run every test
#   make bench   benchmarks (counts and ratios, never wall time), incl. bench-consolidation
# Everything lands in build/; nothing is written outside it except the
# dependency cache (newlib, guest kernel) under $(HINTVISOR_CACHE).

BUILD ?= build
export HINTVISOR_CACHE ?= $(HOME)/.cache/hintvisor

CC      := gcc
LD      := ld
OBJCOPY := objcopy
GCCINC  := $(shell $(CC) -print-file-name=include)
LIBGCC  := $(shell $(CC) -print-libgcc-file-name)

NEWLIB  := $(BUILD)/newlib
LIBC    := $(NEWLIB)/lib/libc.a

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wundef -Wvla -Wwrite-strings -Wno-unused-parameter

# Freestanding code (hypervisor, boot paths, test guests). -fpic so that the
# same objects link into the multiboot2 ELF and the PE32+ EFI application;
# hidden visibility keeps data accesses PC-relative instead of via the GOT.
KCFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-stack-protector -fno-stack-check \
	-fpic -fvisibility=hidden -mno-red-zone -mgeneral-regs-only \
	-fno-omit-frame-pointer -fno-strict-aliasing -fcf-protection=none \
	-fno-asynchronous-unwind-tables -nostdinc -isystem $(NEWLIB)/include -isystem $(GCCINC) \
	-Iinclude -Iarch/x86_64/include -I. $(WARN)
KASFLAGS := -g -fpic -Iinclude -Iarch/x86_64/include -I. -D__ASSEMBLY__

# Host code (unit tests, simulator, benchmarks).
HCFLAGS := -std=gnu11 -O2 -g -Iinclude -I. $(WARN)
SANITIZE := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

.PHONY: all deps run run-linux run-uefi run-qemu check bench clean help
all: hypervisor guests

deps:
	@./scripts/deps.sh

$(LIBC): scripts/newlib.sh | deps
	@./scripts/newlib.sh $(NEWLIB)

-include mm/mm.mk
-include tests/fuzz/fuzz.mk

# ---- the hypervisor -------------------------------------------------------
# Each folder lists its own sources (objects.mk); mm/ is shared with the
# unit tests and the simulator (mm/mm.mk).
CORE_SRCS :=
include arch/x86_64/lib/objects.mk arch/x86_64/objects.mk arch/x86_64/svm/objects.mk arch/x86_64/vmx/objects.mk base/objects.mk boot/objects.mk hv/core/objects.mk hv/dev/objects.mk hv/hint/objects.mk hv/load/objects.mk hv/mem/objects.mk hv/vcpu/objects.mk hv/vm/objects.mk mm/objects.mk
CORE_SRCS += $(MM_SRCS)
MB2_SRCS := boot/mb2_entry.S boot/mb2_main.c

kobj = $(patsubst %,$(BUILD)/k/%.o,$(1))
CORE_OBJS := $(call kobj,$(CORE_SRCS))
MB2_OBJS := $(call kobj,$(MB2_SRCS))

$(BUILD)/k/%.c.o: %.c $(LIBC) Makefile
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(KCFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/k/%.S.o: %.S Makefile
	@mkdir -p $(@D)
	@echo "  AS      $<"
	@$(CC) $(KASFLAGS) -MMD -MP -c $< -o $@

KLDFLAGS := -nostdlib -z noexecstack -z max-page-size=4096
KLIBS := $(LIBC) $(LIBGCC)

$(BUILD)/hintvisor.elf: $(MB2_OBJS) $(CORE_OBJS) linker.ld $(LIBC)
	@echo "  LD      $@"
	@$(LD) $(KLDFLAGS) -static -T linker.ld -o $@ $(MB2_OBJS) $(CORE_OBJS) $(KLIBS)

.PHONY: hypervisor
hypervisor: $(BUILD)/hintvisor.elf

# The UEFI path: the same core objects in a GNU-EFI application (PE32+).
EFI_INC := -isystem /usr/include/efi -isystem /usr/include/efi/x86_64
EFI_LDS := /usr/lib/elf_x86_64_efi.lds
EFI_CRT0 := /usr/lib/crt0-efi-x86_64.o
EFI_OBJS := $(call kobj,boot/efi.c)

$(BUILD)/k/boot/efi.c.o: KCFLAGS += -fshort-wchar $(EFI_INC) -Wno-strict-prototypes -Wno-missing-prototypes

$(BUILD)/hintvisor.so: $(EFI_OBJS) $(CORE_OBJS) $(LIBC)
	@echo "  LD      $@"
	@$(LD) $(KLDFLAGS) -znocombreloc -shared -Bsymbolic -T $(EFI_LDS) -L/usr/lib -o $@ \
		$(EFI_CRT0) $(EFI_OBJS) $(CORE_OBJS) -lefi -lgnuefi $(KLIBS)

$(BUILD)/hintvisor.efi: $(BUILD)/hintvisor.so
	@echo "  EFI     $@"
	@$(OBJCOPY) -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela \
		-j .rel.* -j .rela.* -j .reloc --target efi-app-x86_64 --subsystem=10 $< $@

hypervisor: $(BUILD)/hintvisor.efi

# ---- unit tests (host, ASan/UBSan) ----------------------------------------
CHECK_CFLAGS ?= $(shell pkg-config --cflags check)
CHECK_LIBS ?= $(shell pkg-config --libs check)
UNIT_SRCS := tests/unit/main.c tests/unit/test_frames.c tests/unit/test_config.c \
	tests/unit/test_boot.c tests/unit/test_gpt.c tests/unit/test_elf.c \
	tests/unit/test_mmio.c tests/unit/test_hypercall.c tests/unit/test_pic.c \
	tests/unit/test_lapic.c tests/unit/test_vexit.c tests/unit/test_gmem.c \
	tests/unit/test_platform.c tests/unit/test_console.c tests/unit/test_mitig.c tests/unit/test_virtio.c tests/unit/test_madt.c arch/x86_64/lib/madt.c \
	tests/unit/test_balloon.c \
	mm/frames.c hv/vm/config.c boot/mb2.c boot/boot_info.c arch/x86_64/lib/pgtable.c \
	arch/x86_64/gpt.c arch/x86_64/lib/mmio_decode.c hv/load/elf.c hv/hint/hypercall.c hv/dev/pic.c \
	hv/dev/lapic.c hv/vcpu/vexit.c arch/x86_64/lib/x86_event.c arch/x86_64/lib/cr4.c hv/vcpu/vcr.c hv/vcpu/emulate.c arch/x86_64/guest_tsc.c \
	hv/dev/bus.c hv/dev/ioapic.c hv/dev/platform.c hv/load/memmap.c hv/vm/vm_console.c arch/x86_64/mitig_policy.c
UNIT_OBJS := $(UNIT_SRCS:%=$(BUILD)/u/%.o)

$(BUILD)/u/%.c.o: %.c
	@mkdir -p $(@D)
	@echo "  HOSTCC  $<"
	@$(CC) $(HCFLAGS) -Iarch/x86_64/include $(SANITIZE) $(CHECK_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/tests/unit/test_core: $(UNIT_OBJS)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	@$(CC) $(SANITIZE) -o $@ $^ $(CHECK_LIBS)

.PHONY: unit
unit: $(BUILD)/tests/unit/test_core
	@$(BUILD)/tests/unit/test_core

# ---- model checks of the hinting protocol (SPIN, tests/model) ---------------
.PHONY: model
model:
	@for m in "table-1vcpu" "table-2vcpu -DNCPU=2" "linux-2vcpu linux.pml"; do \
		tests/model/check.sh $(BUILD)/model $$m || exit 1; done

# ---- test guests -------------------------------------------------------------
GUEST_NAMES := $(sort $(patsubst tests/guest/%/,%,$(dir $(wildcard tests/guest/*/main.c))))
GUEST_LIB_SRCS := tests/guest/lib/entry.S tests/guest/lib/lib.c tests/guest/lib/vblk.c tests/guest/lib/smp.c
GUEST_LIB_OBJS := $(call kobj,$(GUEST_LIB_SRCS)) $(BUILD)/k/base/libc_glue.c.o
GUEST_ELFS := $(GUEST_NAMES:%=$(BUILD)/guest/%.elf)

$(BUILD)/k/tests/guest/%: KCFLAGS += -Itests/guest/lib

# Guest objects are named here so that make does not treat them as
# intermediate files and delete them after linking.
GUEST_OBJS := $(call kobj,$(filter-out tests/guest/cpu-modes/%,$(wildcard tests/guest/*/*.c)))
$(GUEST_ELFS): | $(GUEST_OBJS)
.SECONDEXPANSION:
$(BUILD)/guest/%.elf: $$(call kobj,$$(wildcard tests/guest/%/*.c)) $(GUEST_LIB_OBJS) tests/guest/lib/guest.ld
	@mkdir -p $(@D)
	@echo "  LD      $@"
	@$(LD) $(KLDFLAGS) --no-warn-rwx-segments -static -T tests/guest/lib/guest.ld -o $@ $(filter %.o,$^) $(KLIBS)

.PHONY: guests
guests: $(GUEST_ELFS)

# The benchmark/demo workload guest (tests/bench/workload), same runtime.
WORKLOAD_OBJS := $(call kobj,$(wildcard tests/bench/workload/*.c))
$(BUILD)/k/tests/bench/%: KCFLAGS += -Itests/guest/lib
$(BUILD)/guest/workload.elf: $(WORKLOAD_OBJS) $(GUEST_LIB_OBJS) tests/guest/lib/guest.ld
	@mkdir -p $(@D)
	@echo "  LD      $@"
	@$(LD) $(KLDFLAGS) --no-warn-rwx-segments -static -T tests/guest/lib/guest.ld -o $@ \
		$(filter %.o,$^) $(KLIBS)
GUEST_ELFS += $(BUILD)/guest/workload.elf

# A multiboot (v1) ELF32 test kernel, for the multiboot loader.
MB32_CFLAGS := -m32 -std=gnu11 -O2 -g -ffreestanding -fno-pic -fno-stack-protector \
	-fcf-protection=none -fno-asynchronous-unwind-tables -nostdinc -isystem $(GCCINC) $(WARN) \
	-Itests/multiboot
$(BUILD)/guest/multiboot.elf: tests/multiboot/boot.S tests/multiboot/main.c tests/multiboot/mb.ld tests/multiboot/mb32.h
	@mkdir -p $(BUILD)/mb32 $(@D)
	@echo "  CC32    tests/multiboot"
	@$(CC) -m32 -c tests/multiboot/boot.S -o $(BUILD)/mb32/boot.o
	@$(CC) $(MB32_CFLAGS) -c tests/multiboot/main.c -o $(BUILD)/mb32/main.o
	@$(LD) -m elf_i386 -nostdlib -z noexecstack --no-warn-rwx-segments -T tests/multiboot/mb.ld \
		-o $@ $(BUILD)/mb32/boot.o $(BUILD)/mb32/main.o

GUEST_ELFS += $(BUILD)/guest/multiboot.elf

# The same kind of kernel linked at 0x8000, below 1 MiB (tests/pc.cfg).
$(BUILD)/guest/multiboot-low.elf: tests/multiboot/boot.S tests/multiboot-low/main.c tests/multiboot/mb32.h \
		tests/multiboot-low/mb-low.ld
	@mkdir -p $(BUILD)/mb32-low $(@D)
	@echo "  CC32    tests/multiboot-low"
	@$(CC) -m32 -c tests/multiboot/boot.S -o $(BUILD)/mb32-low/boot.o
	@$(CC) $(MB32_CFLAGS) -c tests/multiboot-low/main.c -o $(BUILD)/mb32-low/main.o
	@$(LD) -m elf_i386 -nostdlib -z noexecstack --no-warn-rwx-segments \
		-T tests/multiboot-low/mb-low.ld -o $@ $(BUILD)/mb32-low/boot.o $(BUILD)/mb32-low/main.o

GUEST_ELFS += $(BUILD)/guest/multiboot-low.elf

# cpu-modes: a multiboot ELF32 kernel that switches CPU modes itself
# (tests/cpu.cfg); 32-bit code, so not one of the 64-bit GUEST_NAMES.
$(BUILD)/guest/cpu-modes.elf: tests/guest/cpu-modes/boot.S tests/guest/cpu-modes/modes.c tests/multiboot/mb.ld \
		tests/multiboot/mb32.h
	@mkdir -p $(BUILD)/cpu-modes32 $(@D)
	@echo "  CC32    tests/guest/cpu-modes"
	@$(CC) -m32 -c tests/guest/cpu-modes/boot.S -o $(BUILD)/cpu-modes32/boot.o
	@$(CC) $(MB32_CFLAGS) -c tests/guest/cpu-modes/modes.c -o $(BUILD)/cpu-modes32/modes.o
	@$(LD) -m elf_i386 -nostdlib -z noexecstack --no-warn-rwx-segments -T tests/multiboot/mb.ld \
		-o $@ $(BUILD)/cpu-modes32/boot.o $(BUILD)/cpu-modes32/modes.o

GUEST_ELFS += $(BUILD)/guest/cpu-modes.elf

# The Linux 6.1 guest: kernel (cached outside the tree), initramfs with the
# test script, ext2 disk image. See linux-guest-patch/ and docs/linux-guest.md.
LINUX_DIR := $(BUILD)/linux
LINUX_INPUTS := linux-guest-patch/build-kernel.sh linux-guest-patch/guest.config \
	linux-guest-patch/hinting.config guest-abi/hintvisor.h \
	linux-guest-patch/series $(wildcard linux-guest-patch/patches/*.patch) \
	$(wildcard linux-guest-patch/patches/*/*.patch)
$(LINUX_DIR)/bzImage: $(LINUX_INPUTS) | deps
	@linux-guest-patch/build-kernel.sh $(LINUX_DIR)
# The stock kernel: the same sources without the series, with the virtio
# balloon and free page reporting (build-kernel.sh --stock, cached apart).
LINUX_STOCK_DIR := $(BUILD)/linux-stock
$(LINUX_STOCK_DIR)/bzImage: linux-guest-patch/build-kernel.sh linux-guest-patch/guest.config \
		linux-guest-patch/stock.config | deps
	@linux-guest-patch/build-kernel.sh --stock $(LINUX_STOCK_DIR)
$(BUILD)/guest/bzImage-stock: $(LINUX_STOCK_DIR)/bzImage
	@mkdir -p $(@D)
	@cp $< $@
# The initramfs: test-fs.sh is the default test, the others are chosen with
# hv.test=/NAME on the kernel command line.
LINUX_TESTS := linux-guest-patch/test-fs.sh linux-guest-patch/test-overcommit.sh \
	linux-guest-patch/test-seed.sh linux-guest-patch/test-bench.sh linux-guest-patch/test-batch.sh \
	linux-guest-patch/test-consolidate.sh linux-guest-patch/test-reboot.sh \
	linux-guest-patch/test-reporting.sh \
	linux-guest-patch/test-kexec.sh linux-guest-patch/test-smp.sh
$(LINUX_DIR)/initramfs.cpio.gz: linux-guest-patch/build-initramfs.sh linux-guest-patch/memtouch.c \
		linux-guest-patch/kexec.c $(LINUX_TESTS)
	@linux-guest-patch/build-initramfs.sh $(LINUX_DIR) $(LINUX_TESTS)
# Disks: generated files (disk.img); with the kernel/ and mm/ directories of
# the Linux source (disk-src.img, the overcommit test and the benchmark); with
# 214 MiB of large Linux headers, over twice the seed guest's RAM
# (disk-seed.img).
$(LINUX_DIR)/disk.img: linux-guest-patch/build-disk.sh
	@linux-guest-patch/build-disk.sh $(LINUX_DIR) 16
$(LINUX_DIR)/disk-src.img: linux-guest-patch/build-disk.sh
	@linux-guest-patch/build-disk.sh $(LINUX_DIR) 56 disk-src.img kernel mm
$(LINUX_DIR)/disk-seed.img: linux-guest-patch/build-disk.sh
	@linux-guest-patch/build-disk.sh $(LINUX_DIR) 260 disk-seed.img \
		drivers/gpu/drm/amd/include/asic_reg/dcn drivers/gpu/drm/amd/include/asic_reg/nbio
# The generated files plus this kernel and initramfs, which the kexec test
# starts again (disk-kexec.img).
$(LINUX_DIR)/disk-kexec.img: linux-guest-patch/build-disk.sh $(LINUX_DIR)/bzImage \
		$(LINUX_DIR)/initramfs.cpio.gz
	@DISK_BOOT_FILES="$(LINUX_DIR)/bzImage $(LINUX_DIR)/initramfs.cpio.gz" \
		linux-guest-patch/build-disk.sh $(LINUX_DIR) 24 disk-kexec.img
$(BUILD)/guest/%: $(LINUX_DIR)/%
	@mkdir -p $(@D)
	@cp $< $@
LINUX_IMAGES := $(addprefix $(BUILD)/guest/,bzImage initramfs.cpio.gz disk.img disk-src.img \
	disk-seed.img disk-kexec.img bzImage-stock)
.PHONY: linux
linux: $(LINUX_IMAGES)

# ---- boot images ----------------------------------------------------------
$(BUILD)/hintvisor.iso: $(BUILD)/hintvisor.elf $(GUEST_ELFS) run.cfg scripts/mkiso.sh
	@echo "  ISO     $@"
	@scripts/mkiso.sh run.cfg $@ $(BUILD)/guest $(BUILD)/hintvisor.elf

$(BUILD)/test.iso: $(BUILD)/hintvisor.elf $(GUEST_ELFS) tests/guests.cfg scripts/mkiso.sh
	@echo "  ISO     $@"
	@scripts/mkiso.sh tests/guests.cfg $@ $(BUILD)/guest $(BUILD)/hintvisor.elf

# Modules of the multiboot test kernel (tests/pc.cfg, tests/uefi.cfg
# multiboot-mods): a gzip file of two members (a short text, then 10007
# bytes of data: as an initramfs with early microcode before it), and its
# POSIX cksum line "CRC SIZE NAME", which the kernel checks the module it gets
# against, byte for byte: a loader that unzips (GRUB without --nounzip) fails.
MB_MODULES := $(BUILD)/guest/mbmod.gz $(BUILD)/guest/mbmod.sum
$(BUILD)/guest/mbmod.bin:
	@mkdir -p $(@D)
	@perl -e 'print pack("C*", map { ($$_ * 131 + ($$_ >> 7)) & 255 } 0 .. 10006)' >$@
$(BUILD)/guest/mbmod.gz: $(BUILD)/guest/mbmod.bin
	@{ echo "first member" | gzip -n -9; gzip -n -9 <$<; } >$@
$(BUILD)/guest/mbmod.sum: $(BUILD)/guest/mbmod.gz
	@cd $(@D) && cksum $(<F) >$(@F)

# Blank virtio-blk disks of the isolation tests (tests/isolation.cfg).
ISOLATION_DISKS := $(BUILD)/guest/vblk-ring.disk $(BUILD)/guest/vblk-sector.disk \
	$(BUILD)/guest/vblk-table.disk
# The disks of the reboot tests (tests/pc.cfg, tests/platform.cfg): what a
# boot leaves there survives the reset.
PC_DISKS := $(BUILD)/guest/reboot.disk
PLATFORM_DISKS := $(BUILD)/guest/linux-reboot.disk
$(ISOLATION_DISKS) $(PC_DISKS) $(PLATFORM_DISKS):
	@mkdir -p $(@D)
	@truncate -s 4M $@

$(BUILD)/esp.img: $(BUILD)/hintvisor.efi $(GUEST_ELFS) run.cfg scripts/mkesp.sh
	@echo "  ESP     $@"
	@scripts/mkesp.sh run.cfg $@ $(BUILD)/guest $(BUILD)/hintvisor.efi

# One Hintvisor boot per test config: build/NAME.iso from tests/NAME.cfg
# (isolation: hostile guests; oom: host out of memory; pc: I/O APIC, ACPI,
# timers, resets, memory map; cpu: mode switches and control registers;
# insn: instruction exits, events, start-up MSRs; apic: the local APIC and
# the MMIO instruction forms; platform and linux-*: Linux; config-refused: a
# config the hypervisor must refuse).
$(BUILD)/%.iso: $(BUILD)/hintvisor.elf $(GUEST_ELFS) tests/%.cfg scripts/mkiso.sh
	@echo "  ISO     $@"
	@scripts/mkiso.sh tests/$*.cfg $@ $(BUILD)/guest $(BUILD)/hintvisor.elf
$(BUILD)/isolation.iso: $(ISOLATION_DISKS)
$(BUILD)/pc.iso: $(MB_MODULES) $(PC_DISKS)
$(BUILD)/platform.iso: $(LINUX_IMAGES) $(PLATFORM_DISKS)
$(BUILD)/linux-overcommit.iso $(BUILD)/linux-seed.iso $(BUILD)/linux-reporting.iso $(BUILD)/linux-kexec.iso \
	$(BUILD)/linux-smp.iso $(BUILD)/linux-smp4.iso $(BUILD)/linux-seed4.iso: $(LINUX_IMAGES)

$(BUILD)/test-esp.img: $(BUILD)/hintvisor.efi $(GUEST_ELFS) $(MB_MODULES) tests/uefi.cfg scripts/mkesp.sh
	@echo "  ESP     $@"
	@scripts/mkesp.sh tests/uefi.cfg $@ $(BUILD)/guest $(BUILD)/hintvisor.efi

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# ---- the two commands -------------------------------------------------------
CHECK_IMAGES := $(BUILD)/smp.iso $(BUILD)/smp-one.iso $(BUILD)/test.iso $(BUILD)/isolation.iso $(BUILD)/oom.iso $(BUILD)/oom-tables.iso $(BUILD)/insn.iso \
	$(BUILD)/apic.iso $(BUILD)/test-esp.img $(BUILD)/platform.iso $(BUILD)/cpu.iso $(BUILD)/pc.iso \
	$(BUILD)/linux-overcommit.iso $(BUILD)/linux-seed.iso $(BUILD)/linux-reporting.iso \
		$(BUILD)/linux-kexec.iso $(BUILD)/linux-smp.iso $(BUILD)/linux-smp4.iso \
		$(BUILD)/linux-seed4.iso \
	$(BUILD)/config-refused.iso
check: deps
	@$(MAKE) --no-print-directory $(CHECK_IMAGES) $(BUILD)/tests/unit/test_core $(BUILD)/tests/unit/test_mm \
		fuzz-build
	@BUILD=$(BUILD) FUZZERS="$(FUZZERS)" FUZZ_CHECK_RUNS=$(FUZZ_CHECK_RUNS) tests/run-tests.sh

bench: deps
	@$(MAKE) --no-print-directory mm-bench $(BUILD)/hintvisor.elf $(GUEST_ELFS) $(LINUX_IMAGES)
	@$(MAKE) --no-print-directory $(BUILD)/smp.iso
	@scripts/bench-guests.sh $(BUILD)
	@scripts/bench-linux.sh $(BUILD)
	@BENCH_LINUX_VCPUS=2 scripts/bench-linux.sh $(BUILD)
	@$(MAKE) --no-print-directory bench-consolidation bench-reporting

# How many Linux guests fit on one host, hinting vs hintvisor=off, with plots
# (scripts/bench-consolidation.sh; tables and PNGs in build/bench/consolidation).
.PHONY: bench-consolidation
bench-consolidation: deps
	@$(MAKE) --no-print-directory $(BUILD)/hintvisor.elf $(LINUX_IMAGES)
	@scripts/bench-consolidation.sh $(BUILD)

# Hinting against free page reporting (the stock kernel with the virtio
# balloon) and the stock kernel without it, in the same sweep, for the
# anonymous, page cache and mixed workloads (build/bench/reporting/).
.PHONY: bench-reporting
bench-reporting: deps
	@$(MAKE) --no-print-directory $(BUILD)/hintvisor.elf $(LINUX_IMAGES)
	@scripts/bench-reporting.sh $(BUILD)

run: deps
	@$(MAKE) --no-print-directory $(BUILD)/hintvisor.iso
	@echo "Booting Hintvisor under Bochs (corei7_skylake_x); serial console follows."
	@scripts/bochs-run.sh -f -t 900 $(BUILD)/hintvisor.iso $(BUILD)/run-serial.log

$(BUILD)/linux.iso: $(BUILD)/hintvisor.elf $(LINUX_IMAGES) run-linux.cfg scripts/mkiso.sh
	@echo "  ISO     $@"
	@scripts/mkiso.sh run-linux.cfg $@ $(BUILD)/guest $(BUILD)/hintvisor.elf

run-linux: deps
	@$(MAKE) --no-print-directory $(BUILD)/linux.iso
	@echo "Booting Linux 6.1 under Hintvisor under Bochs; serial console follows."
	@scripts/bochs-run.sh -f -t 900 $(BUILD)/linux.iso $(BUILD)/run-linux-serial.log

run-uefi: deps
	@$(MAKE) --no-print-directory $(BUILD)/esp.img
	@scripts/bochs-run.sh -u -f -t 900 $(BUILD)/esp.img $(BUILD)/run-uefi-serial.log

run-qemu: deps
	@$(MAKE) --no-print-directory $(BUILD)/esp.img
	@echo "Booting Hintvisor under QEMU + OVMF (TCG with AMD SVM, or nested KVM); serial console follows."
	@scripts/qemu-run.sh -f -t 900 $(BUILD)/esp.img $(BUILD)/run-qemu-serial.log || true

clean:
	rm -rf $(BUILD)

help:
	@sed -n '2,6p' Makefile
