#!/usr/bin/env bash
# The Kubernetes runtime's scenarios against a real cluster (kind, k3d, minikube or a shared one), the same ones the
# tests in tests/MeshDev.Kubernetes.Tests run against the API-server stand-in (Runtime/, and Mesh/PodsJoinTheMeshStandInTests):
#   lazy (no pod before the first call) → cold call: scale to 1, watch until Ready, port-forward, answer →
#   concurrent cold calls scale up once → idle: back to 0 → a missing image fails fast with the reason →
#   pods in the mesh (issue 14), from a "caller" pod whose app container runs curl against its own gateway sidecar:
#     the discovery variables in the pod → the link to its gateway connected → 20 concurrent cold calls to a stopped
#     laptop process launch it once, counted with the pod's service as the caller → the IDE-run (external) service →
#     a stopped pod launched by a pod → pod to pod directly once both are ready (counted in status, not proxied by
#     the laptop) → server-sent events from a stopped laptop service streamed to the pod → a laptop service that
#     exits at launch: the pod gets the 503 with the cause and its last line → a pod of the team's own manifests:
#     Deployment gets the gateway too → the link lost (the mesh's daemon frozen with SIGSTOP past the link's 15 s
#     liveness ping: the pod's call gets an immediate 503 "not connected") and back by itself after SIGCONT →
#     `doctor` shows the pod links →
#   an object without the owner label is never touched → `down` scales to 0 and leaves no pod of the mesh, and leaves
#   the IDE-run server running → `down --purge` deletes what MeshDev made.
# Figures (recorded, no targets; the targets hold for the stand-in, devtools/bench): a cold call from the pod to a
# stopped laptop service vs the same cold call on the laptop (median of 3); warm p50 pod → laptop service vs laptop →
# a pod through a plain `kubectl port-forward` (200 sequential calls each, plus the laptop server's own p50 without
# the mesh); warm pod → ready pod req/s through the gateway vs to the pod's IP directly (1000 calls on one keep-alive
# connection each). Printed as a table at the end, and written to MESHDEV_SMOKE_FIGURES when set.
# Not here, because public images cannot play them: gRPC through the link (four call shapes) and the chain laptop →
# pod → laptop → pod need an app in the pod that speaks gRPC or calls onward, and WebSocket a client in the pod that
# speaks it (curl's ws:// depends on its version); nginx and curl do none of that. The stand-in tests cover them with
# the repository's TestService and @grpc/grpc-js.
#
# Usage: KUBECONFIG=~/.kube/config ./devtools/k8s-smoke.sh
# Needs: dotnet, kubectl, curl and python3 (the laptop services are `python3 -m http.server`); Kubernetes 1.29+
# (the gateway is a native sidecar); a cluster that can pull $MESHDEV_SMOKE_IMAGE (for kind without a registry mirror:
# `docker pull IMAGE && kind load docker-image IMAGE`); the permissions in docs/kubernetes.md "Permissions".
# The gateway image (docs/kubernetes.md "The gateway image"): unless MESHDEV_SMOKE_GATEWAY_IMAGE names one, the script
# publishes the gateway when it is missing or older than its sources (`dotnet publish src/MeshDev.Gateway -r linux-x64
# -c Release`, needs clang or gcc), computes the reference the mesh will build, meshdev/gateway:{content hash}
# (MeshDev.Docker.GatewayImage.DefaultReference, run as a file-based C# program), waits after `up` until the mesh has
# built it on the local Docker engine, then loads it into the cluster: context kind-NAME: `kind load docker-image
# --name NAME`; k3d-NAME: `k3d image import --cluster NAME`; minikube: `minikube image load`; docker-desktop shares the
# engine and needs nothing. Any other cluster pulls from a registry: push the image there (docs/kubernetes.md shows
# how) and set MESHDEV_SMOKE_GATEWAY_IMAGE, which the script puts in mesh.kubernetes.gatewayImage (the mesh then
# builds nothing).
# Settings (environment):
#   MESHDEV_SMOKE_CONTEXT        kubeconfig context (default: the current one)
#   MESHDEV_SMOKE_NAMESPACE      namespace (default: MeshDev's own, meshdev-$USER; set it to a pre-created one on a shared cluster)
#   MESHDEV_SMOKE_IMAGE          an HTTP server that runs as a non-root numeric user (default nginxinc/nginx-unprivileged:1.27-alpine)
#   MESHDEV_SMOKE_PORT           the port it listens on in its pod (default 8080)
#   MESHDEV_SMOKE_CALLER_IMAGE   the caller pod: an HTTP server answering / on MESHDEV_SMOKE_CALLER_PORT, run as a numeric
#                                non-root user, with sh and curl inside (default: MESHDEV_SMOKE_IMAGE; nginx's alpine
#                                images carry curl; curlimages/curl names its user, which runAsNonRoot refuses)
#   MESHDEV_SMOKE_CALLER_PORT    its port (default: MESHDEV_SMOKE_PORT)
#   MESHDEV_SMOKE_GATEWAY_IMAGE  the gateway image the cluster pulls (default: built by the mesh and loaded, see above)
#   MESHDEV_SMOKE_MESH_PORT      first of the local ports the mesh uses (default 15900: 15900 shared, 15910 xDS and the
#                                gateway's link port in pods, 15920+ services, 16000 the IDE-run server, 16001 the plain port-forward)
#   MESHDEV_SMOKE_FIGURES        a file to write the figures to (a Markdown table), besides printing them
# Ends with "N passed, N failed"; exit code 0 only when everything passed. It cleans up after itself (down --purge).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

