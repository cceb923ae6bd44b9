#!/bin/sh
# SPDX-License-Identifier: MIT
# Self-test of scripts/check-layers.sh (host, a temporary directory): a tiny
# tree with its own layers.txt, Makefile and objects (cc -c) must pass the
# check; then each case breaks one rule in a fresh copy and the check must
# fail with that rule's line: an upward include, an upward call, a circle of
# two folders at one level, a call into and an include of a private back
# end, an include above level 0 in a pure folder; and the baseline: a known
# violation passes (its line number may move), a baseline line that no
# longer occurs fails.
# Prints "PASS name" / "FAIL name (reason)" per case; exits 1 on a failure.
# Usage: tests/layers/run.sh [WORKDIR]   (default: a new mktemp -d, removed)
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
if [ $# -gt 0 ]; then
	work=$1
	mkdir -p "$work"
else
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
fi
fail=0

# The tree: include (0) < lib (1, pure) < arch, its private back end
# arch/vmx with asm/vmx.h, and the friend arch/virt.c (2) < core, dev (3).
base=$work/base
rm -rf "$base"
mkdir -p "$base/scripts" "$base/include" "$base/lib" "$base/arch/include/asm" \
	"$base/arch/vmx" "$base/core" "$base/dev"
cp "$src/scripts/check-layers.sh" "$src/scripts/layers.py" "$base/scripts/"
cat >"$base/scripts/layers.txt" <<'EOF'
0 include
1 lib
2 arch arch/vmx
3 core dev
private arch/vmx
friend arch/virt.c
pure lib
EOF
: >"$base/scripts/layers-known.txt"
cat >"$base/Makefile" <<'EOF'
BUILD ?= build
KCFLAGS := -Iinclude -Iarch/include -I.
OBJS := $(patsubst %,$(BUILD)/k/%.o,$(shell find lib arch core dev -name '*.c'))
$(BUILD)/k/%.c.o: %.c
	@mkdir -p $(@D)
	@cc $(KCFLAGS) -c $< -o $@
$(BUILD)/hintvisor.elf: $(OBJS)
	@ld -r -o $@ $(OBJS)
EOF
cat >"$base/include/types.h" <<'EOF'
typedef unsigned long u64;
EOF
cat >"$base/lib/str.c" <<'EOF'
#include <types.h>
u64 str_len(const char *s);
u64 str_len(const char *s) { u64 n = 0; while (s[n]) n++; return n; }
EOF
cat >"$base/arch/include/asm/vmx.h" <<'EOF'
#include <types.h>
u64 vmx_run(void);
EOF
cat >"$base/arch/vmx/vmx.c" <<'EOF'
#include <asm/vmx.h>
u64 vmx_run(void) { return 1; }
EOF
cat >"$base/arch/virt.c" <<'EOF'
#include <asm/vmx.h>
u64 virt_run(void);
u64 virt_run(void) { return vmx_run(); }
EOF
cat >"$base/arch/cpu.c" <<'EOF'
#include <types.h>
u64 str_len(const char *s);
u64 cpu_id(void);
u64 cpu_id(void) { return str_len("cpu"); }
EOF
cat >"$base/core/vm.c" <<'EOF'
#include <types.h>
u64 virt_run(void);
u64 cpu_id(void);
u64 vm_run(void);
u64 vm_run(void) { return virt_run() + cpu_id(); }
EOF
cat >"$base/core/vm.h" <<'EOF'
#include <types.h>
u64 vm_run(void);
EOF
cat >"$base/dev/uart.c" <<'EOF'
#include <types.h>
u64 uart_init(void);
u64 uart_init(void) { return 0; }
EOF

# check NAME WANT-STATUS WANT-LINE: run the checker in $tree, expect its
# exit status and (if not empty) the exact line in its output.
check() {
	name=$1 want=$2 line=$3
	(cd "$tree" && scripts/check-layers.sh) >"$work/$name.log" 2>&1
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL $name (exit $rc, want $want: $(grep -v '^known' "$work/$name.log" | head -n 2 | tr '\n' ' '))"
		fail=1
	elif [ -n "$line" ] && ! grep -qxF -- "$line" "$work/$name.log"; then
		echo "FAIL $name (no line: $line; got: $(head -n 2 "$work/$name.log" | tr '\n' ' '))"
		fail=1
	else
		echo "PASS $name${line:+: $line}"
	fi
}

# case NAME: a fresh copy of the built tree in $tree
case_tree() {
	tree=$work/$1
	rm -rf "$tree"
	cp -Rp "$base" "$tree"
}

tree=$base
check clean 0 'check-layers: 0 new, 0 known, 0 fixed; includes level 0, includes private 0, includes pure 0, includes unlisted 0, calls level 0, calls private 0, calls pure 0, circles 0'

case_tree upward-include
sed -i '1a #include <core/vm.h>' "$tree/arch/cpu.c"
check upward-include 1 'arch/cpu.c:2: includes core/vm.h (level 2 -> 3)'

case_tree upward-call
echo 'u64 uart_init(void); u64 cpu_reset(void); u64 cpu_reset(void) { return uart_init(); }' >>"$tree/arch/cpu.c"
check upward-call 1 'arch/cpu.c: uses uart_init from dev/uart.c (level 2 -> 3)'

case_tree circle
echo 'u64 vm_run(void); u64 uart_poll(void); u64 uart_poll(void) { return vm_run(); }' >>"$tree/dev/uart.c"
echo 'u64 uart_init(void); u64 vm_init(void); u64 vm_init(void) { return uart_init(); }' >>"$tree/core/vm.c"
check circle 1 'core/vm.c: uses dev/uart.c in a circle (core -> dev)'
check circle-back 1 'dev/uart.c: uses core/vm.c in a circle (dev -> core)'

case_tree private-call
sed -i 's/virt_run() + cpu_id()/virt_run() + cpu_id() + vmx_run()/; 1a u64 vmx_run(void);' "$tree/core/vm.c"
check private-call 1 'core/vm.c: uses vmx_run from arch/vmx/vmx.c (private to arch/vmx)'

case_tree private-include
sed -i '1a #include <asm/vmx.h>' "$tree/arch/cpu.c"
check private-include 1 'arch/cpu.c:2: includes arch/include/asm/vmx.h (private to arch/vmx)'

case_tree pure-include
sed -i '1a #include "../core/vm.h"' "$tree/lib/str.c"
check pure-include 1 'lib/str.c:2: includes core/vm.h (lib is pure: level 0 only)'

# The baseline: the upward include is known (recorded at another line).
case_tree known
sed -i '1a #include <core/vm.h>' "$tree/arch/cpu.c"
echo 'arch/cpu.c:7: includes core/vm.h (level 2 -> 3)' >"$tree/scripts/layers-known.txt"
check known 0 'known: arch/cpu.c:2: includes core/vm.h (level 2 -> 3)'

case_tree fixed
echo 'arch/cpu.c: uses uart_init from dev/uart.c (level 2 -> 3)' >"$tree/scripts/layers-known.txt"
check fixed 1 'fixed, remove it from the baseline: arch/cpu.c: uses uart_init from dev/uart.c (level 2 -> 3)'

exit "$fail"
