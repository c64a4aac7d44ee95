#!/usr/bin/env bash
# The README's first command as a new user meets it, on a fresh clone of this checkout's HEAD: the time from
# `./meshdev up -f samples/shop/meshdev.yaml` to "mesh listening" and to the first 200 from the sample's frontend
# (curl, sent as soon as the mesh listens); then the same on that clone again (the second run); then on another fresh
# clone with the CLI already built, as with the tool installed ("installed"). No build server runs
# at the start of a first run; NuGet packages are expected in the machine's cache (as after running the tests once).
# Usage: devtools/bench/first-run.sh [--dotnet-defaults] [rounds (default 3)] [results file (default first-run-results.md)]
# --dotnet-defaults: with the compiler server and MSBuild node reuse, which .NET uses unless told otherwise and this
# machine's environment turns off (UseSharedCompilation=false, MSBUILDDISABLENODEREUSE=1, DOTNET_CLI_USE_MSBUILD_SERVER=0);
# the servers are shut down before and after each round.
set -uo pipefail
defaults=
if [ "${1:-}" = --dotnet-defaults ]; then
  defaults=1
  shift
  unset UseSharedCompilation MSBUILDDISABLENODEREUSE DOTNET_CLI_USE_MSBUILD_SERVER
fi
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
rounds=${1:-3}
results=${2:-$here/first-run-results${defaults:+-dotnet-defaults}.md}
port=15101 # the sample frontend's mesh port
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }

# Runs the mesh in $1 until the first 200; prints "listening_s first_call_s total_s". The mesh's output goes to $2.
# $3: the meshdev command (default: the clone's ./meshdev).
run_once() {
  local clone=$1 log=$2 meshdev=${3:-./meshdev} t0 listening code
  t0=$(now)
  # Each line stamped with the seconds since the command started.
  (cd "$clone" && setsid $meshdev up -f samples/shop/meshdev.yaml 2>&1 \
    | perl -MTime::HiRes=time -ne 'BEGIN { $| = 1 } printf "%6.1f %s", time - '"$t0"', $_' >"$log") &
  until grep -q "mesh listening" "$log" 2>/dev/null; do
    if ! kill -0 $! 2>/dev/null; then echo "the mesh exited; see $log" >&2; return 1; fi
    sleep 0.05
  done
  listening=$(since "$t0")
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 300 "http://127.0.0.1:$port/")
  [ "$code" = 200 ] || { echo "first call: HTTP $code; see $log" >&2; return 1; }
  printf '%.1f %.1f %.1f\n' "$listening" "$(echo "$(since "$t0") - $listening" | bc)" "$(since "$t0")"
  (cd "$clone" && $meshdev down -f samples/shop/meshdev.yaml >/dev/null 2>&1)
  wait
}

median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

: >"$work/first" && : >"$work/second" && : >"$work/installed"
for round in $(seq "$rounds"); do
  dotnet build-server shutdown >/dev/null 2>&1
  clone=$work/clone-$round
  git clone -q "$repo" "$clone"
  first=$(run_once "$clone" "$work/first-$round.log") || exit 1
  second=$(run_once "$clone" "$work/second-$round.log") || exit 1
  # As with the tool installed: another fresh clone, no build server, the CLI already built (round one's).
  dotnet build-server shutdown >/dev/null 2>&1
  git clone -q "$repo" "$clone-installed"
  installed=$(run_once "$clone-installed" "$work/installed-$round.log" "dotnet $work/clone-1/artifacts/meshdev/meshdev.dll") || exit 1
  echo "round $round: first run (listening, first call, total) $first s; second run $second s; CLI already built $installed s"
  echo "$first" >>"$work/first" && echo "$second" >>"$work/second" && echo "$installed" >>"$work/installed"
  # What the screen showed in the first round, for the README's account of every second.
  [ "$round" = 1 ] && [ -z "$defaults" ] && cp "$work/first-$round.log" "$here/first-run-output.txt"
  dotnet build-server shutdown >/dev/null 2>&1
done

column_median() { awk -v c="$2" '{print $c}' "$1" | median; }
{
  echo "# First run of the README's first command ($(date -u +%Y-%m-%d), $(nproc) cores, commit $(git -C "$repo" rev-parse --short HEAD))"
  echo
  if [ -n "$defaults" ]; then
    echo "Fresh clone, no build server running at the start, NuGet cache warm, .NET's defaults for build servers (the compiler server and MSBuild node reuse on: \`--dotnet-defaults\`); medians of $rounds rounds (seconds)."
  else
    echo "Fresh clone, no build server running, NuGet cache warm, this machine's environment as it is (UseSharedCompilation=${UseSharedCompilation:-unset}, MSBUILDDISABLENODEREUSE=${MSBUILDDISABLENODEREUSE:-unset}); medians of $rounds rounds (seconds)."
  fi
  echo
  echo "| run | mesh listening | first call (200) | in all |"
  echo "|---|---|---|---|"
  for run in first second installed; do
    echo "| $run | $(column_median "$work/$run" 1) | $(column_median "$work/$run" 2) | $(column_median "$work/$run" 3) |"
  done
  echo
  echo "Rounds (listening, first call, in all):"
  echo
  paste -d' ' <(sed 's/^/first: /' "$work/first") <(sed 's/^/second: /' "$work/second") <(sed 's/^/installed: /' "$work/installed") | sed 's/^/- /'
} | tee "$results"
