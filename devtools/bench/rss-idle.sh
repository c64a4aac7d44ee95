#!/usr/bin/env bash
# Daemon memory through a working session and back to idle (issue 13, item 4).
#
# Generates a manifest of many python3 http.server services (short idleTimeout), starts the mesh daemon with the
# CLI (`meshdev up --detach`), then: launches some services by calling their mesh ports, runs hey against a few of
# them, and waits until every service has idled out and a while longer. The daemon's VmRSS is sampled from
# /proc/PID/status every few seconds through all phases; the script ends with a table of phase -> RSS.
#
#   devtools/bench/rss-idle.sh [--services 600] [--launch 50] [--requests 50000] [--concurrency 32]
#                              [--load-services 3] [--idle-timeout 20s] [--after-idle 90] [--interval 3]
#                              [--cli PATH/meshdev.dll] [--env NAME=VALUE]... [--keep]
#
# --cli defaults to the Release build of src/MeshDev.Cli (built when missing). --env sets a variable for the
# daemon only (e.g. --env DOTNET_GCgen0size=...), to compare runtime settings with the same manifest and traffic.
# Needs python3, curl, hey and jq. Every address is 127.0.0.1.
set -euo pipefail

services=600 launch=50 requests=50000 concurrency=32 load_services=3 idle_timeout=20s after_idle=90 interval=3
cli="" keep=0 daemon_env=()
while (($#)); do
  case "$1" in
    --services) services=$2; shift 2 ;;
    --launch) launch=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --load-services) load_services=$2; shift 2 ;;
    --idle-timeout) idle_timeout=$2; shift 2 ;;
    --after-idle) after_idle=$2; shift 2 ;;
    --interval) interval=$2; shift 2 ;;
    --cli) cli=$2; shift 2 ;;
    --env) daemon_env+=("$2"); shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "rss-idle.sh: unknown option '$1'; see --help" >&2; exit 2 ;;
  esac
done
for tool in python3 curl hey jq; do
  command -v "$tool" >/dev/null || { echo "rss-idle.sh: '$tool' is not installed; install it and run again" >&2; exit 2; }
done

repo=$(cd "$(dirname "$0")/../.." && pwd)
if [[ -z $cli ]]; then
  cli=$(find "$repo/src/MeshDev.Cli/bin/Release" -name meshdev.dll -path '*net10.0*' 2>/dev/null | head -n1 || true)
  if [[ -z $cli ]]; then
    dotnet build "$repo/src/MeshDev.Cli" -c Release -v q -nologo >&2
    cli=$(find "$repo/src/MeshDev.Cli/bin/Release" -name meshdev.dll -path '*net10.0*' | head -n1)
  fi
fi

# The real interpreter, not a pyenv shim: the shim is a shell script whose children the mesh would have to track too.
python=$(python3 -c 'import sys; print(sys.executable)')
work=$(mktemp -d /tmp/rss-idle.XXXXXX)
manifest=$work/meshdev.yaml
echo hello >"$work/hello.txt"

# Ports: a block of services+2 free ones below the ephemeral range (where other programs' outgoing connections would
# take them between this check and the mesh's start), found by asking the OS rather than assuming a range is free.
read -r base < <(python3 - "$services" <<'EOF'
import socket, sys, random
need = int(sys.argv[1]) + 2
ephemeral = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
for _ in range(200):
    base = random.randrange(10000, ephemeral - need)
    ok = True
    for p in range(base, base + need):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", p))
        except OSError:
            ok = False
        finally:
            s.close()
        if not ok:
            break
    if ok:
        print(base)
        sys.exit(0)
sys.exit("no free block of ports")
EOF
)
{
  printf 'mesh:\n  http: %d\n  xds: %d\nservices:\n' "$base" $((base + 1))
  for ((i = 1; i <= services; i++)); do
    printf '  svc-%03d:\n    command: %s\n    args: [-m, http.server, --bind, 127.0.0.1, "${PORT}"]\n' "$i" "$python"
    printf '    workingDir: %s\n    meshPort: %d\n    ready: { http: /hello.txt }\n    idleTimeout: %s\n' "$work" $((base + 1 + i)) "$idle_timeout"
  done
} >"$manifest"
mesh_port() { echo $((base + 1 + $1)); }

