#!/usr/bin/env bash
# Installs the Debian 12 packages Switchyard needs to build, test and benchmark.
# Safe to run again: it only installs what is missing. Works as root, or through sudo.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git ca-certificates curl procps
  libboost1.81-dev libssl-dev libsimdjson-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
  libcli11-dev libexpected-dev libxxhash-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  nginx-light haproxy
  clang libclang-rt-14-dev
)
# Node.js and npm run the end-to-end tests with the official openai client;
# a machine that already has a node on PATH keeps it.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then as_root=(); else as_root=(sudo); fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -q
"${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
