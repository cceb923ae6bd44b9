#!/bin/sh
# SPDX-License-Identifier: MIT
# The dependency directions of the source tree, checked on #include lines:
#   - hv/, boot/ and mm/ never include a virtualization back end's headers
#     (asm/vmx*.h, asm/svm*.h): the core reaches VT-x and SVM only through
#     asm/virt.h;
#   - mm/ includes nothing of the hypervisor (no asm/, hv/, boot/): the same
#     files build into the unit tests and the simulator;
#   - the vendor-neutral files of arch/x86_64 include no back end's headers,
#     and the two back ends do not include each other's;
#   - guest-abi/ includes only the C library's fixed-width types.
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
		echo "$out" | sed "s/\$/  ($rule)/"
		bad=1
	fi
}

src() { find "$@" -name '*.[chS]' 2>/dev/null | sort; }

# shellcheck disable=SC2046
check "core includes a back end" 'asm/(vmx|svm)[^/]*\.h' $(src hv boot mm)
# shellcheck disable=SC2046
check "mm/ is plain C" 'asm/|hv/|boot|arch/' $(src mm)
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
out=$(grep -nE '^[[:space:]]*#[[:space:]]*include' guest-abi/*.h |
	grep -vE '<(stdint\.h|linux/types\.h)>')
if [ -n "$out" ]; then
	echo "$out" | sed 's/$/  (guest ABI includes more than fixed-width types)/'
	bad=1
fi
exit "$bad"