if [ -z "${KUBECONFIG:-}" ]; then
  echo "k8s-smoke: skipped: KUBECONFIG is not set. Point it at a cluster you may use (kind create cluster, k3d cluster create, minikube start write one), e.g. KUBECONFIG=~/.kube/config $0"
  exit 0
fi
for tool in dotnet kubectl curl python3; do
  command -v "$tool" >/dev/null || { echo "k8s-smoke: $tool is needed on PATH"; exit 1; }
done

image=${MESHDEV_SMOKE_IMAGE:-nginxinc/nginx-unprivileged:1.27-alpine}
pod_port=${MESHDEV_SMOKE_PORT:-8080}
caller_image=${MESHDEV_SMOKE_CALLER_IMAGE:-$image}
caller_port=${MESHDEV_SMOKE_CALLER_PORT:-$pod_port}
base=${MESHDEV_SMOKE_MESH_PORT:-15900}
context=${MESHDEV_SMOKE_CONTEXT:-$(kubectl config current-context 2>/dev/null)}
owner=$(id -un | tr '[:upper:]' '[:lower:]' | sed -E 's/[^a-z0-9]+/-/g; s/^-+//; s/-+$//' | cut -c1-40 | sed -E 's/-+$//')
namespace=${MESHDEV_SMOKE_NAMESPACE:-meshdev-${owner:-user}}
kc=(kubectl --context "$context" -n "$namespace")

# Mesh ports: one per service, the same numbers on the laptop and inside every pod (the gateway serves them there).
smoke_port=$((base + 21)) broken_port=$((base + 22)) caller_mesh=$((base + 23)) stock_port=$((base + 24))
users_port=$((base + 25)) ide_mesh=$((base + 26)) billing_port=$((base + 27)) events_port=$((base + 28))
crashing_port=$((base + 29))
ide_port=$((base + 100)) forward_port=$((base + 101))

# The gateway image: named by the user, or built by the mesh and loaded with the cluster's own tool.
gateway_image=${MESHDEV_SMOKE_GATEWAY_IMAGE:-}
load=()
if [ -z "$gateway_image" ]; then
  case $context in
    kind-*) load=(kind load docker-image --name "${context#kind-}") ;;
    k3d-*) load=(k3d image import --cluster "${context#k3d-}") ;;
    minikube) load=(minikube image load --profile minikube) ;;
    docker-desktop) ;; # the cluster's nodes use this machine's engine, where the mesh builds the image
    *)
      echo "k8s-smoke: context '$context' is not kind-*, k3d-*, minikube or docker-desktop, so it pulls the gateway image from a registry: push it there and set MESHDEV_SMOKE_GATEWAY_IMAGE (docs/kubernetes.md, \"The gateway image\")"
      exit 1
      ;;
  esac
  for tool in docker "${load[@]:0:1}"; do
    command -v "$tool" >/dev/null || { echo "k8s-smoke: $tool is needed on PATH to get the gateway image into context '$context' (or set MESHDEV_SMOKE_GATEWAY_IMAGE)"; exit 1; }
  done
fi

passed=0 failed=0
pass() { echo "k8s-smoke: PASS $*"; passed=$((passed + 1)); }
fail() { echo "k8s-smoke: FAIL $*"; failed=$((failed + 1)); }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }

# Polls (bounded) until a command succeeds: the cluster does its work asynchronously.
eventually() { local seconds=$1; shift; local end=$((SECONDS + seconds)); until "$@"; do [ $SECONDS -ge $end ] && return 1; sleep 1; done; }
replicas() { "${kc[@]}" get deployment "$1" -o jsonpath='{.spec.replicas}' 2>/dev/null; }
replicas_are() { [ "$(replicas "$1")" = "$2" ]; }