meshdev() { dotnet "$cli" "$@"; }
phase_file=$work/phase
samples=$work/samples.tsv
pid=""
sampler=""
cleanup() {
  [[ -n $sampler ]] && kill "$sampler" 2>/dev/null || true
  meshdev down -f "$manifest" >/dev/null 2>&1 || true
  if ((keep)); then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

echo "starting the mesh: $services services, idleTimeout $idle_timeout, ports $base-$((base + 1 + services))" >&2
env "${daemon_env[@]}" dotnet "$cli" up --detach -f "$manifest" >&2
pid=$(meshdev status -f "$manifest" --json | jq -r '.pid')
[[ $pid =~ ^[0-9]+$ ]] || { echo "rss-idle.sh: could not read the daemon's pid from 'meshdev status --json'" >&2; exit 1; }

phase() { echo "$1" >"$phase_file"; echo "phase: $1" >&2; }
phase "1 started"
(
  while [[ -e /proc/$pid/status ]]; do
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
    [[ -n $rss ]] && printf '%s\t%s\t%s\n' "$(date +%s)" "$(cat "$phase_file")" "$rss" >>"$samples"
    sleep "$interval"
  done
) &
sampler=$!
sleep 10

phase "2 launching $launch services"
# Every launch in its own curl, all at once: what an application's first calls look like.
(
  for ((i = 1; i <= launch; i++)); do
    curl -s -o /dev/null -w '%{http_code}\n' --max-time 120 "http://127.0.0.1:$(mesh_port "$i")/hello.txt" &
  done
  wait
) >"$work/launch-codes"
echo "launch answers: $(sort "$work/launch-codes" | uniq -c | tr '\n' ' ')" >&2
sleep 5

phase "3 load ($requests requests x $load_services services, -c $concurrency)"
for ((i = 1; i <= load_services; i++)); do
  hey -n "$requests" -c "$concurrency" "http://127.0.0.1:$(mesh_port "$i")/hello.txt" | grep -E 'Requests/sec|\[[0-9]+\]' | tr -s ' ' | sed "s/^/  svc-$(printf %03d "$i"): /" >&2
done

phase "4 traffic over, services idling"
while :; do
  running=$(meshdev status -f "$manifest" --json | jq '[.services[] | select(.state != "stopped")] | length')
  ((running == 0)) && break
  sleep "$interval"
done

phase "5 all stopped (+0-30s)"
sleep 30
phase "6 all stopped (+30-60s)"
sleep 30
if ((after_idle > 60)); then
  phase "7 all stopped (+60-${after_idle}s)"
  sleep $((after_idle - 60))
fi
kill "$sampler" 2>/dev/null || true
sampler=""

echo
echo "daemon pid $pid, $services services; VmRSS in MB (samples every ${interval}s)"
awk -F'\t' '
  { if (!($2 in first)) { order[n++] = $2; first[$2] = $3; max[$2] = $3 }
    if ($3 > max[$2]) max[$2] = $3; last[$2] = $3; count[$2]++ }
  END {
    printf "| %-50s | %7s | %7s | %7s | %7s |\n", "phase", "first", "max", "last", "samples"
    printf "| %-50s | %7s | %7s | %7s | %7s |\n", "---", "---:", "---:", "---:", "---:"
    for (i = 0; i < n; i++) { p = order[i]
      printf "| %-50s | %7.1f | %7.1f | %7.1f | %7d |\n", p, first[p] / 1024, max[p] / 1024, last[p] / 1024, count[p] }
  }' "$samples"
