#!/bin/sh
# SPDX-License-Identifier: MIT
# Print the distinct module file names of a Hintvisor config (image=,
# initrd=, disk=, and the first word of module="NAME text"), one per line.
set -eu
sed -e 's/#.*//' "$1" | tr ' \t' '\n\n' |
	sed -n -e 's/^\(image\|initrd\|disk\)=//p' -e 's/^module="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' |
	awk '!seen[$0]++'
