# Sourced by run.sh, run-docker.sh and run-cluster.sh: what the three wrappers share. They set bench_dll before
# run_bench, and keep tmp and bench_pid for their cleanup traps.

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# Kills the process groups listed in a file of "pgid starttime" lines (the bench's children.pids, the mesh's pid files)
# whose leader is still the recorded process, or whose leader is gone (Linux never reuses a pid that is still a group id).
kill_recorded() {
    local pgid start stat rest fields
    while read -r pgid start _; do
        [[ "$pgid" =~ ^[0-9]+$ ]] && [ "$pgid" -gt 1 ] || continue
        if [ -r "/proc/$pgid/stat" ]; then
            stat=$(<"/proc/$pgid/stat") || continue
            rest=${stat##*") "}
            read -r -a fields <<<"$rest"
            [ "${fields[19]:-}" = "$start" ] || continue # the pid now belongs to an unrelated process
        fi
        if kill -KILL -- "-$pgid" 2>/dev/null; then
            echo "killed leftover process group $pgid"
        fi
    done <"$1"
}

# stop_bench SECONDS: asks a bench that still runs to stop (SIGTERM), waits up to SECONDS for it, then kills it.
stop_bench() {
    if [ -n "$bench_pid" ] && kill -0 "$bench_pid" 2>/dev/null; then
        kill -TERM "$bench_pid" 2>/dev/null || true
        for _ in $(seq 1 $(($1 * 10))); do
            kill -0 "$bench_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$bench_pid" 2>/dev/null || true
        wait "$bench_pid" 2>/dev/null || true
    fi
}

# run_bench NAME ARGS...: runs $bench_dll with ARGS and a new scratch directory (MESHDEV_BENCH_TMP, named after NAME),
# then exits with its status. In the background so that a signal reaches the caller's trap at once; the trap asks the
# bench to stop and waits.
run_bench() {
    tmp=$(mktemp -d -t "$1.XXXXXX")
    shift
    export MESHDEV_BENCH_TMP="$tmp"
    dotnet "$bench_dll" "$@" &
    bench_pid=$!
    local status=0
    wait "$bench_pid" || status=$?
    bench_pid=""
    exit $status
}
