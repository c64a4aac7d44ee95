#!/usr/bin/env bash
# devtools/bench/run-cluster.sh — issue 14's benchmark (pods join the mesh) in the API-server stand-in; run by hand,
# never in CI.
#
#   devtools/bench/run-cluster.sh [bench options]    e.g. --cold-rounds 20, --warm-rounds 8, --only pods, --results -
#   devtools/bench/run-cluster.sh --help
#
# Needs root (the stand-in runs each pod in its own network namespace), nsenter, ip, ss and ldd; installs wrk when
# missing (apt-get). Publishes the NativeAOT gateway (src/MeshDev.Gateway, linux-x64), builds
# devtools/bench/MeshDev.ClusterBench in Release and runs it; the report is printed and written to
# devtools/bench/cluster-results.md. Traffic stays on this machine: loopback, and veths inside namespaces the stand-in
# made. Everything started here is stopped at the end, on failure and on Ctrl+C / SIGTERM: the bench stops its mesh
# (and the laptop services it launched) and the stand-in (every pod's processes, its namespaces); if the bench itself
# dies, what it recorded is killed and removed from here.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
root=$(cd "$here/../.." && pwd)
project="$here/MeshDev.ClusterBench/MeshDev.ClusterBench.csproj"
bench_dll="$here/MeshDev.ClusterBench/bin/Release/net10.0/MeshDev.ClusterBench.dll"


install_wrk() {
    command -v wrk >/dev/null 2>&1 && return 0
    echo "installing wrk with apt-get"
    as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq wrk || {
        echo "error: could not install wrk" >&2
        exit 1
    }
}

# Kills what still runs in the stand-in's network namespaces (its node's and its pods', named with the recorded
# prefix) and deletes them.
remove_namespaces() {
    local prefix name
    prefix=$(head -n1 "$1")
    [ -n "$prefix" ] || return 0
    while read -r name _; do
        [[ "$name" == "$prefix"* ]] || continue
        ip netns pids "$name" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
        ip netns delete "$name" 2>/dev/null && echo "removed leftover network namespace $name"
    done < <(ip netns list 2>/dev/null)
}

tmp=""
bench_pid=""
cleanup() {
    trap - EXIT INT TERM HUP
    stop_bench 30 # up to 30 s for an orderly stop (the stand-in's pods included)
    if [ -n "$tmp" ] && [ -d "$tmp" ]; then
        if [ -f "$tmp/mesh-pids-dir" ]; then
            for file in "$(head -n1 "$tmp/mesh-pids-dir")"/*.pid; do
                [ -f "$file" ] && kill_recorded "$file"
            done
        fi
        [ -f "$tmp/netns-prefix" ] && remove_namespaces "$tmp/netns-prefix"
        rm -rf "$tmp"
    fi
}
on_signal() {
    echo "run-cluster.sh: interrupted, stopping the bench" >&2
    cleanup
    exit 130
}
trap cleanup EXIT
trap on_signal INT TERM HUP

case " $* " in
    *" --help "* | *" -h "*) ;;
    *)
        if [ "$(id -u)" -ne 0 ]; then
            echo "error: run as root: the stand-in runs pods in network namespaces" >&2
            exit 1
        fi
        install_wrk
        echo "publishing the NativeAOT gateway (src/MeshDev.Gateway, Release, linux-x64)"
        dotnet publish "$root/src/MeshDev.Gateway" -c Release -r linux-x64 -nologo -v quiet
        ;;
esac

echo "building $project (Release)"
dotnet build -c Release -nologo -v quiet "$project"

run_bench meshdev-cluster-bench "$@"
