#!/bin/sh
# SPDX-License-Identifier: MIT
# Build newlib's libc.a (and its headers) for Hintvisor's freestanding code from
# Debian's newlib-source, cache it under $HINTVISOR_CACHE, and point OUTLINK at it.
# Usage: scripts/newlib.sh OUTLINK   (the Makefile runs: scripts/newlib.sh build/newlib)
set -eu

die() { echo "newlib: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 OUTLINK"
out=$1

tarball=/usr/src/newlib/newlib-3.3.0.tar.xz
[ -f "$tarball" ] || die "$tarball missing: install newlib-source (scripts/deps.sh)"

gccinc=$(gcc -print-file-name=include)

# Target flags: must match the objects they are linked with (see KCFLAGS in
# the Makefile). -fpic, default code model: the same objects go into a static
# ELF and into a -shared EFI application built by gnu-efi.
target_cflags="-O2 -g -ffreestanding -fpic -fvisibility=hidden -mno-red-zone \
-mgeneral-regs-only -fno-stack-protector -fcf-protection=none -isystem $gccinc"

config_flags="--target=x86_64-elf --disable-multilib \
--disable-newlib-supplied-syscalls --enable-newlib-io-long-long \
--enable-newlib-io-c99-formats --disable-newlib-io-float \
--enable-newlib-reent-small --enable-newlib-retargetable-locking \
--enable-lite-exit --enable-newlib-nano-malloc"

# Floating-point objects that cannot be compiled with -mgeneral-regs-only.
# (Do not add --enable-newlib-nano-formatted-io: in 3.3.0 it mishandles
# %zu, %llx and %hhx.)
rm_stdlib="__adjust __exp10 __ten_mu atof atoff dtoa mprec strtod wcstod \
drand48 erand48 ecvtbuf efgcvt"
rm_time="difftime"

# Cache key: the source, every flag, and this script's own content.
key=$( {
	sha256sum <"$tarball"
	wc -c <"$tarball"
	echo "$config_flags"
	echo "$target_cflags"
	echo "stdlib: $rm_stdlib"
	echo "time: $rm_time"
	sha256sum <"$0"
} | sha256sum | cut -c1-12)

root=${HINTVISOR_CACHE:-$HOME/.cache/hintvisor}
case $root in
/*) ;;
*) root=$PWD/$root ;;
esac
dir=$root/newlib-$key

# Point OUTLINK at the cache directory (replacing a stale link atomically).
link() {
	if [ -e "$out" ] && [ ! -L "$out" ]; then
		die "$out exists and is not a symlink; remove it"
	fi
	mkdir -p "$(dirname "$out")"
	ln -sfn "$dir" "$out.tmp.$$"
	mv -Tf "$out.tmp.$$" "$out"
}

if [ -f "$dir/lib/libc.a" ] && [ -d "$dir/include" ]; then
	link
	exit 0
fi

# ---- build ----------------------------------------------------------------
# Keep the caller's make and compiler settings out of newlib's build.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES GNUMAKEFLAGS \
	CC CFLAGS CPPFLAGS LDFLAGS CPATH C_INCLUDE_PATH LIBRARY_PATH
export LC_ALL=C

mkdir -p "$root"
# Leftovers of failed or killed builds older than a day.
find "$root" -maxdepth 1 -name 'tmp.newlib-*' -mmin +1440 -exec rm -rf {} +
tmp=$(mktemp -d "$root/tmp.newlib-$key.XXXXXX")
log=$tmp/build.log
trap 'rm -rf "$tmp"; exit 130' HUP INT TERM
start=$(date +%s)
echo "newlib: building (about 2 minutes) ..."

# Drop the objects of $2 (a list of base names) from the Makefile.in $1;
# fail if one of them is not there (the source changed under us).
drop_objs() {
	for o in $2; do
		grep -q "lib_a-$o\.\$(OBJEXT)" "$1" || { echo "no $o in $1"; return 1; }
		sed -i "s/lib_a-$o\.\$(OBJEXT)//g" "$1"
	done
}

build() {
	mkdir "$tmp/src" "$tmp/build" "$tmp/out" "$tmp/out/lib"
	tar -xJf "$tarball" -C "$tmp/src"
	set -- "$tmp"/src/*/
	if [ $# -ne 1 ] || [ ! -d "$1" ]; then
		echo "unexpected tarball layout"
		return 1
	fi
	src=${1%/}
	# Reproducible objects, and debug info that names /usr/src/newlib
	# rather than this temporary directory (not part of the cache key).
	prefix_map="-ffile-prefix-map=$tmp/src/=/usr/src/newlib/ \
-ffile-prefix-map=$tmp/build/=/usr/src/newlib/build/"
	drop_objs "$src/newlib/libc/stdlib/Makefile.in" "$rm_stdlib"
	drop_objs "$src/newlib/libc/time/Makefile.in" "$rm_time"

	cd "$tmp/build"
	# shellcheck disable=SC2086 # config_flags is a word list
	"$src/configure" $config_flags --prefix=/nonexistent \
		CC_FOR_TARGET="gcc -nostdinc" \
		AR_FOR_TARGET=ar AS_FOR_TARGET=as LD_FOR_TARGET=ld \
		NM_FOR_TARGET=nm RANLIB_FOR_TARGET=ranlib \
		OBJCOPY_FOR_TARGET=objcopy OBJDUMP_FOR_TARGET=objdump \
		READELF_FOR_TARGET=readelf STRIP_FOR_TARGET=strip \
		CFLAGS_FOR_TARGET="$target_cflags $prefix_map"
	make -j2 configure-target-newlib
	make -j2 -C x86_64-elf/newlib stmp-targ-include
	make -j2 -C x86_64-elf/newlib/libc AR_FLAGS=rc

	# Headers as "make install" lays them out: the generic ones, then the
	# configured machine overrides and newlib.h from targ-include.
	cp -R "$src/newlib/libc/include" "$tmp/out/include"
	cp -R x86_64-elf/newlib/targ-include/. "$tmp/out/include/"
	cp x86_64-elf/newlib/libc/libc.a "$tmp/out/lib/libc.a"
	ranlib "$tmp/out/lib/libc.a"
	[ -f "$tmp/out/include/newlib.h" ] || { echo "newlib.h not installed"; return 1; }
	for o in $rm_stdlib $rm_time; do
		if ar t "$tmp/out/lib/libc.a" | grep -qx "lib_a-$o.o"; then
			echo "lib_a-$o.o still in libc.a"
			return 1
		fi
	done
}

# Not "if ! build": that would disable set -e inside build.
set +e
(set -e; build) >"$log" 2>&1
rc=$?
set -e
if [ "$rc" -ne 0 ]; then
	rm -rf "$tmp/src" "$tmp/build" "$tmp/out"
	echo "newlib: build FAILED; last 30 lines of $log:" >&2
	tail -n 30 "$log" >&2
	exit 1
fi

# Install atomically; a concurrent build may have won the race.
mv "$log" "$tmp/out/build.log"
if ! mv -T "$tmp/out" "$dir" 2>/dev/null; then
	[ -f "$dir/lib/libc.a" ] || die "could not install into $dir"
fi
rm -rf "$tmp"
trap - HUP INT TERM
link
echo "newlib: done in $(($(date +%s) - start)) s: $dir"
