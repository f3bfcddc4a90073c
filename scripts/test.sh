#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: unit, integration (real processes on
# loopback), end-to-end with the official openai npm client, then the unit and integration tests
# again under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

if [ -f tests/e2e/package-lock.json ]; then
  (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
fi

echo "== release build"
scripts/build.sh release
echo "== release tests"
ctest --preset release

echo "== asan build"
scripts/build.sh asan
echo "== asan tests (unit, integration)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --preset asan -L 'unit|integration'

echo "== fuzz (libFuzzer, ASan+UBSan, 20 s per target over the seed corpora)"
scripts/fuzz.sh 20
