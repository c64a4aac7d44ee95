#!/usr/bin/env bash
# devtools/bench/run-http10.sh — issue 13 item 1: an HTTP/1.0 server (python's http.server) behind the mesh, warm and
# cold, next to the same server direct and behind nginx, in one run. Run by hand, never in CI.
#
#   devtools/bench/run-http10.sh [--repo DIR] [--cli CSPROJ] [--rounds N] [--results PATH|-] [--note TEXT]
#
# Builds the meshdev CLI of --repo (default: this checkout) in Release, runs the mesh with `meshdev up --detach`, drives
# it with hey, and writes a Markdown report (default devtools/bench/http10-results.md). Loopback only. Everything it
# starts (python servers, nginx, hey, the mesh) is stopped on exit, on failure and on Ctrl+C.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cli_project="" rounds=3 results="$here/http10-results.md" note=""
while [ $# -gt 0 ]; do
    case $1 in
        --repo) repo=$(cd "$2" && pwd); shift 2 ;;
        --cli) cli_project=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --results) results=$2; shift 2 ;;
        --note) note=$2; shift 2 ;;
        -h | --help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "error: unknown option '$1'; see --help." >&2; exit 2 ;;
    esac
done
if [ -z "$cli_project" ]; then
    cli_project="$repo/src/MeshDev.Cli/MeshDev.Cli.csproj"
    [ -f "$cli_project" ] || { echo "error: no src/MeshDev.Cli/MeshDev.Cli.csproj in $repo; pass --cli PATH." >&2; exit 2; }
fi

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
missing=() nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
command -v hey >/dev/null 2>&1 || missing+=(hey)
[ -x "$nginx_bin" ] || missing+=(nginx)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]} with apt-get"
    policy=/usr/sbin/policy-rc.d added_policy=0 # keep the package from starting the system nginx (as run.sh does)
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null && as_root chmod 755 "$policy" && added_policy=1
    fi
    as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" || status=$?
    [ $added_policy -eq 1 ] && as_root rm -f "$policy"
    [ "${status:-0}" -eq 0 ] || { echo "error: could not install ${missing[*]}; install them and run again." >&2; exit 1; }
fi
# The python3 on PATH may be a pyenv shim (85 ms a start): every server here is the interpreter itself.
python=${PYTHON:-$(python3 -c 'import sys; print(sys.executable)')}

echo "building $cli_project (Release)"
dotnet build -c Release -nologo -v quiet "$cli_project"
meshdev_dll=$(dotnet msbuild "$cli_project" -nologo -p:Configuration=Release -getProperty:TargetPath)
[ -f "$meshdev_dll" ] || { echo "error: the build left no $meshdev_dll." >&2; exit 1; }

tmp=$(mktemp -d -t meshdev-http10.XXXXXX)
pids=() mesh_up=0
manifest="$tmp/meshdev.yaml"
meshdev() { dotnet "$meshdev_dll" "$@"; }
cleanup() {
    trap - EXIT INT TERM HUP
    for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done # each child leads its own group
    [ $mesh_up -eq 1 ] && { meshdev down -f "$manifest" >/dev/null 2>&1 || echo "warning: meshdev down failed" >&2; }
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "interrupted, stopping everything" >&2; exit 130' INT TERM HUP

# Starts "$@" in its own session (so its whole group can be killed); the pid is in $started.
start_bg() { local log=$1; shift; setsid "$@" >"$log" 2>&1 </dev/null & started=$!; pids+=("$started"); }
stop_bg() {
    kill -KILL -- "-$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true
    local left=() pid; for pid in "${pids[@]}"; do [ "$pid" = "$1" ] || left+=("$pid"); done; pids=("${left[@]}")
}
listening() { [ -n "$(ss -Hltn "sport = :$1")" ]; }
wait_listening() { # polls the socket table, never the port itself: a probe connection would warm the server
    for _ in $(seq 1 1000); do listening "$1" && return 0; sleep 0.01; done
    echo "error: nothing listens on port $1 after 10 s." >&2; exit 1
}
# Distinct free ports below the ephemeral range: no client's outgoing connection takes one between cold rounds.
pick_ports() {
    local low p picked=" "; low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range)
    while [ "$(wc -w <<<"$picked")" -lt "$1" ]; do
        p=$((20000 + RANDOM % (low - 20000)))
        [[ $picked != *" $p "* ]] && [ -z "$(ss -Htan "sport = :$p")" ] && picked+="$p "
    done
    echo "$picked"
}
read -r py_port cold_port nginx_port nginx_cold_port shared_port xds_port mesh_port <<<"$(pick_ports 7)"

mkdir -p "$tmp/www" "$tmp/raw" "$tmp/nginx"
for i in $(seq 1 8); do echo "hello from the http10 bench, line $i of a few hundred bytes of static text."; done \
    >"$tmp/www/hello.txt"
cat >"$manifest" <<EOF
mesh:
  http: $shared_port
  xds: $xds_port
