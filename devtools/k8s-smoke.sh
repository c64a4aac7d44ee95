#!/usr/bin/env bash
# The Kubernetes runtime's scenario against a real cluster (kind, k3d, minikube or a shared one), the same one the
# tests in tests/MeshDev.Kubernetes.Tests/Runtime run against the API-server stand-in:
#   lazy (no pod before the first call) → cold call: scale to 1, watch until Ready, port-forward, answer →
#   concurrent cold calls scale up once → idle: back to 0 → a missing image fails fast with the reason →
#   an object without the owner label is never touched → `down` scales to 0 → `down --purge` deletes what MeshDev made.
#
# Usage: KUBECONFIG=~/.kube/config ./devtools/k8s-smoke.sh
# Needs: dotnet, kubectl and curl; a cluster that can pull $MESHDEV_SMOKE_IMAGE (for kind without a registry mirror:
# `docker pull IMAGE && kind load docker-image IMAGE`), and the permissions in README "Kubernetes dev namespace".
# Settings (environment):
#   MESHDEV_SMOKE_CONTEXT    kubeconfig context (default: the current one)
#   MESHDEV_SMOKE_NAMESPACE  namespace (default: MeshDev's own, meshdev-$USER; set it to a pre-created one on a shared cluster)
#   MESHDEV_SMOKE_IMAGE      an HTTP server that runs as a non-root numeric user (default nginxinc/nginx-unprivileged:1.27-alpine)
#   MESHDEV_SMOKE_PORT       the port it listens on in its pod (default 8080)
#   MESHDEV_SMOKE_MESH_PORT  first of the local ports the mesh uses (default 15900: 15900 shared, 15910 xDS, 15920+ services)
# Ends with "N passed, N failed"; exit code 0 only when everything passed. It cleans up after itself (down --purge).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

if [ -z "${KUBECONFIG:-}" ]; then
  echo "k8s-smoke: skipped: KUBECONFIG is not set. Point it at a cluster you may use (kind create cluster, k3d cluster create, minikube start write one), e.g. KUBECONFIG=~/.kube/config $0"
  exit 0
fi
for tool in dotnet kubectl curl; do
  command -v "$tool" >/dev/null || { echo "k8s-smoke: $tool is needed on PATH"; exit 1; }
done

image=${MESHDEV_SMOKE_IMAGE:-nginxinc/nginx-unprivileged:1.27-alpine}
pod_port=${MESHDEV_SMOKE_PORT:-8080}
base=${MESHDEV_SMOKE_MESH_PORT:-15900}
context=${MESHDEV_SMOKE_CONTEXT:-$(kubectl config current-context 2>/dev/null)}
owner=$(id -un | tr '[:upper:]' '[:lower:]' | sed -E 's/[^a-z0-9]+/-/g; s/^-+//; s/-+$//' | cut -c1-40 | sed -E 's/-+$//')
namespace=${MESHDEV_SMOKE_NAMESPACE:-meshdev-${owner:-user}}
kc=(kubectl --context "$context" -n "$namespace")

passed=0 failed=0
pass() { echo "k8s-smoke: PASS $*"; passed=$((passed + 1)); }
fail() { echo "k8s-smoke: FAIL $*"; failed=$((failed + 1)); }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }

# Polls (bounded) until a command succeeds: the cluster does its work asynchronously.
eventually() { local seconds=$1; shift; local end=$((SECONDS + seconds)); until "$@"; do [ $SECONDS -ge $end ] && return 1; sleep 1; done; }
replicas() { "${kc[@]}" get deployment "$1" -o jsonpath='{.spec.replicas}' 2>/dev/null; }
replicas_are() { [ "$(replicas "$1")" = "$2" ]; }

echo "k8s-smoke: context '$context', namespace $namespace, image $image (port $pod_port)"
dotnet build src/MeshDev.Cli -nologo -v q >/dev/null || { echo "k8s-smoke: the CLI does not build"; exit 1; }
meshdev=(dotnet "src/MeshDev.Cli/bin/Debug/net10.0/meshdev.dll")

work=$(mktemp -d)
manifest="$work/meshdev.yaml"
cat >"$manifest" <<EOF
mesh: { http: $base, xds: $((base + 10)), portRange: $((base + 20))-$((base + 99)) }
services:
  smoke:
    runtime: kubernetes
    image: $image
    port: $pod_port
    meshPort: $((base + 21))
    ready: { http: / }
    idleTimeout: 20s
    startTimeout: 5m
