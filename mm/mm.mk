# SPDX-License-Identifier: MIT
# mm/: memory policy, its unit tests, the simulator and the benchmark.
# Included by the top Makefile (BUILD, CC, HCFLAGS, SANITIZE, KCFLAGS, NEWLIB set).
#   make mm-unit    Check unit tests under ASan/UBSan
#   make mm-bench   simulator comparison + microbenchmark (incl. 1 TiB run)
#   make mm-kcheck  compile MM_SRCS freestanding with KCFLAGS

# Files that go into the hypervisor (not mm/frames.c); the fake EPT, TLB and host
# memory of the tests, the simulator and the benchmark is tests/fakes/fake_arch.c.
MM_SRCS := mm/pool.c mm/lru.c mm/frame_table.c mm/reclaim.c mm/fault.c mm/state.c \
	mm/swap.c mm/stats.c mm/check.c mm/oom.c
MM_HDRS := mm/mm.h mm/internal.h tests/fakes/fake_arch.h include/types.h guest-abi/hintvisor.h
MM_FAKE := tests/fakes/fake_arch.c
# The suites (test_mm.c has main(); not test_mmio.c, a core unit test) and their shared fixture.
MM_TEST_SRCS := tests/unit/test_mm.c $(sort $(wildcard tests/unit/test_mm_*.c)) tests/unit/mm_test.c
HVSIM_SRCS := $(sort $(wildcard tools/hvsim/*.c))
MM_BENCH_SRCS := $(sort $(wildcard tools/bench/*.c))
CHECK_CFLAGS ?= $(shell pkg-config --cflags check)
CHECK_LIBS ?= $(shell pkg-config --libs check)

MM_SAN_DIR := $(BUILD)/mm-san
MM_HOST_DIR := $(BUILD)/mm-host
MM_K_DIR := $(BUILD)/mm-k

# Sanitized objects (unit tests), plain -O2 objects (simulator, benchmark).
$(MM_SAN_DIR)/%.o: %.c $(MM_HDRS)
	@mkdir -p $(@D)
	@echo "  HOSTCC  $<"
	@$(CC) $(HCFLAGS) $(SANITIZE) $(CHECK_CFLAGS) -c $< -o $@

$(MM_HOST_DIR)/%.o: %.c $(MM_HDRS)
	@mkdir -p $(@D)
	@echo "  HOSTCC  $<"
	@$(CC) $(HCFLAGS) -c $< -o $@

$(MM_K_DIR)/%.o: mm/%.c $(MM_HDRS)
	@test -d $(NEWLIB)/include || { echo "mm-kcheck: $(NEWLIB)/include missing (scripts/newlib.sh not run yet)"; exit 1; }
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(KCFLAGS) -c $< -o $@

$(patsubst %.c,$(MM_SAN_DIR)/%.o,$(MM_TEST_SRCS)): tests/unit/mm_test.h

$(BUILD)/tests/unit/test_mm: $(patsubst %.c,$(MM_SAN_DIR)/%.o,$(MM_SRCS) $(MM_FAKE) $(MM_TEST_SRCS))
	@mkdir -p $(@D)
	@echo "  LD      $@"
	@$(CC) $(SANITIZE) -o $@ $^ $(CHECK_LIBS)

$(BUILD)/hvsim: $(patsubst %.c,$(MM_HOST_DIR)/%.o,$(MM_SRCS) $(MM_FAKE) $(HVSIM_SRCS))
	@mkdir -p $(@D)
	@echo "  LD      $@"
	@$(CC) -o $@ $^ -lm

$(BUILD)/mm-bench: $(patsubst %.c,$(MM_HOST_DIR)/%.o,$(MM_SRCS) $(MM_FAKE) $(MM_BENCH_SRCS))
	@mkdir -p $(@D)
	@echo "  LD      $@"
	@$(CC) -o $@ $^ -lm

.PHONY: mm-unit mm-bench mm-kcheck
mm-unit: $(BUILD)/tests/unit/test_mm
	$(BUILD)/tests/unit/test_mm

mm-bench: $(BUILD)/hvsim $(BUILD)/mm-bench
	$(BUILD)/hvsim --seed 1
	$(BUILD)/mm-bench

mm-kcheck: $(patsubst mm/%.c,$(MM_K_DIR)/%.o,$(MM_SRCS))
	@echo "mm-kcheck: $(words $^) files compile freestanding with KCFLAGS"