services:
  alpha:
    command: $python
    args: [-m, http.server, --bind, 127.0.0.1, "\${PORT}", --directory, $tmp/www]
    meshPort: $mesh_port
    ready: { http: /hello.txt }
    idleTimeout: 24h
EOF
cat >"$tmp/nginx/nginx.conf" <<EOF
worker_processes 1;
$([ "$(id -u)" -eq 0 ] && echo "user root;")
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $tmp/nginx/body; proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fcgi; uwsgi_temp_path $tmp/nginx/uwsgi; scgi_temp_path $tmp/nginx/scgi;
    upstream warm { server 127.0.0.1:$py_port; keepalive 16; }
    upstream cold { server 127.0.0.1:$cold_port; keepalive 16; }
    server { listen 127.0.0.1:$nginx_port; location / { proxy_pass http://warm;
        proxy_http_version 1.1; proxy_set_header Connection ""; } }
    server { listen 127.0.0.1:$nginx_cold_port; location / { proxy_pass http://cold;
        proxy_http_version 1.1; proxy_set_header Connection ""; } }
}
EOF

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
py_server=("$python" -m http.server --bind 127.0.0.1)
start_bg "$tmp/python-warm.log" "${py_server[@]}" "$py_port" --directory "$tmp/www"
start_bg "$tmp/nginx/stdout.log" "$nginx_bin" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -g 'daemon off;'
wait_listening "$py_port"; wait_listening "$nginx_port"
echo "starting the mesh (shared port $shared_port, alpha on mesh port $mesh_port)"
mesh_up=1
meshdev up --detach -f "$manifest" >/dev/null

