#!/usr/bin/env bash
# Builds the libFuzzer targets (preset `fuzz`, clang) and runs each over its seed corpus for a
# bounded time under ASan+UBSan, one after another. Fails if any target crashes, leaks, trips UBSan
# or breaks one of its properties; the input is kept under build/fuzz-artifacts/<target>/.
# Usage: scripts/fuzz.sh [seconds-per-target] [target...]   (default 30 s, every target)
# Targets: sse_parser body_framer completion_request event_relay config http_request
# See docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
shift || true
all=(sse_parser body_framer completion_request event_relay config http_request)
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=("${all[@]}")

bins=()
for t in "${targets[@]}"; do
  [ -d "tests/fuzz/corpus/$t" ] || { echo "fuzz.sh: unknown target '$t' (one of: ${all[*]})" >&2; exit 2; }
  bins+=("${t}_fuzz")
done
scripts/build.sh fuzz "${bins[@]}"

# libFuzzer is chatty: its whole output goes to build/fuzz-artifacts/<target>.log, the summary
# (and, on failure, the end of the log with the report and stack) to the terminal.
mkdir -p build/fuzz-artifacts
failed=()
for t in "${targets[@]}"; do
  log="build/fuzz-artifacts/$t.log"
  echo "== fuzz $t (${seconds}s, log $log)"
  if tests/fuzz/run_fuzz_target.sh "build/fuzz/tests/fuzz/${t}_fuzz" tests/fuzz "$t" "$seconds" \
      >"$log" 2>&1; then
    grep -E '^(#[0-9]+[[:space:]]+DONE|stat::(number_of_executed_units|average_exec_per_sec))' "$log" || true
  else
    tail -n 60 "$log"
    failed+=("$t")
  fi
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz.sh: FAILED: ${failed[*]} (inputs under build/fuzz-artifacts/)" >&2
  exit 1
fi
echo "fuzz.sh: ${#targets[@]} target(s), no crash, leak or UBSan report"
