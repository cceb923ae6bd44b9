#!/bin/sh
# SPDX-License-Identifier: MIT
# Make a test disk of the Hintvisor Linux guest: an ext2 image (4 KiB blocks)
# of generated text files (about 7 MiB, sizes chosen around block
# boundaries), optionally with directories of the Linux 6.1 source tree under
# src/ (from Debian's linux-source-6.1), and a SHA256SUMS of every file,
# byte-for-byte the same on every run and machine.
# Usage: linux-guest-patch/build-disk.sh OUTDIR SIZE_MB [NAME [SRCDIR...]]
#   writes OUTDIR/NAME (default disk.img); SRCDIR: e.g. fs net (of the tree)
set -eu

die() { echo "disk: $*" >&2; exit 1; }

[ $# -ge 2 ] || die "usage: $0 OUTDIR SIZE_MB [NAME [SRCDIR...]]"
out=$1 size_mb=$2 name=${3:-disk.img}
shift 2
[ $# -gt 0 ] && shift
case $size_mb in
'' | *[!0-9]*) die "SIZE_MB must be a number of MiB, not '$size_mb'" ;;
esac
tarball=/usr/src/linux-source-6.1.tar.xz
topdir=linux-source-6.1

# Fixed identity and time: the UUID, the directory hash seed, and the time
# of every inode and of the superblock (2024-01-01 00:00:00 UTC).
uuid=4856f1a3-2d5e-4c1b-9a7e-6c0de0d15c01
hash_seed=4856f1a3-2d5e-4c1b-9a7e-6c0de0d15c02
epoch=1704067200

export LC_ALL=C
umask 022
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' HUP INT TERM
root=$tmp/root
mkdir "$root"

# text SEED BYTES: the first BYTES bytes of English-looking numbered lines
# drawn from SEED. Park-Miller generator: every product stays below 2^53, so
# any awk computes the same numbers (mawk and busybox awk checked).
text() {
	awk -v seed="$1" -v bytes="$2" 'BEGIN {
		nw = split("the of and to in a is that for it as was with be by on not he " \
			"this are or his from at which but have an had they you were their " \
			"one all we can her has there been if more when will would who so " \
			"no disk block page sector inode guest host virtio queue cache " \
			"write read sum check", w, " ")
		x = seed % 2147483646 + 1
		total = 0; lineno = 0
		while (total < bytes) {
			x = (x * 48271) % 2147483647
			len = 40 + x % 30
			lineno++
			line = sprintf("%06d", lineno)
			while (length(line) < len) {
				x = (x * 48271) % 2147483647
				line = line " " w[1 + x % nw]
			}
			print line
			total += length(line) + 1
		}
	}' | head -c "$2"
}

# Small and mid-sized files at 1 KiB / 4 KiB block boundaries, and past the
# 12 direct blocks of an inode (48 KiB with 4 KiB blocks).
mkdir "$root/sizes"
for n in 0 1 511 512 513 1023 1024 1025 4095 4096 4097 8192 12288 49151 49152 \
	49153 65536 100000 262144; do
	text "$n" "$n" >"$root/sizes/size-$n.txt"
done
# Single-indirect (up to about 4 MiB) and double-indirect blocks.
mkdir "$root/big"
text 7 1500000 >"$root/big/text-1.5M.txt"
text 11 5000000 >"$root/big/text-5M.txt"
# A directory with enough entries to need several directory blocks, and a
# deep path.
mkdir "$root/many"
i=0
while [ $i -lt 300 ]; do
	text $((1000 + i)) $((200 + i * 7)) >"$root/many/file-with-a-long-name-$i.txt"
	i=$((i + 1))
done
mkdir -p "$root/deep/a/b/c/d/e/f/g/h"
text 99 3000 >"$root/deep/a/b/c/d/e/f/g/h/leaf.txt"

# A slice of the Linux source tree: many small, real text files.
if [ $# -gt 0 ]; then
	[ -f "$tarball" ] || die "$tarball missing: install linux-source-6.1 (scripts/deps.sh)"
	mkdir "$root/src"
	srcdirs=""
	for d in "$@"; do
		srcdirs="$srcdirs $topdir/$d"
	done
	# shellcheck disable=SC2086
	tar -xJf "$tarball" -C "$tmp" $srcdirs || die "cannot extract$srcdirs from $tarball"
	for d in "$@"; do
		mkdir -p "$root/src/$(dirname "$d")"
		mv "$tmp/$topdir/$d" "$root/src/$d"
	done
fi

# Files from outside into /boot (DISK_BOOT_FILES, a list of paths): the
# kernel and initramfs that test-kexec.sh starts again.
for f in ${DISK_BOOT_FILES:-}; do
	[ -f "$f" ] || die "no file $f (DISK_BOOT_FILES)"
	mkdir -p "$root/boot"
	cp "$f" "$root/boot/"
done

(
	cd "$root"
	find . -type f | sed 's|^\./||' | sort | xargs sha256sum >"$tmp/SHA256SUMS"
)
mv "$tmp/SHA256SUMS" "$root/SHA256SUMS"

# Room for the files, ext2's metadata and the guest's 1 MiB write test.
need_kb=$(($(du -sk "$root" | cut -f1) * 11 / 10 + 4096))
[ $((size_mb * 1024)) -ge "$need_kb" ] ||
	die "SIZE_MB $size_mb is too small: the image needs at least $(((need_kb + 1023) / 1024)) MiB"
find "$root" -exec touch -h -d "@$epoch" {} +

# mke2fs's settings from this file, not from the host's /etc/mke2fs.conf.
cat >"$tmp/mke2fs.conf" <<'EOF'
[defaults]
	base_features = sparse_super,large_file,filetype,resize_inode,dir_index
	blocksize = 4096
	inode_size = 256
	inode_ratio = 16384
[fs_types]
	ext2 = {
		inode_size = 256
	}
	small = {
		inode_size = 256
	}
	floppy = {
		inode_size = 256
	}
EOF
: >"$tmp/disk.img"
export E2FSPROGS_FAKE_TIME=$epoch
MKE2FS_CONFIG=$tmp/mke2fs.conf mke2fs -q -F -t ext2 -m 0 -L hv-test -U "$uuid" \
	-E "root_owner=0:0,hash_seed=$hash_seed" \
	-d "$root" "$tmp/disk.img" "${size_mb}M" ||
	die "mke2fs failed"

# mke2fs -d copies each inode's change time from the host file, and touch
# cannot set that: set it (for / and lost+found too) with debugfs.
(
	cd "$root"
	echo "sif / ctime @$epoch"
	echo "sif /lost+found ctime @$epoch"
	find . -mindepth 1 | sed 's|^\./||' | sort | while IFS= read -r f; do
		echo "sif \"/$f\" ctime @$epoch"
	done
) >"$tmp/debugfs.cmds"
debugfs -w -f "$tmp/debugfs.cmds" "$tmp/disk.img" >"$tmp/debugfs.log" 2>&1 ||
	die "debugfs failed: $(tail -n 5 "$tmp/debugfs.log")"
if grep -v '^debugfs' "$tmp/debugfs.log" | grep -q .; then
	die "debugfs: $(grep -v '^debugfs' "$tmp/debugfs.log" | head -n 5)"
fi

mkdir -p "$out"
if ! cmp -s "$tmp/disk.img" "$out/$name"; then
	cp "$tmp/disk.img" "$out/$name.tmp.$$"
	mv -f "$out/$name.tmp.$$" "$out/$name"
fi
