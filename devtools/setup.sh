#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine (idempotent; quiet when all is there).
# curl and hey (independent HTTP clients the integration tests drive; hey is Go's client under load), nghttp (nghttp2's
# h2c client: a real HPACK encoder that indexes and Huffman-codes), python3 (runs the TCP echo service of the TCP tests),
# Node.js + npm and tests/js's packages (@grpc/grpc-js: an independent gRPC client), the Docker engine (docker.io,
# started as dockerd without a bridge: containers in tests use host networking, so loopback is their only network),
# busybox-static (the rootfs of the busybox test images), a C toolchain for NativeAOT links (the dotnet-aot test
# image) and Chromium (headless: the dashboard test drives the real browser over the DevTools protocol). The .NET SDK
# is expected on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi

need=()
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v hey >/dev/null 2>&1 || need+=(hey)
command -v nghttp >/dev/null 2>&1 || need+=(nghttp2-client)
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
# NativeAOT links with clang, or gcc when there is no clang.
command -v clang >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 || need+=(clang)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

# tests/js: installed exactly as package-lock.json says, again only when the lock file is newer than what is installed
# (npm ci writes node_modules/.package-lock.json, so its age tells when the last install was).
if [ ! -f tests/js/node_modules/.package-lock.json ] || [ tests/js/package-lock.json -nt tests/js/node_modules/.package-lock.json ]; then
  echo "setup: npm ci in tests/js"
  (cd tests/js && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  touch tests/js/node_modules/.package-lock.json
fi

# The Docker engine: started once, detached so it outlives this script, when its socket does not answer.
if ! $sudo docker version >/dev/null 2>&1; then
  dockerd_log=/tmp/meshdev-dockerd.log
  echo "setup: starting dockerd (--bridge=none --iptables=false, log: $dockerd_log)"
  $sudo setsid nohup dockerd --bridge=none --iptables=false </dev/null >"$dockerd_log" 2>&1 &
  for _ in $(seq 60); do
    $sudo docker version >/dev/null 2>&1 && break
    sleep 0.5
  done
  $sudo docker version >/dev/null 2>&1 || { echo "setup: dockerd did not answer within 30 s; see $dockerd_log" >&2; exit 1; }
fi
if ! docker version >/dev/null 2>&1; then
  echo "setup: dockerd runs, but $(id -un) may not use /var/run/docker.sock; add yourself to the docker group (sudo usermod -aG docker $(id -un)) and log in again" >&2
fi

command -v dotnet >/dev/null 2>&1 || { echo "setup: the .NET 10 SDK is required (dotnet not found on PATH)" >&2; exit 1; }