echo "k8s-smoke: context '$context', namespace $namespace, image $image (port $pod_port), caller image $caller_image (port $caller_port)"
dotnet build src/MeshDev.Cli -nologo -v q >/dev/null || { echo "k8s-smoke: the CLI does not build"; exit 1; }
meshdev=(dotnet "src/MeshDev.Cli/bin/Debug/net10.0/meshdev.dll")

work=$(mktemp -d)
manifest="$work/meshdev.yaml"
ide_pid='' frozen_pid='' forward_pid=''
cleanup() {
  [ -n "$frozen_pid" ] && kill -CONT "$frozen_pid" 2>/dev/null
  [ -n "$forward_pid" ] && kill "$forward_pid" 2>/dev/null
  [ -f "$manifest" ] && "${meshdev[@]}" down -f "$manifest" --purge >/dev/null 2>&1
  "${kc[@]}" delete deployment smoke-foreign --ignore-not-found >/dev/null 2>&1
  [ -n "$ide_pid" ] && kill "$ide_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

if [ -z "$gateway_image" ]; then
  # meshdev run from this checkout's build output makes its gateway image from this publish (GatewayBinary.InCheckout).
  # Published only when missing or older than its sources: a NativeAOT link is not byte-for-byte repeatable, and
  # every new binary is a new image tag for the engine and the cluster's nodes to keep.
  gateway_binary=src/MeshDev.Gateway/bin/Release/net10.0/linux-x64/publish/meshdev-gateway
  if [ ! -x "$gateway_binary" ] || [ -n "$(find src/MeshDev.Gateway src/MeshDev.Link Directory.Build.props -newer "$gateway_binary" \
      \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' \) -not -path '*/bin/*' -not -path '*/obj/*' -print -quit)" ]; then
    dotnet publish src/MeshDev.Gateway -r linux-x64 -c Release -nologo -v q >/dev/null ||
      { echo "k8s-smoke: publishing the gateway failed (NativeAOT needs clang or gcc: devtools/setup.sh)"; exit 1; }
  fi
  # The tag is a hash of the image's build context, exactly as the mesh computes it: ask the same code, as a
  # file-based program (kept at one path so the SDK reuses its build from run to run).
  reference_program="${TMPDIR:-/tmp}/meshdev-k8s-smoke-$(id -u)/gateway-reference.cs"
  mkdir -p "$(dirname "$reference_program")"
  cat >"$reference_program" <<EOF
#:project $PWD/src/MeshDev.Docker/MeshDev.Docker.csproj
Console.WriteLine(MeshDev.Docker.GatewayImage.FromBinary(args[0]).DefaultReference);
EOF
  built_image=$(dotnet run "$reference_program" -- "$PWD/$gateway_binary" 2>&1 | tail -n 1)
  [[ $built_image == meshdev/gateway:* ]] || { echo "k8s-smoke: could not compute the gateway image's reference: $built_image"; exit 1; }
  echo "k8s-smoke: the mesh builds the gateway image $built_image${load[0]:+; loaded with ${load[*]}}"
fi

# Laptop services: python3's http.server answering with one page that names it.
mkdir -p "$work/users" "$work/ide" "$work/k8s"
echo "hello from users" >"$work/users/index.html"
echo "hello from the IDE" >"$work/ide/index.html"
# A laptop service streaming server-sent events: five, 0.2 s apart, so a caller can tell a stream from a buffered answer.
cat >"$work/events.py" <<'EOF'
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Events(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        for i in range(1, 6):
            self.wfile.write(f"data: event {i}\n\n".encode())
            self.wfile.flush()
            time.sleep(0.2)


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Events).serve_forever()
EOF
namespaced() {
  [ -n "${MESHDEV_SMOKE_CONTEXT:-}" ] && echo "    context: $context"
  [ -n "${MESHDEV_SMOKE_NAMESPACE:-}" ] && echo "    namespace: $namespace"
  true
}
cat >"$manifest" <<EOF
mesh:
  http: $base
  xds: $((base + 10))
  portRange: $((base + 20))-$((base + 99))
$( [ -n "$gateway_image" ] && printf '  kubernetes: { gatewayImage: %s }' "$gateway_image" )
services:
  smoke:
    runtime: kubernetes
    image: $image
    port: $pod_port
    meshPort: $smoke_port
    ready: { http: / }
    idleTimeout: 20s
    startTimeout: 5m
$(namespaced)
  broken:
    runtime: kubernetes
    image: meshdev.invalid/does-not-exist:1
    port: $pod_port
    meshPort: $broken_port
    startTimeout: 5m
$(namespaced)
  caller:
    runtime: kubernetes
    image: $caller_image
    port: $caller_port
    meshPort: $caller_mesh
    ready: { http: / }
    idleTimeout: never
    startTimeout: 5m
$(namespaced)
  stock:
    runtime: kubernetes
    image: $image
    port: $pod_port
    meshPort: $stock_port
    ready: { http: / }
    idleTimeout: 30m
    startTimeout: 5m
$(namespaced)
  billing:
    runtime: kubernetes
    manifests: [k8s/billing.yaml]
    port: $pod_port
    meshPort: $billing_port
    idleTimeout: 30m
    startTimeout: 5m
$(namespaced)
  users:
    command: python3
    args: [-m, http.server, "\${PORT}", --bind, 127.0.0.1, --directory, users]
    meshPort: $users_port
    ready: { http: / }
    idleTimeout: 30m
  crashing:
    command: python3
    args: [-c, "import sys; print('fatal: config missing', flush=True); sys.exit(3)"]
    meshPort: $crashing_port
  events:
    command: python3
    args: [events.py, "\${PORT}"]
    meshPort: $events_port
  ide:
    command: python3
    args: [-m, http.server, "$ide_port", --bind, 127.0.0.1, --directory, ide]
    port: $ide_port
    meshPort: $ide_mesh
EOF
# The team's own Deployment, as a team writes it for its cluster (restricted pod security included), knowing nothing of MeshDev.
cat >"$work/k8s/billing.yaml" <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: { name: billing }
spec:
  selector: { matchLabels: { app: billing } }
  template:
    metadata: { labels: { app: billing } }
    spec:
      containers:
        - name: app
          image: $image
          ports: [{ containerPort: $pod_port }]
          readinessProbe: { httpGet: { path: /, port: $pod_port }, periodSeconds: 1 }
          securityContext:
            allowPrivilegeEscalation: false
            runAsNonRoot: true
            capabilities: { drop: [ALL] }
            seccompProfile: { type: RuntimeDefault }
EOF


"${meshdev[@]}" validate -f "$manifest" >/dev/null || { echo "k8s-smoke: the manifest the script wrote is not valid:"; "${meshdev[@]}" validate -f "$manifest"; exit 1; }

# The service the developer runs in the IDE: listening on its fixed port before the mesh starts, so the mesh adopts it.
python3 -m http.server "$ide_port" --bind 127.0.0.1 --directory "$work/ide" >"$work/ide.log" 2>&1 &
ide_pid=$!
eventually 10 curl -s -o /dev/null "http://127.0.0.1:$ide_port/" || { echo "k8s-smoke: the IDE-run server did not listen on $ide_port; see $work/ide.log"; exit 1; }

"${meshdev[@]}" up -f "$manifest" --detach || { echo "k8s-smoke: meshdev up failed; see $work/.meshdev/daemon.log"; exit 1; }

if [ ${#load[@]} -gt 0 ]; then
  # The mesh builds the image in the background from its start; the cluster can only be given it once it exists.
  eventually 150 docker image inspect "$built_image" >/dev/null 2>&1 || { echo "k8s-smoke: the mesh did not build $built_image; see $work/.meshdev/daemon.log"; exit 1; }
  "${load[@]}" "$built_image" >/dev/null || { echo "k8s-smoke: '${load[*]} $built_image' failed"; exit 1; }
fi
expected_gateway=${gateway_image:-${built_image:-}}

# What the mesh says, from its --json answers (camelCase fields; python3 reads them).
status_json() { "${meshdev[@]}" status -f "$manifest" --json 2>/dev/null; }
# status_field SERVICE FIELD: one field of a service's row; a dotted FIELD reads inside it (reason.service).
status_field() {
  status_json | python3 -c '
import json, sys
rows = [s for s in json.load(sys.stdin)["services"] if s["name"] == sys.argv[1]]
value = rows[0] if rows else None
for key in sys.argv[2].split("."):
    value = value.get(key) if isinstance(value, dict) else None
print("" if value is None else value)' "$1" "$2" 2>/dev/null
}
mesh_pid() { status_json | python3 -c 'import json, sys; print(json.load(sys.stdin)["pid"])' 2>/dev/null; }
graph_json() { "${meshdev[@]}" graph -f "$manifest" --json 2>/dev/null; }
# edge_count FROM TO: the calls the call graph counted on that edge.
edge_count() {
  graph_json | python3 -c '
import json, sys
print(sum(e["count"] for e in json.load(sys.stdin)["edges"] if e["from"] == sys.argv[1] and e["to"] == sys.argv[2]))' "$1" "$2" 2>/dev/null
}
# recent_count SERVICE: the latest requests the laptop's proxy carried to it (calls pod to pod never pass it).
recent_count() {
  graph_json | python3 -c '
import json, sys
print(sum(1 for r in json.load(sys.stdin)["recent"] if r["service"] == sys.argv[1]))' "$1" 2>/dev/null
}
doctor_pod_links() {
  "${meshdev[@]}" doctor -f "$manifest" --json 2>/dev/null | python3 -c '
import json, sys
links = [c for c in json.load(sys.stdin) if c["name"] == "pod links"]
print(("ok " if links[0]["ok"] else "not ok ") + links[0]["message"] if links else "no pod links check")' 2>/dev/null
}
state_is() { [ "$(status_field "$1" state)" = "$2" ]; }
# at_least N COMMAND...: the number COMMAND prints is N or more; equals N COMMAND...: exactly N.
at_least() { local value; value=$("${@:2}"); [ "${value:-0}" -ge "$1" ]; }
equals() { [ "$("${@:2}")" = "$1" ]; }
faster_than() { awk -v s="${1:-}" -v limit="$2" 'BEGIN { exit !(s != "" && s < limit) }'; }
link_connected() { [[ $(status_field "$1" link) == *" connected"* ]]; }

# Absence only counts when the API server answered: an unreachable cluster lists nothing too.
no_pods() { local pods; pods=$("${kc[@]}" get pods -l dev.meshdev.service=smoke -o name 2>/dev/null) && [ -z "$pods" ]; }
owner_label_is() { [ "$("${kc[@]}" get deployment smoke -o jsonpath='{.metadata.labels.dev\.meshdev\.owner}' 2>/dev/null)" = "$1" ]; }
seccomp_is_runtime_default() {
  "${kc[@]}" get pods -l dev.meshdev.service=smoke -o jsonpath='{.items[0].spec.securityContext.seccompProfile.type}' 2>/dev/null | grep -qx RuntimeDefault
}
gateway_image_of() {
  "${kc[@]}" get pods -l "dev.meshdev.service=$1" -o jsonpath='{.items[0].spec.initContainers[?(@.name=="meshdev-gateway")].image}' 2>/dev/null
}
count_200() { grep -c '^200$' <<<"$1"; }
gone() { "${kc[@]}" get "$1" "$2" 2>&1 >/dev/null | grep -q NotFound; }
names_a_pull_failure() { grep -Eq 'ErrImagePull|ImagePullBackOff|InvalidImageName' <<<"$1"; }
parallel_calls() { for _ in $(seq "$1"); do curl -s -o /dev/null -w '%{http_code}\n' --max-time 300 "$2" & done; wait; }
url="http://127.0.0.1:$smoke_port/"

# Inside a pod: its app container, whose 127.0.0.1:{mesh port} is its gateway sidecar.
pod_of() { "${kc[@]}" get pods -l "dev.meshdev.service=$1" --field-selector=status.phase=Running -o jsonpath='{.items[0].metadata.name}' 2>/dev/null; }
in_pod() {
  local service=$1 pod; shift
  pod=$(pod_of "$service")
  [ -n "$pod" ] || { echo "k8s-smoke: no running pod of $service to exec into" >&2; return 1; }
  "${kc[@]}" exec "$pod" -c app -- "$@"
}
# pod_call SERVICE URL [curl options]: "BODY\nCODE" of one call made inside the service's pod.
pod_call() { local service=$1 target=$2; shift 2; in_pod "$service" curl -s --max-time 120 -w '\n%{http_code}' "$@" "$target" 2>/dev/null; }
code_of() { printf '%s' "${1##*$'\n'}"; }
answered() { [ "$(code_of "$1")" = 200 ] && grep -q "$2" <<<"$1"; }

# Figures: seconds from curl's %{time_total}, printed in ms.
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
ms() { awk -v s="${1:-}" 'BEGIN { if (s == "") print "-"; else printf "%.1f ms", s * 1000 }'; }
# Calls per second over one keep-alive connection: the count of %{time_total} lines over their sum.
rate() { awk '/^[0-9]+\.[0-9]+$/ { n++; t += $1 } END { if (t > 0) printf "%.0f req/s (%d calls)", n / t, n; else print "-" }'; }
figures=()
figure() { figures+=("| $1 | $2 | $3 |"); }

# Lazy: nothing runs before the first call.
check "no pod before the first call" no_pods

# Cold call: scale to 1, watch until Ready, forward, answer.
start=$SECONDS
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 300 "$url")
check "cold call answered 200 (got $code after $((SECONDS - start)) s)" [ "$code" = 200 ]
check "Deployment smoke scaled to 1" replicas_are smoke 1
check "Deployment smoke carries the owner label $owner" owner_label_is "$owner"
check "the generated pod runs with seccomp RuntimeDefault" seccomp_is_runtime_default
check "the generated pod carries the meshdev-gateway sidecar ($(gateway_image_of smoke))" [ "$(gateway_image_of smoke)" = "$expected_gateway" ]
mesh_id=$("${kc[@]}" get deployment smoke -o jsonpath='{.metadata.labels.dev\.meshdev\.mesh}' 2>/dev/null)

# Concurrent calls on the ready service.
codes=$(parallel_calls 10 "$url")
check "10 concurrent calls answered 200" [ "$(count_200 "$codes")" = 10 ]

# Idle: back to 0 replicas; then concurrent cold calls launch it once.
check "idle: scaled back to 0 within 90 s" eventually 90 replicas_are smoke 0
codes=$(parallel_calls 10 "$url")
check "10 concurrent cold calls answered 200" [ "$(count_200 "$codes")" = 10 ]
launches=$(status_field smoke launches)
check "the concurrent cold calls launched it once (launches: ${launches:-?}, expected 2)" [ "${launches:-0}" = 2 ]

# A missing image fails fast (long before the 5 min startTimeout) with the reason.
start=$SECONDS
body=$(curl -s --max-time 120 "http://127.0.0.1:$broken_port/")
check "missing image: 503 within 120 s naming the pull failure (after $((SECONDS - start)) s)" names_a_pull_failure "$body"

# Pods in the mesh. The caller pod comes up (a cold call from the laptop), with the gateway beside its app.
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 300 "http://127.0.0.1:$caller_mesh/")
check "the caller pod answered its cold call from the laptop (got $code)" [ "$code" = 200 ]
check "the caller pod carries the meshdev-gateway sidecar" [ "$(gateway_image_of caller)" = "$expected_gateway" ]
has_curl() { in_pod "$1" curl --version >/dev/null 2>&1; }
check "the caller pod's app container has curl (MESHDEV_SMOKE_CALLER_IMAGE)" has_curl caller
env_in_pod=$(in_pod caller env 2>/dev/null)
has_env() { local variable; for variable in "$@"; do grep -qx "$variable" <<<"$env_in_pod" || return 1; done; }
check "the pod gets the laptop's discovery variables for users (services__users__http__0, USERS_HTTP)" \
  has_env "services__users__http__0=http://127.0.0.1:$users_port" "USERS_HTTP=http://127.0.0.1:$users_port"
check "and for stock, and its own MESHDEV_SERVICE" has_env "services__stock__http__0=http://127.0.0.1:$stock_port" "STOCK_HTTP=http://127.0.0.1:$stock_port" MESHDEV_SERVICE=caller
check "status shows the link to the caller pod connected" eventually 30 link_connected caller

# Pod → a stopped laptop process: 20 concurrent cold calls (one exec) launch it once, through the link.
check "users (a laptop process) is stopped before the pod calls it" state_is users stopped
# shellcheck disable=SC2016 # expanded by the pod's shell
codes=$(in_pod caller sh -c 'for _ in $(seq 20); do curl -s -o /dev/null -w "%{http_code}\n" --max-time 120 "$1" & done; wait' sh "http://127.0.0.1:$users_port/")
check "20 concurrent cold calls from the pod to users answered 200 ($(count_200 "$codes") did)" [ "$(count_200 "$codes")" = 20 ]
check "they launched users once (launches: $(status_field users launches))" [ "$(status_field users launches)" = 1 ]
check "status says the caller pod launched users ($(status_field users reason.text))" [ "$(status_field users reason.service)" = caller ]
check "the call graph counts the 20 calls on caller → users" eventually 10 equals 20 edge_count caller users

# Pod → the service the developer runs in the IDE (adopted as external, never launched).
reply=$(pod_call caller "http://127.0.0.1:$ide_mesh/")
check "the pod reached the IDE-run server (got $(code_of "$reply"))" answered "$reply" "hello from the IDE"
external_never_launched() { state_is "$1" external && equals 0 status_field "$1" launches; }
check "ide is adopted as external ($(status_field ide state)), never launched" external_never_launched ide
check "the call graph counts caller → ide" eventually 10 at_least 1 edge_count caller ide

# Pod → a stopped pod: through the link, the laptop scales it up and forwards.
check "stock (a pod) is stopped before the pod calls it" state_is stock stopped
reply=$(pod_call caller "http://127.0.0.1:$stock_port/")
check "the caller pod's cold call to stock answered 200 (got $(code_of "$reply"))" [ "$(code_of "$reply")" = 200 ]
check "status says the caller pod launched stock ($(status_field stock reason.text))" [ "$(status_field stock reason.service)" = caller ]

# Pod → ready pod: straight from pod to pod, reported by the gateway (status counts it) but never proxied by the laptop.
sleep 3 # the laptop tells every gateway stock's address once its pod is Ready
requests_before=$(status_field stock requests) recent_before=$(recent_count stock)
# shellcheck disable=SC2016 # expanded by the pod's shell
codes=$(in_pod caller sh -c 'for _ in $(seq 10); do curl -s -o /dev/null -w "%{http_code}\n" --max-time 30 "$1"; done' sh "http://127.0.0.1:$stock_port/")
check "10 warm calls from the caller pod to stock answered 200" [ "$(count_200 "$codes")" = 10 ]
check "status counts them (requests ${requests_before:-?} → at least +10)" eventually 15 at_least $((requests_before + 10)) status_field stock requests
# Not more than before (the list of recent requests is bounded: older ones may leave it), and only if the calls were made.
not_proxied() { [ "$(count_200 "$codes")" = 10 ] && [ "$(recent_count stock)" -le "${recent_before:-0}" ]; }
check "the laptop's proxy carried none of them (recent requests to stock: $recent_before → $(recent_count stock))" not_proxied
check "the call graph counts them on caller → stock ($(edge_count caller stock))" at_least 11 edge_count caller stock

# Server-sent events from a stopped laptop service reach the pod as a stream, not as one buffered answer.
# shellcheck disable=SC2016 # expanded by the pod's shell
reply=$(in_pod caller sh -c 'curl -sN --max-time 60 -w "\n%{time_starttransfer} %{time_total}\n" "$1"' sh "http://127.0.0.1:$events_port/" 2>/dev/null)
events=$(grep -c '^data: event [1-5]$' <<<"$reply")
timing=$(tail -n 1 <<<"$reply")
streamed() { [ "$events" = 5 ] && awk -v t="$timing" 'BEGIN { split(t, s, " "); exit !(s[2] - s[1] >= 0.6) }'; }
check "server-sent events from a stopped laptop service reach the pod as a stream ($events of 5 events; first byte, end: ${timing:-?} s)" streamed

# A laptop service that fails to launch: the pod gets the mesh's 503 with the cause and the last lines, as a laptop caller does.
reply=$(pod_call caller "http://127.0.0.1:$crashing_port/")
failed_as_on_the_laptop() { [ "$(code_of "$reply")" = 503 ] && grep -q "exited with code 3" <<<"$reply" && grep -q "fatal: config missing" <<<"$reply"; }
check "a laptop service that exits at launch: the pod gets 503 with the exit code and its last line (got $(code_of "$reply"))" failed_as_on_the_laptop

# A pod of the team's own manifests: Deployment joins the mesh the same way.
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 300 "http://127.0.0.1:$billing_port/")
check "billing (the team's own Deployment) answered its cold call (got $code)" [ "$code" = 200 ]
check "the team's pod carries the meshdev-gateway sidecar" [ "$(gateway_image_of billing)" = "$expected_gateway" ]
reply=$(pod_call billing "http://127.0.0.1:$users_port/")
check "the team's pod reached users through its gateway (got $(code_of "$reply"))" answered "$reply" "hello from users"

