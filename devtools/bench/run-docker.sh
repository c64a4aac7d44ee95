#!/usr/bin/env bash
# devtools/bench/run-docker.sh — the Docker activation benchmark of MeshDev, run by hand (never in CI).
#
#   devtools/bench/run-docker.sh [bench options]      e.g. --rounds 30, --warmup 3, --replay 0, --results -
#   devtools/bench/run-docker.sh --help
#
# Needs the Docker engine that devtools/setup.sh starts (dockerd --bridge=none --iptables=false). Builds
# devtools/bench/MeshDev.DockerBench in Release and runs it; the report is printed and written to
# devtools/bench/docker-results.md. Traffic goes to 127.0.0.1 only. Everything started here is removed at the end, on
# failure and on Ctrl+C / SIGTERM: the bench removes its containers and stops its mesh; if the bench itself dies, the
# containers carrying the labels it recorded are removed from here.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
project="$here/MeshDev.DockerBench/MeshDev.DockerBench.csproj"
bench_dll="$here/MeshDev.DockerBench/bin/Release/net10.0/MeshDev.DockerBench.dll"

# Removes the containers carrying any of the labels listed in a file ("key=value" lines: the bench's run label and
# its mesh's label), as a bench that was killed leaves them.
remove_labelled() {
    command -v docker >/dev/null 2>&1 || return 0
    local label ids
    while read -r label; do
        [ -n "$label" ] || continue
        ids=$(docker ps -aq --filter "label=$label" 2>/dev/null) || continue
        if [ -n "$ids" ]; then
            # shellcheck disable=SC2086 # one id per word
            docker rm -f $ids >/dev/null 2>&1 && echo "removed leftover container(s) labelled $label"
        fi
    done <"$1"
}

tmp=""
bench_pid=""
cleanup() {
    trap - EXIT INT TERM HUP
    stop_bench 30 # up to 30 s for an orderly stop (container removals included)
    if [ -n "$tmp" ] && [ -d "$tmp" ]; then
        [ -f "$tmp/docker-labels" ] && remove_labelled "$tmp/docker-labels"
        rm -rf "$tmp"
    fi
}
on_signal() {
    echo "run-docker.sh: interrupted, stopping the bench" >&2
    cleanup
    exit 130
}
trap cleanup EXIT
trap on_signal INT TERM HUP

echo "building $project (Release)"
dotnet build -c Release -nologo -v quiet "$project"

run_bench meshdev-docker-bench "$@"
