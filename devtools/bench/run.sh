#!/usr/bin/env bash
# devtools/bench/run.sh — the MeshDev benchmark, run by hand (never in CI).
#
#   devtools/bench/run.sh [bench options]      e.g. --rounds 30, --duration 15, --only warm, --results -
#   devtools/bench/run.sh --help
#
# Installs wrk and nginx when missing (apt-get), builds devtools/bench/MeshDev.Bench in Release, runs it. The report
# is printed and written to devtools/bench/results.md. Traffic goes to 127.0.0.1 only. Everything started here is
# stopped at the end, on failure and on Ctrl+C / SIGTERM: the bench stops its own children and the mesh's service
# instances; if the bench itself dies, the process groups it recorded are killed from here.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
project="$here/MeshDev.Bench/MeshDev.Bench.csproj"
bench_dll="$here/MeshDev.Bench/bin/Release/net10.0/MeshDev.Bench.dll"


install_tools() {
    local missing=()
    command -v wrk >/dev/null 2>&1 || missing+=(wrk)
    command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
    # --only grpc: h2load; --only tcp: g++ (the load tool is compiled) and nginx's stream module (a package on Debian).
    command -v h2load >/dev/null 2>&1 || missing+=(h2load)
    command -v g++ >/dev/null 2>&1 || missing+=(g++)
    ls /usr/lib/nginx/modules/ngx_stream_module.so >/dev/null 2>&1 || nginx -V 2>&1 | grep -q -- '--with-stream ' || missing+=(nginx-stream)
    [ ${#missing[@]} -eq 0 ] && return 0

    echo "installing ${missing[*]} with apt-get"
    # Keep the package from starting the system-wide nginx (port 80): the bench runs its own, on a loopback port.
    # Debian's policy-rc.d interface; only when no policy is in place already, removed right after.
    local policy=/usr/sbin/policy-rc.d added_policy=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null && as_root chmod 755 "$policy" && added_policy=1
    fi
    local packages=() status=0
    for tool in "${missing[@]}"; do
        case $tool in
            wrk) packages+=(wrk) ;;
            nginx) packages+=(nginx-light) ;; # the smallest build; Debian 13 has no nginx-light, see the fallback below
            h2load) packages+=(nghttp2-client) ;;
            g++) packages+=(g++) ;;
            nginx-stream) packages+=(libnginx-mod-stream) ;;
        esac
    done
    as_root apt-get update -qq || status=$?
    if [ $status -eq 0 ]; then
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${packages[@]}" \
            || DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${packages[@]/nginx-light/nginx}" \
            || status=$?
    fi
    [ $added_policy -eq 1 ] && as_root rm -f "$policy"
    if [ $status -ne 0 ]; then
        echo "error: could not install ${missing[*]}" >&2
        exit 1
    fi
}

tmp=""
bench_pid=""
cleanup() {
    trap - EXIT INT TERM HUP
    stop_bench 15 # up to 15 s for an orderly stop
    if [ -n "$tmp" ] && [ -d "$tmp" ]; then
        for file in "$tmp/children.pids" "$tmp"/.meshdev/pids/*.pid; do
            [ -f "$file" ] && kill_recorded "$file"
        done
        rm -rf "$tmp"
    fi
}
on_signal() {
    echo "run.sh: interrupted, stopping the bench" >&2
    cleanup
    exit 130
}
trap cleanup EXIT
trap on_signal INT TERM HUP

case " $* " in
    *" --help "* | *" -h "*) ;;
    *) install_tools ;;
esac

echo "building $project (Release)"
dotnet build -c Release -nologo -v quiet "$project"

run_bench meshdev-bench "$@"
