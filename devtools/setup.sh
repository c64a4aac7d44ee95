#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine (idempotent; quiet when all is there).
# curl (an independent HTTP client the integration tests drive), python3 (runs the TCP echo service of the TCP tests),
# Node.js + npm and tests/js's packages (@grpc/grpc-js: an independent gRPC client). The .NET SDK is expected on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
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

command -v dotnet >/dev/null 2>&1 || { echo "setup: the .NET 10 SDK is required (dotnet not found on PATH)" >&2; exit 1; }
