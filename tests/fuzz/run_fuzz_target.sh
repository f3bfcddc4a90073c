#!/usr/bin/env bash
# Runs one libFuzzer target over its seed corpus for a bounded time, under ASan+UBSan (built in).
# Usage: run_fuzz_target.sh <binary> <tests/fuzz dir> <name> <seconds> [extra libFuzzer flags...]
#
# The checked-in corpus is only read: inputs libFuzzer finds go to a temporary directory that is
# removed afterwards, so a CI run never dirties the tree. A crash, leak, UBSan report, timeout
# (10 s per input) or RSS over 2 GiB fails the run; the offending input is kept under
# $SY_FUZZ_ARTIFACTS/<name>/ (default build/fuzz-artifacts) for `<binary> <file>` to replay.
set -euo pipefail
bin="$1" dir="$2" name="$3" seconds="$4"
shift 4
corpus="$dir/corpus/$name"
artifacts="${SY_FUZZ_ARTIFACTS:-$PWD/build/fuzz-artifacts}/$name"
mkdir -p "$artifacts"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
      -artifact_prefix="$artifacts/")
if [ -f "$dir/dict/$name.dict" ]; then args+=(-dict="$dir/dict/$name.dict"); fi
# halt_on_error makes a UBSan report fatal even for checks built to recover.
UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" \
  "$bin" "${args[@]}" "$@" "$work" "$corpus"
