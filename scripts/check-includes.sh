#!/bin/sh
# SPDX-License-Identifier: MIT
# The dependency directions of the source tree, checked on #include lines:
#   - hv/, boot/ and mm/ never include a virtualization back end's headers
#     (asm/vmx*.h, asm/svm*.h): the core reaches VT-x and SVM only through
#     asm/virt.h;
#   - mm/ includes nothing of the hypervisor (no asm/, hv/, boot/): the same
#     files build into the unit tests and the simulator; their fakes live in
#     tests/fakes/, and nothing of the hypervisor includes test code;
#   - the vendor-neutral files of arch/x86_64 include no back end's headers,
#     and the two back ends do not include each other's;
#   - guest-abi/ includes only the C library's fixed-width types;
#   - memory: only the memory module (hv/mem/pool.c, hv/mem/gmem.c) and the hinting
#     back ends (hv/hint/hint.c) call into mm/; nothing outside mm/ includes its
#     internals; devices, loaders and the arch code reach guest RAM only
#     through the guest-memory module (hv/mem/gmem.h), never hv/mem/pool.h, hv/hint/hint.h
#     or a VM's frame table;
#   - errors: the hypervisor's codes come from include/errcode.h, not the C
#     library's <errno.h> (base/libc_glue.c excepted, it serves newlib), and
#     the ABI's HV_E* codes appear only in hv/hint/hypercall.c (and as the batch
#     result words mm/state.c writes for the guest).
# Prints every violation as FILE:LINE: TEXT (rule) and exits 1 if any.
# Usage: scripts/check-includes.sh [ROOT]
set -u
cd "${1:-.}" || exit 2
bad=0

# violations FILES... -- PATTERN RULE
check() {
	rule=$1 pattern=$2
	shift 2
	[ $# -gt 0 ] || return 0
	out=$(grep -nE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($pattern)" "$@" 2>/dev/null)
	if [ -n "$out" ]; then
		echo "$out" | sed "s|\$|  ($rule)|"
		bad=1
	fi
}

src() { find "$@" -name '*.[chS]' 2>/dev/null | sort; }

# code RULE PATTERN EXEMPT FILES...: like check, on code lines (comments
# skipped), except lines matching EXEMPT.
code() {
	rule=$1 pattern=$2 exempt=$3
	shift 3
	[ $# -gt 0 ] || return 0
	out=$(grep -nE "$pattern" "$@" 2>/dev/null | grep -vE '^[^:]*:[0-9]+:[[:space:]]*(\*|/\*|//)' |
		grep -vE "$exempt")
	if [ -n "$out" ]; then
		echo "$out" | sed "s|\$|  ($rule)|"
		bad=1
	fi
}

# shellcheck disable=SC2046
check "core includes a back end" 'asm/(vmx|svm)[^/]*\.h' $(src hv base boot mm)
# shellcheck disable=SC2046
check "mm/ is plain C" 'asm/|hv/|boot|arch/|tests/' $(src mm)
# Back-end files: VT-x is vmx*/vmcs*, SVM is svm*/vmcb*.
VMX_FILES='/(vmx|vmcs)[^/]*\.[chS]$'
SVM_FILES='/(svm|vmcb)[^/]*\.[chS]$'
# shellcheck disable=SC2046
check "neutral arch code includes a back end" 'asm/(vmx|svm)[^/]*\.h' \
	$(src arch/x86_64 | grep -vE "$VMX_FILES|$SVM_FILES")
# shellcheck disable=SC2046
check "VT-x includes SVM" 'asm/svm[^/]*\.h' $(src arch/x86_64 | grep -E "$VMX_FILES")
# shellcheck disable=SC2046
check "SVM includes VT-x" 'asm/vmx[^/]*\.h' $(src arch/x86_64 | grep -E "$SVM_FILES")
# Memory: who may use mm/, the pool, and a VM's frame table.
MEMORY='^hv/(mem/(pool|gmem)|hint/hint)\.c$'
# shellcheck disable=SC2046
check "mm/ internals outside mm/" 'mm/internal\.h' $(src hv base boot arch)
# shellcheck disable=SC2046
check "test code in the hypervisor" 'tests/' $(src hv base boot arch mm)
# shellcheck disable=SC2046
check "mm/ included outside the memory module" 'mm/' \
	$(src hv base boot arch | grep -vE '^(hv/vm/vcpu|base/mem)\.h$')
# shellcheck disable=SC2046
code "mm/ called outside the memory module" '\bmm_[a-z_]+\(' '^$' \
	$(src hv boot arch | grep -vE "$MEMORY")
# Devices, loaders and the arch code: guest RAM through hv/mem/gmem.h only.
GUEST_RAM_USERS=$(src hv/dev arch/x86_64; echo hv/load/elf.c hv/load/linux.c hv/load/multiboot.c)
# shellcheck disable=SC2086
check "guest RAM not through hv/mem/gmem.h" 'hv/(mem/pool|hint/hint)\.h' $GUEST_RAM_USERS
# shellcheck disable=SC2086
code "guest RAM not through hv/mem/gmem.h" '\bpool_(init|vm_init|vm_destroy|gfn_get|fault|balance|print_pages)\(|hv_mm\b|(->|\.)mm\b' '^$' \
	$GUEST_RAM_USERS
# Errors: one internal error space, HV_E* only at the hypercall boundary.
# shellcheck disable=SC2046
check "the C library's errno.h, not errcode.h" 'errno\.h' \
	$(src hv base boot arch mm | grep -vE '^base/libc_glue\.c$')
# shellcheck disable=SC2046
code "HV_E* outside the hypercall boundary" '\bHV_E[A-Z]+\b' 'HV_BATCH_ERR \| HV_E' \
	$(src hv base boot arch mm include | grep -vE '^hv/hint/hypercall\.c$')
out=$(grep -nE '^[[:space:]]*#[[:space:]]*include' guest-abi/*.h |
	grep -vE '<(stdint\.h|linux/types\.h)>')
if [ -n "$out" ]; then
	echo "$out" | sed 's/$/  (guest ABI includes more than fixed-width types)/'
	bad=1
fi
exit "$bad"
