#!/usr/bin/env bash
# Quick start: installs what is missing, builds, and runs Switchyard on 127.0.0.1:8080 in front of
# two simulated engines (127.0.0.1:9101 and :9102) using the embedded demo configuration.
# Ctrl-C stops everything this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release switchyard
bin=build/release/src/app/switchyard

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

for port in 9101 9102; do
  "$bin" sim --listen "127.0.0.1:$port" --ttft-ms 150 --itl-ms 40 --slots 8 --tokens 24 >/dev/null &
  pids+=($!)
done

cat <<MSG
Switchyard is starting on http://127.0.0.1:8080 with two simulated engines.
Try, in another terminal:
  curl -N http://127.0.0.1:8080/v1/chat/completions -H 'Content-Type: application/json' \\
    -d '{"model":"sim-model","stream":true,"messages":[{"role":"user","content":"Hello"}]}'
MSG
"$bin" serve &
pids+=($!)
wait "${pids[-1]}"
