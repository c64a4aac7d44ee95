#!/usr/bin/env bash
# Runs every test project of MeshDev.sln and ends with one line: "N passed, N failed".
# Usage: ./devtools/test.sh [extra dotnet test args, e.g. --filter Category=...]
set -uo pipefail
cd "$(dirname "$0")/.."

bash devtools/setup.sh || exit 1

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
log=$(mktemp)
trap 'rm -f "$log"' EXIT

dotnet build MeshDev.sln -c Debug -nologo -v q 2>&1 | tee -a "$log" | grep -E "error|Warn|Elapsed" || true
if [ "${PIPESTATUS[0]}" -ne 0 ]; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

dotnet test MeshDev.sln -c Debug --no-build -nologo "$@" 2>&1 | tee -a "$log"
status=${PIPESTATUS[0]}

# One summary line per test assembly: "Passed!  - Failed: 0, Passed: 12, Skipped: 0, Total: 12, ..."
read -r passed failed < <(grep -E '^(Passed|Failed)!' "$log" | sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+).*/\2 \1/' \
  | awk '{p+=$1; f+=$2} END {print p+0, f+0}')
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1 # the runner failed without reporting a test failure (crash, abort): count it
fi
echo "$passed passed, $failed failed"
exit "$status"
