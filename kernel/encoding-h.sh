#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# kernel/encoding-h.sh ENCODING - print the include/dpidx/encoding.h that
# apply-patches.sh (and patches/bisect.sh) put into a kernel tree: the
# encoding mm/ uses and the swap types it reserves, with the fallbacks that
# keep every architecture and configuration building (no #error):
#   direct   x86-64 only, in 4-level and 5-level paging and with a
#            randomized layout (its device-private vmemmap sits beside
#            x86-64's vmemmap, mm/memremap.c).  Elsewhere no place beside
#            vmemmap exists (results/arch-table.md: arm64 and RISC-V have
#            a guard region or vmalloc there), and mm/ takes tag's values,
#            which direct's are, resolved through tag's slot table (stage
#            1: drivers keep requesting a physical range);
#   tag      not on ppc64: its swap offset (37 bits with 64K pages) has
#            no bit between the migration A/D bits and its top, so flat;
#   flat, maple  every architecture.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 ENCODING" >&2; exit 2; }
enc=$1
case $enc in
flat | maple | tag | direct) ;;
*) echo "encoding-h.sh: unknown encoding '$enc' (flat, maple, tag, direct)" >&2; exit 1 ;;
esac
ue=$(echo "$enc" | tr 'a-z' 'A-Z')
# "#define DPIDX_ENCODING_E N": E's line, N its swap types (flat and maple:
# v6's scheme, every kind its own type; tag and direct: the device kinds
# only, migration types shared).
def() {
	local t=3
	case $1 in FLAT | MAPLE) t=6 ;; esac
	printf '#define DPIDX_ENCODING_%s\n#define DPIDX_KERNEL_SWAP_TYPES %s\n' "$1" "$t"
}
cat <<H
/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Written by dpidx's kernel/encoding-h.sh: the encoding mm/ uses ($enc
 * requested), and the swap types it reserves under SWP_PTE_MARKER
 * (DPIDX_<E>_SWAP_TYPES).  The fallbacks are the script's.
 */
#ifndef DPIDX_ENCODING_H
#define DPIDX_ENCODING_H
H
case $enc in
flat | maple)
	def "$ue" ;;
tag)
	printf '#ifdef CONFIG_PPC64\n%s\n#else\n%s\n#endif\n' "$(def FLAT)" "$(def TAG)" ;;
direct)
	printf '#if defined(CONFIG_X86_64)\n%s\n#elif defined(CONFIG_PPC64)\n%s\n#else\n%s\n#endif\n' \
		"$(def DIRECT)" "$(def FLAT)" "$(def TAG)" ;;
esac
echo '#endif'
