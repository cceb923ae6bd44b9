#!/bin/sh
# SPDX-License-Identifier: MIT
# Build a Hintvisor guest kernel from Debian's linux-source-6.1, configured as
# tinyconfig + guest.config + the variant's fragment, cached under
# $HINTVISOR_CACHE by a hash of every input; a cache hit builds nothing.
# Two variants:
#   hinting (default): the patches in series and the guest ABI header
#     (guest-abi/hintvisor.h, installed as arch/x86/include/asm/hintvisor_abi.h:
#     one source of truth), + hinting.config;
#   stock (--stock): the same sources without the series, + stock.config
#     (the virtio balloon with free page reporting), in a tree of its own.
# Usage: linux-guest-patch/build-kernel.sh [--stock] OUTDIR
#        (writes OUTDIR/bzImage, OUTDIR/linux.config)
set -eu

die() { echo "linux: $*" >&2; exit 1; }

variant=hinting
if [ "${1:-}" = --stock ]; then
	variant=stock
	shift
fi
[ $# -eq 1 ] || die "usage: $0 [--stock] OUTDIR"
out=$1

here=$(cd "$(dirname "$0")" && pwd)
self=$here/$(basename "$0")
series=$here/series
patchdir=$here/patches
abi_header=$here/../guest-abi/hintvisor.h
abi_dest=arch/x86/include/asm/hintvisor_abi.h
tarball=/usr/src/linux-source-6.1.tar.xz
topdir=linux-source-6.1
jobs=${HINTVISOR_JOBS:-2}

[ -f "$tarball" ] || die "$tarball missing: install linux-source-6.1 (scripts/deps.sh)"
[ -f "$series" ] || die "$series missing"
[ -f "$abi_header" ] || die "$abi_header missing"

# The patch file names listed in series, in order (comments and blanks dropped).
patches=$(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e 's/^[[:space:]]*//' "$series" | grep -v '^$' || true)
for p in $patches; do
	[ -f "$patchdir/$p" ] || die "series lists $p, but $patchdir/$p does not exist"
done
# Per variant: the fragments merged over tinyconfig (in this order), the
# patches, and the cache names of the result and of the source tree. The
# stock tree is named so that the hinting variant's clean-up of stale trees
# (linux-src-*, also in older checkouts) leaves it alone.
if [ $variant = stock ]; then
	fragments="$here/guest.config $here/stock.config"
	patches=""
	result_prefix=linux-stock
	tree_prefix=linux-stock-src
else
	fragments="$here/guest.config $here/hinting.config"
	result_prefix=linux
	tree_prefix=linux-src
fi
for f in $fragments; do
	[ -f "$f" ] || die "$f missing"
done

# Two keys. The source tree (1.5 GB with objects) depends only on the tarball
# and the patches (names in order, and contents; not the comments of series),
# so a change of guest.config reuses it and rebuilds incrementally. The
# result depends on everything, this script included.
tree_format=2 # bump when the unpacking or patching below changes
if [ $variant = stock ]; then
	patch_ids="stock: no patches"
else
	patch_ids=$(
		for p in $patches; do
			printf '%s ' "$p"
			sha256sum <"$patchdir/$p"
		done
		printf 'abi '
		sha256sum <"$abi_header"
	)
fi
tarball_id=$(sha256sum <"$tarball")
tree_key=$(printf 'tree %s\n%s\n%s\n' "$tree_format" "$tarball_id" "$patch_ids" |
	sha256sum | cut -c1-12)
key=$( {
	echo "$tree_key"
	for f in $fragments; do
		sha256sum <"$f"
	done
	sha256sum <"$self"
	gcc --version | head -n 1
	ld --version | head -n 1
} | sha256sum | cut -c1-12)

root=${HINTVISOR_CACHE:-$HOME/.cache/hintvisor}
case $root in
/*) ;;
*) root=$PWD/$root ;;
esac
dir=$root/$result_prefix-$key
tree=$root/$tree_prefix-$tree_key

# Copy a cached file to OUTDIR unless an identical copy is already there
# (so that make sees an unchanged time stamp).
install_file() {
	if ! cmp -s "$1" "$2"; then
		cp "$1" "$2.tmp.$$"
		mv -f "$2.tmp.$$" "$2"
	fi
}
publish() {
	mkdir -p "$out"
	install_file "$dir/bzImage" "$out/bzImage"
	install_file "$dir/linux.config" "$out/linux.config"
}
cached() { [ -f "$dir/bzImage" ] && [ -f "$dir/linux.config" ]; }

# Cache hit: quiet and fast.
if cached; then
	publish
	exit 0
fi

# ---- build ----------------------------------------------------------------
# Keep the caller's make, compiler and kbuild settings out of the build, and
# make the result reproducible (no host, user, date or build count in it).
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES GNUMAKEFLAGS \
	CC CFLAGS CPPFLAGS LDFLAGS CPATH C_INCLUDE_PATH LIBRARY_PATH \
	ARCH SUBARCH CROSS_COMPILE O KBUILD_OUTPUT KCFLAGS KCPPFLAGS KAFLAGS \
	LOCALVERSION KCONFIG_CONFIG KCONFIG_ALLCONFIG INSTALL_PATH
export LC_ALL=C
export KBUILD_BUILD_USER=hintvisor KBUILD_BUILD_HOST=hintvisor
export KBUILD_BUILD_VERSION=1 KBUILD_BUILD_TIMESTAMP='Thu Jan  1 00:00:00 UTC 1970'

mkdir -p "$root"
# One kernel build at a time: the source tree is shared.
exec 9>"$root/linux.lock"
if ! flock -n 9; then
	echo "linux: waiting for another kernel build to finish ..."
	flock 9
fi
if cached; then
	publish
	exit 0
fi

start=$(date +%s)
# Logs of earlier failed builds go; this one's stays here until it succeeds.
rm -f "$root"/linux-*.log
log=$root/$result_prefix-$key.log
: >"$log"
tmp=""
makepid=""
cleanup() {
	if [ -n "$makepid" ]; then
		# make and everything it started (its own process group).
		kill -s TERM -- "-$makepid" 2>/dev/null || true
	fi
	if [ -n "$tmp" ]; then
		rm -rf "$tmp"
	fi
}
trap 'cleanup; echo "linux: interrupted" >&2; exit 130' HUP INT TERM

fail() {
	cleanup
	echo "linux: build FAILED: $*; last 40 lines of $log:" >&2
	tail -n 40 "$log" >&2
	exit 1
}
elapsed() { echo "$(($(date +%s) - start)) s"; }

# -- the source tree: unpack and patch once, in a temporary directory, then
# move it into place, so that a tree in the cache is always complete.
if [ ! -f "$tree/.hintvisor-tree" ]; then
	# Leftovers of interrupted unpacks.
	rm -rf "$root"/tmp."$tree_prefix"-*
	tmp=$(mktemp -d "$root/tmp.$tree_prefix-$tree_key.XXXXXX")
	echo "linux: unpacking $tarball (a minute or two) ..."
	nice -n 10 tar -xJf "$tarball" -C "$tmp" >>"$log" 2>&1 || fail "cannot unpack $tarball"
	[ -f "$tmp/$topdir/Makefile" ] || fail "$tarball does not unpack into $topdir/"
	for p in $patches; do
		echo "linux: applying $p"
		echo "== patch -p1 < $p" >>"$log"
		patch -p1 --batch --forward --fuzz=0 --no-backup-if-mismatch \
			-d "$tmp/$topdir" -i "$patchdir/$p" >>"$log" 2>&1 ||
			fail "patch $p does not apply"
	done
	if [ $variant = hinting ]; then
		cp "$abi_header" "$tmp/$topdir/$abi_dest"
	fi
	printf 'tarball %s\npatches:\n%s\n' "$tarball_id" "$patches" >"$tmp/$topdir/.hintvisor-tree"
	mv -T "$tmp/$topdir" "$tree"
	rm -rf "$tmp"
	tmp=""
	# Other trees of this variant are stale (another tarball or other
	# patches) and big; they go only now, so that a patch that fails to
	# apply costs nothing.
	for old in "$root"/"$tree_prefix"-*; do
		[ "$old" = "$tree" ] || rm -rf "$old"
	done
fi
for p in "$patchdir"/*.patch "$patchdir"/*/*.patch; do
	[ $variant = hinting ] && [ -f "$p" ] || continue
	name=${p#"$patchdir"/}
	case " $(echo "$patches" | tr '\n' ' ') " in
	*" $name "*) ;;
	*) echo "linux: warning: $name is not listed in series, not applied" >&2 ;;
	esac