# Figures. Cold: the same stopped laptop service, called from the pod and on the laptop (3 rounds, the median).
cold_pod=() cold_laptop=()
for _ in 1 2 3; do
  "${meshdev[@]}" stop users -f "$manifest" >/dev/null
  cold_pod+=("$(in_pod caller curl -s -o /dev/null -w '%{time_total}' --max-time 120 "http://127.0.0.1:$users_port/")")
  "${meshdev[@]}" stop users -f "$manifest" >/dev/null
  cold_laptop+=("$(curl -s -o /dev/null -w '%{time_total}' --max-time 120 "http://127.0.0.1:$users_port/")")
done
figure "cold call to a stopped laptop service (python3 http.server), median of 3" "pod → laptop: $(ms "$(printf '%s\n' "${cold_pod[@]}" | median)")" "laptop → laptop: $(ms "$(printf '%s\n' "${cold_laptop[@]}" | median)")"

# Warm p50: pod → laptop service through the gateway and the link, vs laptop → a pod through a plain port-forward.
# shellcheck disable=SC2016 # expanded by the pod's shell
warm_pod=$(in_pod caller sh -c 'for _ in $(seq 200); do curl -s -o /dev/null -w "%{time_total}\n" "$1"; done' sh "http://127.0.0.1:$users_port/" | median)
"${kc[@]}" port-forward "pod/$(pod_of stock)" "$forward_port:$pod_port" >"$work/port-forward.log" 2>&1 &
forward_pid=$!
if eventually 20 curl -s -o /dev/null "http://127.0.0.1:$forward_port/"; then
  warm_forward=$(for _ in $(seq 200); do curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$forward_port/"; done | median)
else
  warm_forward=''
  echo "k8s-smoke: kubectl port-forward did not answer; see $work/port-forward.log"
fi
kill "$forward_pid" 2>/dev/null
forward_pid=''
warm_server=$(for _ in $(seq 200); do curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$ide_port/"; done | median)
figure "warm call p50, 200 sequential calls" "pod → laptop service: $(ms "$warm_pod")" "laptop → pod ($image) by kubectl port-forward: $(ms "$warm_forward"); the laptop server alone: $(ms "$warm_server")"

# Warm pod → ready pod: through the caller's gateway (a direct route) vs to stock's pod IP, 1000 calls on one connection.
stock_ip=$("${kc[@]}" get pod "$(pod_of stock)" -o jsonpath='{.status.podIP}' 2>/dev/null)
through_gateway=$(in_pod caller curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$stock_port/?[1-1000]" | rate)
direct=$(in_pod caller curl -s -o /dev/null -w '%{time_total}\n' "http://$stock_ip:$pod_port/?[1-1000]" | rate)
figure "warm pod → ready pod, one keep-alive connection" "through the gateway: $through_gateway" "pod → pod direct ($stock_ip): $direct"

# The link lost: the mesh's daemon frozen (as a laptop asleep) past the gateway's 15 s liveness ping.
daemon_pid=$(mesh_pid)
users_url="http://127.0.0.1:$users_port/"
not_connected() { local reply; reply=$(pod_call caller "$users_url" --max-time 5); [ "$(code_of "$reply")" = 503 ] && grep -q "not connected" <<<"$reply"; }
reaches_users() { answered "$(pod_call caller "$users_url")" "hello from users"; }
if [ -n "$daemon_pid" ] && kill -STOP "$daemon_pid"; then
  frozen_pid=$daemon_pid
  check "link lost: the pod's call to users gets 503 \"not connected\" within 60 s" eventually 60 not_connected
  timed=$(in_pod caller curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 20 "$users_url")
  at_once() { [ "${timed%% *}" = 503 ] && faster_than "${timed#* }" 1; }
  check "while it is down the gateway answers 503 at once (code and seconds: ${timed:-nothing})" at_once
  kill -CONT "$daemon_pid"
  frozen_pid=''
  check "the link comes back by itself (status: connected) within 60 s" eventually 60 link_connected caller
  check "and the pod reaches users again" eventually 30 reaches_users
else
  fail "could not freeze the mesh's daemon (pid ${daemon_pid:-unknown})"
fi
links=''
links_were_ok() { [[ $links == "ok "*connected* ]]; }
links_ok() { links=$(doctor_pod_links); links_were_ok; }
eventually 30 links_ok # stock's and billing's links come back by themselves too, each on its own back-off
check "doctor shows the pod links ($links)" links_were_ok

# Multi-tenant safety: an object without the owner label is never touched.
"${kc[@]}" create deployment smoke-foreign --image="$image" --replicas=0 >/dev/null
"${meshdev[@]}" down -f "$manifest" >/dev/null
check "down: Deployment smoke scaled to 0" replicas_are smoke 0
all_at_0() { local deployment; for deployment in "$@"; do replicas_are "$deployment" 0 || return 1; done; }
check "down: Deployments caller, stock and billing scaled to 0" all_at_0 caller stock billing
# none_of_mesh KINDS: nothing of those kinds carries this mesh's label (false when the label was never read).
none_of_mesh() { local objects; [ -n "$mesh_id" ] && objects=$("${kc[@]}" get "$1" -l "dev.meshdev.mesh=$mesh_id" -o name 2>/dev/null) && [ -z "$objects" ]; }
check "down: no pod of the mesh is left (gateways included)" eventually 120 none_of_mesh pods
check "down: the IDE-run server is still running" curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$ide_port/"
"${meshdev[@]}" down -f "$manifest" --purge
check "down --purge: Deployment smoke deleted" eventually 60 gone deployment smoke
check "down --purge: Service smoke deleted" gone service smoke
check "down --purge: no object of the mesh is left" eventually 60 none_of_mesh deployments,services,pods,configmaps,secrets
check "down --purge: the Deployment without the owner label is still there" "${kc[@]}" get deployment smoke-foreign -o name

# The figures, recorded without targets (the targets in devtools/bench hold for the stand-in).
echo
echo "k8s-smoke: figures on context '$context' ($(date -u +%Y-%m-%dT%H:%MZ))"
table=("| measure | issue 14's side | baseline |" "| --- | --- | --- |" "${figures[@]}")
printf '%s\n' "${table[@]}"
if [ -n "${MESHDEV_SMOKE_FIGURES:-}" ]; then
  { echo "k8s-smoke on context '$context', $(date -u +%Y-%m-%dT%H:%MZ)"; echo; printf '%s\n' "${table[@]}"; } >"$MESHDEV_SMOKE_FIGURES" &&
    echo "k8s-smoke: figures written to $MESHDEV_SMOKE_FIGURES"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
