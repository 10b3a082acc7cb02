#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR MIT
# Installs, on Debian 12, every package the build, the tests and the
# benchmarks need; does nothing when all are present.
set -euo pipefail
pkgs=(
	meson ninja-build pkg-config gcc g++ clang libclang-rt-14-dev
	liburcu-dev libnuma-dev libbenchmark-dev libbenchmark-tools valgrind
	python3 python3-matplotlib python3-scipy git
	linux-source-6.12 xz-utils
	linux-image-6.12-amd64 linux-headers-6.12-amd64 qemu-system-x86 busybox-static kmod cpio
	flex bison bc libelf-dev libssl-dev ccache patch diffstat
	gcc-aarch64-linux-gnu gcc-powerpc64le-linux-gnu binutils
)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "installing: ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
