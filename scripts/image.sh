#!/usr/bin/env bash
# Builds the DaemonSet image (deployments/Dockerfile) offline, with Debian's buildah and a base
# made by debootstrap from this machine's own Debian archive (no registry is needed), then runs
# multus-install in it exactly as the DaemonSet does, against temporary host directories, and
# checks what it installed.
#
#   scripts/image.sh            # as root; IMAGE=localhost/multus-cpp:<version> by default
#
# WORK (default build/image) keeps the debootstrap'ed base between runs; REUSE_IMAGE=1 skips
# the build when $IMAGE exists (to rerun only the DaemonSet check).
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=$(sed -n 's/^project(multus_cpp VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
IMAGE=${IMAGE:-localhost/multus-cpp:$VERSION}
BASE_IMAGE=localhost/multus-cpp-base:bookworm
WORK=${WORK:-$PWD/build/image}
export STORAGE_DRIVER=${STORAGE_DRIVER:-vfs}  # works on any filesystem, in any container
BUILDAH=(buildah --storage-driver "$STORAGE_DRIVER")

die() {
  echo "image: $*" >&2
  exit 1
}
[[ $(id -u) -eq 0 ]] || die "run me as root"
./scripts/install-deps.sh --image
mkdir -p "$WORK"

# ---- the base: Debian bookworm minbase, apt pointed at this machine's archive -------------
if ! "${BUILDAH[@]}" inspect --type image "$BASE_IMAGE" >/dev/null 2>&1; then
  echo "image: making $BASE_IMAGE with debootstrap"
  rm -rf "$WORK/base"
  debootstrap --variant=minbase bookworm "$WORK/base" "$(python3 scripts/apt-deb-src.py --mirror)" \
    >"$WORK/debootstrap.log" 2>&1 || die "debootstrap failed (log: $WORK/debootstrap.log)"
  rm -f "$WORK/base/etc/apt/sources.list"
  python3 scripts/apt-deb-src.py --binary >"$WORK/base/etc/apt/sources.list.d/debian.sources"
  container=$("${BUILDAH[@]}" from scratch)
  mount=$("${BUILDAH[@]}" mount "$container")
  cp -a "$WORK/base/." "$mount/"
  "${BUILDAH[@]}" umount "$container" >/dev/null
  "${BUILDAH[@]}" commit --rm "$container" "$BASE_IMAGE" >/dev/null
  rm -rf "$WORK/base"
fi

# ---- the image ----------------------------------------------------------------------------
start=$SECONDS
if [[ ${REUSE_IMAGE:-0} == 1 ]] && "${BUILDAH[@]}" inspect --type image "$IMAGE" >/dev/null 2>&1; then
  echo "image: reusing $IMAGE"
else
"${BUILDAH[@]}" build --isolation chroot --network host --layers=false \
  -f deployments/Dockerfile --build-arg BASE="$BASE_IMAGE" \
  --build-arg GIT_COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  -t "$IMAGE" . >"$WORK/build.log" 2>&1 || { tail -40 "$WORK/build.log"; die "build failed"; }
echo "image: built $IMAGE in $((SECONDS - start)) s"
fi
"${BUILDAH[@]}" images --format '{{.Name}}:{{.Tag}} {{.Size}}' "$IMAGE"

# ---- run multus-install as the DaemonSet does ----------------------------------------------
HOST=$(mktemp -d "$WORK/host.XXXXXX")
container=""
cleanup() {
  [[ -n $container ]] && "${BUILDAH[@]}" rm "$container" >/dev/null 2>&1
  rm -rf "$HOST"
}
trap cleanup EXIT
mkdir -p "$HOST/etc/cni/net.d" "$HOST/opt/cni/bin" "$HOST/etc/cni/multus/net.d" \
  "$HOST/var/lib/cni/multus" "$HOST/serviceaccount"
cat >"$HOST/etc/cni/net.d/10-primary.conflist" <<'JSON'
{"cniVersion":"1.0.0","name":"primary","plugins":[{"type":"bridge","bridge":"cni0","ipam":{"type":"host-local","subnet":"10.244.0.0/24"}}]}
JSON
echo "image-test-token" >"$HOST/serviceaccount/token"
echo "kube-system" >"$HOST/serviceaccount/namespace"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=test-ca \
  -keyout "$HOST/serviceaccount/ca.key" -out "$HOST/serviceaccount/ca.crt" 2>/dev/null

# The DaemonSet's args (deployments/multus-daemonset.yml), once instead of watching.
mapfile -t args < <(python3 - <<'PY'
import re
text = open("deployments/multus-daemonset.yml").read()
block = text[text.index("command: [\"/usr/bin/multus-install\"]"):]
block = block[block.index("args:") + 5:]
for line in block.splitlines()[1:]:
    m = re.match(r'\s+- "(.*)"$', line)
    if not m:
        break
    print(m.group(1))
PY
)
[[ ${#args[@]} -gt 3 ]] || die "no multus-install args found in the DaemonSet"
container=$("${BUILDAH[@]}" from "$IMAGE")
"${BUILDAH[@]}" run --isolation chroot \
  --env KUBERNETES_SERVICE_HOST=10.96.0.1 --env KUBERNETES_SERVICE_PORT=443 \
  --volume "$HOST/etc/cni/net.d:/host/etc/cni/net.d" \
  --volume "$HOST/opt/cni/bin:/host/opt/cni/bin" \
  --volume "$HOST/etc/cni/multus/net.d:/host/etc/cni/multus/net.d" \
  --volume "$HOST/var/lib/cni/multus:/host/var/lib/cni/multus:ro" \
  --volume "$HOST/serviceaccount:/var/run/secrets/kubernetes.io/serviceaccount:ro" \
  "$container" -- /usr/bin/multus-install "${args[@]}" --oneshot
# The readiness probe of the DaemonSet, with the image's own shell.
"${BUILDAH[@]}" run --isolation chroot --volume "$HOST/etc/cni/net.d:/host/etc/cni/net.d" \
  "$container" -- /bin/sh -c \
  'test -s /host/etc/cni/net.d/00-multus.conf -o -s /host/etc/cni/net.d/00-multus.conflist' ||
  die "the readiness probe fails"

# ---- what the node got ----------------------------------------------------------------------
multus=$HOST/opt/cni/bin/multus
file "$multus" | grep -q 'statically linked' || die "the installed multus is not static"
CNI_COMMAND=VERSION "$multus" | grep -q '"1.1.0"' || die "the installed multus does not run"
# A conflist master gives a 00-multus.conflist whose first plugin is multus.
conf=$(ls "$HOST"/etc/cni/net.d/00-multus.conf* 2>/dev/null | head -1)
[[ -s $conf ]] || die "no 00-multus.conf[list]"
jq -e '(.plugins[0] // .) | .type == "multus" and .delegates[0].name == "primary"' "$conf" \
  >/dev/null || die "$(basename "$conf") does not delegate to the primary network: $(cat "$conf")"
kubeconfig=$HOST/etc/cni/net.d/multus.d/multus.kubeconfig
grep -q 'server: https://10.96.0.1:443' "$kubeconfig" || die "the kubeconfig names the wrong server"
[[ $(stat -c %a "$kubeconfig") == 600 ]] || die "the kubeconfig is not 0600"
echo "image: multus-install in $IMAGE installed a static multus ($(stat -c %s "$multus") bytes)," \
  "$(basename "$conf") and the kubeconfig; the readiness probe passes"