# One hey run; its output is kept under a name; prints nothing.
run_hey() { local name=$1; shift; hey "$@" >"$tmp/raw/$name.txt" 2>&1 || true; }
# "ok other errors rps total_s p50_ms p99_ms slowest_s codes" of one hey output ("-" where hey printed nothing).
parse() {
    awk '/^Status code distribution:/ { s = "status"; next } /^Error distribution:/ { s = "error"; next }
        /Requests\/sec:/ { rps = sprintf("%.0f", $2) } /^  Total:/ { total = $2 } /^  Slowest:/ { slow = $2 }
        / 50% in / { p50 = $3 * 1000 } / 99% in / { p99 = $3 * 1000 }
        s == "status" && /^ *\[[0-9]+\]/ { c = $1; gsub(/[][]/, "", c); if (c == 200) ok += $2; else { other += $2; codes = codes c "x" $2 "," } }
        s == "error" && /^ *\[[0-9]+\]/ { n = $1; gsub(/[][]/, "", n); err += n }
        function or(v) { return v == "" ? "-" : v }
        END { printf "%d %d %d %s %s %s %s %s %s\n", ok, other, err, or(rps), or(total), or(p50), or(p99), or(slow), or(codes) }' \
        "$tmp/raw/$1.txt"
}
median() { tr ' ' '\n' | grep -v '^-\?$' | sort -g | awk '{ v[NR] = $1 } END { if (!NR) print "-"; else
    printf "%.1f\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# One table row per target from the runs named "$part-$target-$round": totals of the counts, medians of the figures.
row() {
    local part=$1 target=$2 label=$3 n=$4 ok=0 other=0 err=0 rps="" total="" p50="" p99="" slow="" per="" codes="" f
    for r in $(seq 1 "$n"); do
        read -r -a f <<<"$(parse "$part-$target-$r")"
        ok=$((ok + f[0])) other=$((other + f[1])) err=$((err + f[2])) per+="$((f[1] + f[2]))/"
        rps+="${f[3]} " total+="${f[4]} " p50+="${f[5]} " p99+="${f[6]} " slow+="${f[7]} " codes+="${f[8]#-}"
    done
    codes=$(tr ',' '\n' <<<"$codes" | awk -Fx 'NF == 2 { n[$1] += $2 } END { for (c in n) { printf "%s%s: %d", sep, c, n[c]; sep = ", " } }')
    if [ "$part" = warm ]; then
        echo "| $label | $ok | $other${codes:+ ($codes)} | $err | ${per%/} | $(median <<<"$rps") | ${rps% } |"
    else
        echo "| $label | $ok | $other${codes:+ ($codes)} | $err | ${per%/} | $(median <<<"$total") | $(median <<<"$p50") | $(median <<<"$p99") | $(median <<<"$slow") |"
    fi
}
url=/hello.txt
declare -A url_of=([direct]="http://127.0.0.1:$py_port$url" [nginx]="http://127.0.0.1:$nginx_port$url"
    [mesh]="http://127.0.0.1:$mesh_port$url" [shared]="http://127.0.0.1:$shared_port$url"
    [cold-direct]="http://127.0.0.1:$cold_port$url" [cold-nginx]="http://127.0.0.1:$nginx_cold_port$url")
curl -fsS -o /dev/null "${url_of[mesh]}" # launches alpha: the warm part measures a running service
warm_targets=(direct nginx mesh shared)
echo "warm: $rounds rounds of hey -n 2000 -c 16 against ${warm_targets[*]}"
for r in $(seq 1 "$rounds"); do
    for i in 0 1 2 3; do # the order rotates each round
        t=${warm_targets[$(((i + r) % 4))]} host=()
        [ "$t" = shared ] && host=(-host alpha)
        run_hey "warm-$t-$r" -n 2000 -c 16 "${host[@]}" "${url_of[$t]}"
    done
done

# n concurrent first calls to a server that has just started listening (direct, behind nginx), or to the stopped
# alpha's mesh port (the burst launches it).
cold() {
    local part=$1 n=$2 rounds=$3 r t; shift 3
    echo "$part: $rounds rounds of hey -n $n -c $n against $*"
    for r in $(seq 1 "$rounds"); do
        for t in "$@"; do
            if [ "$t" = mesh ]; then
                meshdev stop alpha -f "$manifest" >/dev/null # returns once alpha is stopped
                run_hey "$part-$t-$r" -n "$n" -c "$n" "${url_of[mesh]}"
            else
                start_bg "$tmp/python-cold.log" "${py_server[@]}" "$cold_port" --directory "$tmp/www"
                wait_listening "$cold_port"
                run_hey "$part-$t-$r" -n "$n" -c "$n" "${url_of[cold-$t]}"
                stop_bg "$started"
            fi
        done
    done
}
cold cold500 500 "$rounds" direct nginx mesh
cold cold30 30 10 direct mesh

daemon_log=$(du -h "$tmp/.meshdev/daemon.log" 2>/dev/null | cut -f1 || echo "?")
alpha_state=$(meshdev status -f "$manifest" 2>&1 | awk '$1 == "alpha"' | tr -s ' ' || true) # launches: 1 + the cold rounds
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
cold_header="| target | 200 | other status | hey errors | failed by round | total s | p50 ms | p99 ms | slowest s |
| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |"
report=$(cat <<EOF
# HTTP/1.0 server behind the mesh (issue 13 item 1)

Method: python's \`http.server\` (HTTP/1.0, closes after each response) serving a $(wc -c <"$tmp/www/hello.txt")-byte \`$url\`, hit with hey directly, through nginx (keepalive upstream, HTTP/1.1) and through the mesh (\`meshdev up --detach\`, Release), all in one run; medians over rounds, counts summed.

- repository: \`$repo\` at $(git -C "$repo" log -1 --format='%h (%cs) %s' | cut -c1-110)
- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), kernel $(uname -r)
- load average (1, 5, 15 min) at the start $load_start, at the end $load_end; $("$python" --version), hey $(dpkg-query -W -f='${Version}' hey 2>/dev/null || echo "?"), $("$nginx_bin" -v 2>&1 | sed 's/.*: //')
- after the run: daemon.log $daemon_log; \`meshdev status\` for alpha (name, runtime, state, endpoint, mesh port, launches, last error): \`${alpha_state:-?}\`
${note:+- note: $note}

"Failed by round" is non-200 + hey errors per round; hey errors are requests with no HTTP response (connection reset, or no answer within hey's default 20 s timeout). Times are medians over rounds (cold: total time, p50, p99 and slowest request of one burst; hey prints no p99 for 30 requests).

## Warm: hey -n 2000 -c 16, $rounds rounds, targets interleaved

| target | 200 | other status | hey errors | failed by round | req/s (median) | req/s by round |
| --- | ---: | ---: | ---: | --- | ---: | --- |
$(row warm direct "python direct" "$rounds")
$(row warm nginx "nginx → python" "$rounds")
$(row warm mesh "mesh port" "$rounds")
$(row warm shared "shared port, -host alpha" "$rounds")

## Cold burst: hey -n 500 -c 500 at a server that has just started, $rounds rounds

Direct and nginx: a fresh python, once the socket table shows it listening. Mesh: after \`meshdev stop alpha\`, so the burst launches it.

$cold_header
$(row cold500 direct "python direct" "$rounds")
$(row cold500 nginx "nginx → fresh python" "$rounds")
$(row cold500 mesh "mesh port (launch)" "$rounds")

## Cold: hey -n 30 -c 30, 10 rounds

$cold_header
$(row cold30 direct "python direct" 10)
$(row cold30 mesh "mesh port (launch)" 10)
EOF
)
errors=$(cat "$tmp"/raw/*.txt | awk '/^Error distribution:/ { e = 1; next } !/^ *\[[0-9]+\]/ { e = 0 }
    e { n = $1; gsub(/[][]/, "", n); sub(/^ *\[[0-9]+\][ \t]*/, ""); gsub(/127\.0\.0\.1:[0-9]+/, "127.0.0.1:PORT"); count[$0] += n }
    END { for (m in count) printf "%7d  %s\n", count[m], m }' | sort -rn | awk 'NR <= 5')
[ -n "$errors" ] && report+=$'\n\nhey errors seen (the 5 most frequent, over all runs):\n\n```\n'"$errors"$'\n```'
echo "$report"
[ "$results" = "-" ] || { echo "$report" >"$results"; echo "written to $results"; }