done

kmake() {
	nice -n 10 make -C "$tree" ARCH=x86_64 "$@" >>"$log" 2>&1
}

# -- configuration: tinyconfig, the fragments, two olddefconfig passes (some
# options, X86_X2APIC for one, only become visible after the first).
echo "linux: configuring $variant kernel (tinyconfig +$(for f in $fragments; do printf ' %s' "$(basename "$f")"; done))"
rm -f "$tree/.config"
kmake tinyconfig || fail "make tinyconfig"
# shellcheck disable=SC2086
(cd "$tree" && scripts/kconfig/merge_config.sh -m .config $fragments) >>"$log" 2>&1 ||
	fail "merge_config.sh"
kmake olddefconfig || fail "make olddefconfig"
kmake olddefconfig || fail "make olddefconfig (second pass)"

# Every CONFIG_X=value of the fragments must be in the final .config, and
# every "# CONFIG_X is not set" must not have become set.
# shellcheck disable=SC2086
missing=$(
	cat $fragments | grep -E '^CONFIG_[A-Za-z0-9_]+=' | while IFS= read -r line; do
		grep -qxF "$line" "$tree/.config" || echo "  $line (got: $(grep -E "^(# )?${line%%=*}[= ]" "$tree/.config" || echo absent))"
	done
	cat $fragments | sed -n 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set$/\1/p' | while IFS= read -r sym; do
		if grep -q "^$sym=" "$tree/.config"; then
			echo "  # $sym is not set (got: $(grep "^$sym=" "$tree/.config"))"
		fi
	done
)
if [ -n "$missing" ]; then
	echo "linux: options of the fragments that did not make it into .config" >&2
	echo "(a dependency is off, or the name is wrong):" >&2
	echo "$missing" >&2
	exit 1
fi

# -- build, with a progress line every 30 s (the full output is in the log).
echo "linux: building bzImage with -j$jobs (about 6 minutes on 2 idle cores; log: $log)"
# setsid: a process group of its own, so that an interrupt can stop every
# sub-make and compiler at once.
setsid nice -n 10 make -C "$tree" ARCH=x86_64 -j"$jobs" bzImage >>"$log" 2>&1 &
makepid=$!
n=0
while kill -0 "$makepid" 2>/dev/null; do
	sleep 1
	n=$((n + 1))
	if [ $((n % 30)) -eq 0 ]; then
		echo "linux:   $(grep -c '^  CC ' "$log" || true) files compiled, $(elapsed)"
	fi
done
rc=0
wait "$makepid" || rc=$?
makepid=""
[ "$rc" -eq 0 ] || fail "make bzImage exited with $rc"
[ -f "$tree/arch/x86/boot/bzImage" ] || fail "no arch/x86/boot/bzImage"

# -- into the cache (atomically), then to OUTDIR.
tmp=$(mktemp -d "$root/tmp.linux-$key.XXXXXX")
cp "$tree/arch/x86/boot/bzImage" "$tmp/bzImage"
cp "$tree/.config" "$tmp/linux.config"
mv "$log" "$tmp/build.log"
log=$dir/build.log
chmod 0755 "$tmp"
mv -T "$tmp" "$dir"
tmp=""
trap - HUP INT TERM
publish
echo "linux: done in $(elapsed): $dir ($(wc -c <"$dir/bzImage") bytes)"
