#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR MIT
# The library as others install it (API.md, "Installed use"):
#  1. a fresh, test-free configuration of the source tree is installed into
#     a DESTDIR: exactly <includedir>/dpidx/*.h and dpidx.pc, nothing else;
#     BUILDDIR (the configuration under test, benchmark included where
#     configured) would install nothing else either;
#  2. tests/test_api.c, written only from API.md, is built with nothing but
#     `$CC prog.c $(pkg-config --cflags --libs dpidx)` against that DESTDIR,
#     for the default encoding and every override, and run;
#  3. a throwaway meson project with the source tree as subprojects/dpidx
#     builds the same program through `dependency('dpidx')` and runs it.
#   install_test.sh SRCDIR BUILDDIR OUTDIR ENCODING...
# Exits 77 (meson: skipped) only when meson, ninja or pkg-config is missing.
set -eu
src=$1; builddir=$2; out=$3; shift 3
for tool in meson ninja pkg-config; do
	command -v "$tool" >/dev/null 2>&1 && continue
	echo "install_test: $tool not found: skipped"
	exit 77
done
cc=${CC:-cc}
rm -rf "$out"
mkdir -p "$out"
dest=$out/destdir

fail() { echo "install_test: $*" >&2; exit 1; }

# The configuration under test (tests and, in some, bench/ built) would
# install the headers and dpidx.pc only: no test or benchmark binary.
stray=$(meson introspect "$builddir" --installed | python3 -c '
import json, re, sys
for dst in json.load(sys.stdin).values():
	if not re.search(r"/include/dpidx(/[a-z0-9_]+\.h)?$|/pkgconfig/dpidx\.pc$", dst):
		print(dst)')
[ -z "$stray" ] || fail "$builddir would install: $stray"

# 1. Install.  Nothing needs building: the .pc is written at setup, and the
# headers are sources, so --no-rebuild installs without compiling anything.
# A prefix outside the compiler's default paths, so that only dpidx.pc's
# Cflags can find the headers (under /usr, -I/usr/include is a default).
prefix=/opt/dpidx
meson setup "$out/build" "$src" --prefix=$prefix -Dbench=false \
	-Dkernel_tests=disabled -Dfuzz=disabled >"$out/setup.log" 2>&1 ||
	{ cat "$out/setup.log"; fail "meson setup failed"; }
meson install -C "$out/build" --destdir "$dest" --no-rebuild \
	>"$out/install.log" 2>&1 || { cat "$out/install.log"; fail "meson install failed"; }
inc=$(meson introspect "$out/build" --buildoptions |
	python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "includedir"))')
libdir=$(meson introspect "$out/build" --buildoptions |
	python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "libdir"))')
case $inc in /*) ;; *) inc=$prefix/$inc ;; esac
case $libdir in /*) ;; *) libdir=$prefix/$libdir ;; esac
pcdir=$dest$libdir/pkgconfig
[ -f "$pcdir/dpidx.pc" ] || fail "no $pcdir/dpidx.pc"
[ -f "$dest$inc/dpidx/dpidx.h" ] || fail "no $dest$inc/dpidx/dpidx.h"
for h in "$src"/include/dpidx/*.h; do
	cmp -s "$h" "$dest$inc/dpidx/${h##*/}" || fail "${h##*/} not installed as is"
done
stray=$(find "$dest" ! -type d | cut -c $((${#dest} + 1))- | {
	grep -v -x -e "$inc/dpidx/[a-z0-9_]*\.h" -e "$libdir/pkgconfig/dpidx\.pc" || true; })
[ -z "$stray" ] || fail "installs more than the headers and dpidx.pc: $stray"

# 2. pkg-config alone.  The .pc says prefix=$prefix, the files lie under
# $dest: PKG_CONFIG_SYSROOT_DIR is pkg-config's own DESTDIR relocation (it
# prefixes every -I/-L; liburcu's and numa's, under $dest, do not exist and
# are harmless, their real ones being the compiler's defaults).
# --define-prefix cannot do it: it guesses prefix as the .pc's directory
# minus two levels, .../lib under Debian's multiarch libdir, and rewrites
# liburcu's prefix too.
export PKG_CONFIG_PATH="$pcdir"
export PKG_CONFIG_SYSROOT_DIR="$dest"
flags=$(pkg-config --cflags --libs dpidx) || fail "pkg-config dpidx failed"
case " $flags " in
*" -I$dest$inc "*) ;;
*) fail "pkg-config --cflags dpidx does not point into the DESTDIR: $flags" ;;
esac
n=0
for enc in default "$@"; do
	def=
	[ "$enc" = default ] || def="-DDPIDX_ENCODING_$(echo "$enc" | tr '[:lower:]' '[:upper:]')"
	bin="$out/pc-$enc"
	# shellcheck disable=SC2086
	$cc -std=gnu11 -Wall -Wextra -Werror -O2 $def "$src/tests/test_api.c" \
		-o "$bin" $flags
	if [ "$enc" = default ]; then "$bin"; else "$bin" "$enc"; fi
	n=$((n + 1))
done
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR

# 3. Subproject: no wrap file, dependency('dpidx') resolved through the
# subproject's meson.override_dependency(); forced, so that a dpidx
# installed on this machine cannot stand in for it.
proj=$out/consumer
mkdir -p "$proj/subprojects"
ln -s "$(cd "$src" && pwd)" "$proj/subprojects/dpidx"
cp "$src/tests/test_api.c" "$proj/prog.c"
{
	echo "project('consumer', 'c', default_options : ['c_std=gnu11', 'warning_level=2', 'werror=true'])"
	echo "dpidx = dependency('dpidx')"
	echo "executable('prog-default', 'prog.c', dependencies : dpidx)"
	for enc in "$@"; do
		echo "executable('prog-$enc', 'prog.c', dependencies : dpidx," \
			"c_args : '-DDPIDX_ENCODING_$(echo "$enc" | tr '[:lower:]' '[:upper:]')')"
	done
} >"$proj/meson.build"
meson setup "$proj/build" "$proj" --force-fallback-for=dpidx \
	>"$out/consumer-setup.log" 2>&1 ||
	{ cat "$out/consumer-setup.log"; fail "consumer: meson setup failed"; }
grep -q "Subproject dpidx finished" "$out/consumer-setup.log" ||
	{ cat "$out/consumer-setup.log"; fail "consumer: dpidx not taken from the subproject"; }
# The subproject builds the library only: the consumer's targets are all.
targets=$(meson introspect "$proj/build" --targets |
	python3 -c 'import json,sys; print(" ".join(sorted(t["name"] for t in json.load(sys.stdin))))')
want=$(for enc in default "$@"; do echo "prog-$enc"; done | sort | tr '\n' ' ')
[ "$targets " = "$want" ] || fail "consumer builds more than its programs: $targets"
ninja -C "$proj/build" >"$out/consumer-build.log" 2>&1 ||
	{ cat "$out/consumer-build.log"; fail "consumer: build failed"; }
for enc in default "$@"; do
	if [ "$enc" = default ]; then "$proj/build/prog-$enc"
	else "$proj/build/prog-$enc" "$enc"; fi
	n=$((n + 1))
done
echo "install_test: installed headers + dpidx.pc only; $n API.md builds (pkg-config, subproject) ran clean"
