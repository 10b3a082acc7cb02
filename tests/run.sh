#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR MIT
#
# The full test suite, from a fresh Debian 12 machine: installs what it
# needs, builds every configuration and runs every suite in each.
#
#   gcc    gcc, all suites + valgrind memcheck + the kernel suite (module
#          build, QEMU boot, checkpatch) + the instruction-count regression
#   clang  clang, all suites + the libFuzzer target
#   asan   clang, ASan + UBSan, all suites + the fuzzer
#   tsan   clang, TSan (RCU grace periods annotated in compat.h)
#
#   tests/run.sh [CONFIG...]      default: all four
#
# Ends with one line "N passed, N failed, N skipped"; exits non-zero on any
# failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

bash "$root/tests/install-deps.sh"

configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(gcc clang asan tsan)

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1

setup() {	# NAME CC MESON-ARGS...
	local name=$1 compiler=$2 dir=$root/build/test-$1 cxx=g++
	shift 2
	[ "$compiler" = clang ] && cxx=clang++
	local log=$root/build/setup-$name.log
	mkdir -p "$root/build"
	if [ -f "$dir/build.ninja" ]; then
		meson setup --reconfigure "$dir" "$@" >"$log" 2>&1 || { cat "$log"; return 1; }
	else
		CC=$compiler CXX=$cxx meson setup "$dir" "$@" >"$log" 2>&1 || { cat "$log"; return 1; }
	fi
	echo "== $name: building"
	ninja -C "$dir" -j2 >/dev/null || ninja -C "$dir" -j1
}

status=0
for c in "${configs[@]}"; do
	case $c in
	gcc)	setup gcc gcc -Dkernel_tests=enabled -Dbench=true ;;
	clang)	setup clang clang -Dkernel_tests=disabled -Dbench=true -Dfuzz=enabled ;;
	asan)	setup asan clang -Dkernel_tests=disabled -Dbench=false -Dfuzz=enabled \
			-Db_sanitize=address,undefined -Db_lundef=false ;;
	tsan)	setup tsan clang -Dkernel_tests=disabled -Dbench=false \
			-Db_sanitize=thread -Db_lundef=false ;;
	*)	echo "tests/run.sh: unknown configuration '$c' (gcc, clang, asan, tsan)" >&2
		exit 2 ;;
	esac
	echo "== $c: testing"
	meson test -C "$root/build/test-$c" --num-processes 2 --print-errorlogs || status=1
done

python3 - "$root" "${configs[@]}" <<'PY'
import json, sys, os
root, configs = sys.argv[1], sys.argv[2:]
passed = failed = skipped = 0
for c in configs:
    log = os.path.join(root, 'build', 'test-' + c, 'meson-logs', 'testlog.json')
    if not os.path.exists(log):
        failed += 1
        print(f'{c}: no test log')
        continue
    for line in open(log):
        r = json.loads(line)['result']
        if r in ('OK', 'EXPECTEDFAIL'):
            passed += 1
        elif r == 'SKIP':
            skipped += 1
        else:
            failed += 1
            print(f"{c}: {json.loads(line)['name']}: {r}")
print(f'{passed} passed, {failed} failed, {skipped} skipped')
sys.exit(1 if failed else 0)
PY
summary=$?
[ $status -eq 0 ] && [ $summary -eq 0 ]