$( [ -n "${MESHDEV_SMOKE_CONTEXT:-}" ] && echo "    context: $context" )
$( [ -n "${MESHDEV_SMOKE_NAMESPACE:-}" ] && echo "    namespace: $namespace" )
  broken:
    runtime: kubernetes
    image: meshdev.invalid/does-not-exist:1
    port: $pod_port
    meshPort: $((base + 22))
    startTimeout: 5m
$( [ -n "${MESHDEV_SMOKE_CONTEXT:-}" ] && echo "    context: $context" )
$( [ -n "${MESHDEV_SMOKE_NAMESPACE:-}" ] && echo "    namespace: $namespace" )
EOF

cleanup() {
  "${meshdev[@]}" down -f "$manifest" --purge >/dev/null 2>&1
  "${kc[@]}" delete deployment smoke-foreign --ignore-not-found >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

"${meshdev[@]}" up -f "$manifest" --detach || { echo "k8s-smoke: meshdev up failed; see $work/.meshdev/daemon.log"; exit 1; }

no_pods() { [ -z "$("${kc[@]}" get pods -l dev.meshdev.service=smoke -o name 2>/dev/null)" ]; }
owner_label_is() { [ "$("${kc[@]}" get deployment smoke -o jsonpath='{.metadata.labels.dev\.meshdev\.owner}' 2>/dev/null)" = "$1" ]; }
seccomp_is_runtime_default() {
  "${kc[@]}" get pods -l dev.meshdev.service=smoke -o jsonpath='{.items[0].spec.securityContext.seccompProfile.type}' 2>/dev/null | grep -qx RuntimeDefault
}
count_200() { grep -c '^200$' <<<"$1"; }
gone() { ! "${kc[@]}" get "$1" "$2" >/dev/null 2>&1; }
names_a_pull_failure() { grep -Eq 'ErrImagePull|ImagePullBackOff|InvalidImageName' <<<"$1"; }
parallel_calls() { for _ in $(seq "$1"); do curl -s -o /dev/null -w '%{http_code}\n' --max-time 300 "$2" & done; wait; }
url="http://127.0.0.1:$((base + 21))/"

# Lazy: nothing runs before the first call.
check "no pod before the first call" no_pods

# Cold call: scale to 1, watch until Ready, forward, answer.
start=$SECONDS
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 300 "$url")
check "cold call answered 200 (got $code after $((SECONDS - start)) s)" [ "$code" = 200 ]
check "Deployment smoke scaled to 1" replicas_are smoke 1
check "Deployment smoke carries the owner label $owner" owner_label_is "$owner"
check "the generated pod runs with seccomp RuntimeDefault" seccomp_is_runtime_default

# Concurrent calls on the ready service.
codes=$(parallel_calls 10 "$url")
check "10 concurrent calls answered 200" [ "$(count_200 "$codes")" = 10 ]

# Idle: back to 0 replicas; then concurrent cold calls launch it once.
check "idle: scaled back to 0 within 90 s" eventually 90 replicas_are smoke 0
codes=$(parallel_calls 10 "$url")
check "10 concurrent cold calls answered 200" [ "$(count_200 "$codes")" = 10 ]
launches=$("${meshdev[@]}" status -f "$manifest" --json | tr -d ' \n' | grep -o '"name":"smoke"[^}]*"launches":[0-9]*' | grep -o '[0-9]*$')
check "the concurrent cold calls launched it once (launches: ${launches:-?}, expected 2)" [ "${launches:-0}" = 2 ]

# A missing image fails fast (long before the 5 min startTimeout) with the reason.
start=$SECONDS
body=$(curl -s --max-time 120 "http://127.0.0.1:$((base + 22))/")
check "missing image: 503 within 120 s naming the pull failure (after $((SECONDS - start)) s)" names_a_pull_failure "$body"

# Multi-tenant safety: an object without the owner label is never touched.
"${kc[@]}" create deployment smoke-foreign --image="$image" --replicas=0 >/dev/null
"${meshdev[@]}" down -f "$manifest" >/dev/null
check "down: Deployment smoke scaled to 0" replicas_are smoke 0
"${meshdev[@]}" down -f "$manifest" --purge
check "down --purge: Deployment smoke deleted" eventually 60 gone deployment smoke
check "down --purge: Service smoke deleted" gone service smoke
check "down --purge: the Deployment without the owner label is still there" "${kc[@]}" get deployment smoke-foreign -o name

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
