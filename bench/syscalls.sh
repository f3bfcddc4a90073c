#!/usr/bin/env bash
# System calls of `switchyard serve` per relayed token, counted by perf's syscall tracepoints
# while one `switchyard bench` run relays a load from `switchyard sim`. What it prints: recv calls
# that brought bytes, recv calls that found nothing (EAGAIN), sendmsg, epoll_ctl and epoll_wait,
# each per token. Needs perf (Debian's linux-perf) and root or kernel.perf_event_paranoid <= 1.
#
# Usage: bench/syscalls.sh [BINARY] [ITL_MS] [CONCURRENCY] [REQUESTS] [TOKENS]
#   engine pace:  bench/syscalls.sh build/release/src/app/switchyard 20 256 512 100
#   no delay:     bench/syscalls.sh build/release/src/app/switchyard 0 64 128 2000
set -euo pipefail
bin="$(realpath "${1:-build/release/src/app/switchyard}")"
itl="${2:-20}" concurrency="${3:-256}" requests="${4:-512}" tokens="${5:-100}"
dir="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
cd "$dir"
ulimit -n 20000

port_of() {  # the port a switchyard process printed in its "listening" log line
  for _ in $(seq 100); do
    local p
    p="$(grep -o '"event":"listening","port":[0-9]*' "$1" 2>/dev/null | head -1 | grep -o '[0-9]*$' || true)"
    if [ -n "$p" ]; then echo "$p"; return 0; fi
    sleep 0.1
  done
  echo "no listening line in $1" >&2
  return 1
}

"$bin" sim --listen 127.0.0.1:0 --ttft-ms 0 --itl-ms "$itl" --slots 4096 --tokens 100000 \
  --max-waiting 20000 >sim.out 2>/dev/null &
pids+=($!)
sim_port="$(port_of sim.out)"
cat >serve.yaml <<EOF
listen: 127.0.0.1:0
threads: 2
log_level: warn
limits: { max_connections: 20000 }
queue: { capacity: 20000, policy: reject }
health: { interval_ms: 1000, healthy_after: 1 }
pools:
  - id: bench
    models: [sim-model]
    engine: openai
    endpoints: [http://127.0.0.1:$sim_port]
    slots: 4096
    ctx_max: 1000000
EOF
"$bin" serve --config serve.yaml >serve.out 2>/dev/null &
serve_pid=$!
pids+=("$serve_pid")
serve_port="$(port_of serve.out)"
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$serve_port/ready" >/dev/null && break
  sleep 0.05
done

perf stat -x, -o perf.csv -p "$serve_pid" \
  -e syscalls:sys_exit_recvfrom --filter 'ret > 0' \
  -e syscalls:sys_exit_recvfrom --filter 'ret == -11' \
  -e syscalls:sys_enter_sendmsg -e syscalls:sys_enter_epoll_ctl -e syscalls:sys_enter_epoll_wait &
perf_pid=$!
sleep 0.3
"$bin" bench --url "http://127.0.0.1:$serve_port" --concurrency "$concurrency" \
  --requests "$requests" --max-tokens "$tokens" --duration-s 120 >bench.out
kill -INT "$perf_pid"
wait "$perf_pid" 2>/dev/null || true

relayed="$(grep -o '"tokens":[0-9]*' bench.out | grep -o '[0-9]*$')"
errors="$(grep -o '"errors":[0-9]*' bench.out | grep -o '[0-9]*$')"
echo "itl ${itl} ms, ${concurrency} streams, ${requests} requests x ${tokens} tokens: ${relayed} tokens relayed, ${errors} errors"
awk -F, -v tokens="$relayed" '
  /syscalls/ {
    n++
    name = (n == 1) ? "recv with bytes" : (n == 2) ? "recv, nothing (EAGAIN)" : $3
    sub(/syscalls:sys_enter_/, "", name)
    printf "  %-24s %10d   per token %.3f\n", name, $1, $1 / tokens
    total += $1
  }
  END { printf "  %-24s %10d   per token %.3f\n", "total", total, total / tokens }
' perf.csv
