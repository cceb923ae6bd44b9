#!/bin/sh
# SPDX-License-Identifier: MIT
# Print the distinct image= names of a Hintvisor config, one per line.
set -eu
sed -e 's/#.*//' "$1" | tr ' \t' '\n\n' | sed -n 's/^\(image\|initrd\|disk\)=//p' | awk '!seen[$0]++'
