#!/usr/bin/env bash
# The main job of multus, shown end to end on this machine (Debian 12, as root):
# installs the packages, builds, then plays kubelet: one pod gets three networks
#   eth0  cluster network   bridge + host-local   (clusterNetwork: a file in confDir)
#   net1  default network   macvlan on a veth     (defaultNetworks[0])
#   net2  default network   a second bridge       (defaultNetworks[1])
# and a DEL removes everything again.
#
# Part 2 does the same the Kubernetes way, against the stand-in kube-apiserver of the tests
# (tests/apiserver/fake_apiserver.py, HTTPS with a throwaway CA and a bearer token): the pod
# default/demo-pod carries the annotation
#   k8s.v1.cni.cncf.io/networks: macvlan-conf, other-ns/bridge-conf@fast0
# and gets eth0 (cluster network), net1 (NAD default/macvlan-conf) and fast0 (NAD
# other-ns/bridge-conf); multus writes the pod's network-status annotation, and DEL works from
# its cache without a single API request.
#
# All of it happens inside throwaway network namespaces ("node" and one per pod) and a temp dir,
# removed on exit, and the apiserver runs inside the node namespace (stopped by PID on exit);
# the machine's own network is never touched.
#
# MULTUS_BIN=/path/to/multus skips the install and build steps.
set -euo pipefail
cd "$(dirname "$0")/.."

bold="" reset=""
if [[ -t 1 ]]; then
  bold=$(tput bold 2>/dev/null || true)
  reset=$(tput sgr0 2>/dev/null || true)
fi
step=0
heading() {
  step=$((step + 1))
  printf '\n%s== %d. %s ==%s\n' "$bold" "$step" "$*" "$reset"
}
part() {
  printf '\n%s######## %s ########%s\n' "$bold" "$*" "$reset"
}
die() {
  echo "demo: $*" >&2
  exit 1
}

[[ $(id -u) -eq 0 ]] || die "run me as root (I create network namespaces)"

if [[ -z ${MULTUS_BIN:-} ]]; then
  heading "Installing the Debian packages (only what is missing)"
  ./scripts/install-deps.sh
  heading "Building multus"
  # The demo needs only the plugin, not the test binaries.
  BUILD_TARGETS=multus ./scripts/build.sh >/tmp/multus-demo-build.log 2>&1 ||
    { tail -40 /tmp/multus-demo-build.log; die "build failed (log: /tmp/multus-demo-build.log)"; }
  echo "built ${BUILD_DIR:-build}/multus"
  MULTUS_BIN=$PWD/${BUILD_DIR:-build}/multus
fi
[[ -x $MULTUS_BIN ]] || die "no multus binary at $MULTUS_BIN"
[[ -x /usr/lib/cni/bridge ]] || die "containernetworking-plugins missing in /usr/lib/cni"

# ---------------------------------------------------------------------------------------
tag=$(printf '%04x' $((RANDOM % 65536)))
NODE=multus-demo-node-$$-$tag
POD=multus-demo-pod-$$-$tag
POD2=multus-demo-pod2-$$-$tag
WORK=$(mktemp -d /tmp/multus-demo.XXXXXX)
API_PID=""
cleanup() {
  if [[ -n $API_PID ]]; then # the stand-in apiserver (part 2), our own child
    kill -TERM "$API_PID" 2>/dev/null || true
    wait "$API_PID" 2>/dev/null || true
  fi
  ip netns del "$POD2" 2>/dev/null || true
  ip netns del "$POD" 2>/dev/null || true
  ip netns del "$NODE" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

part "Part 1: networks from files"
heading "Creating a throwaway node namespace and pod namespace"
ip netns add "$NODE"
ip netns add "$POD"
ip -n "$NODE" link set lo up
ip -n "$POD" link set lo up
# A veth pair inside the node namespace: one end is the macvlan master.
ip -n "$NODE" link add demo-uplink type veth peer name demo-peer
ip -n "$NODE" link set demo-uplink up
ip -n "$NODE" link set demo-peer up
echo "node namespace: $NODE (holds the bridges and the macvlan master demo-uplink)"
echo "pod namespace:  $POD"

CONF_DIR=$WORK/net.d
CNI_DIR=$WORK/cni
IPAM_DIR=$WORK/ipam
mkdir -p "$CONF_DIR"

cat >"$CONF_DIR/10-cluster.conf" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "demo-cluster",
  "type": "bridge",
  "bridge": "demo-br0",
  "isGateway": true,
  "ipam": {"type": "host-local", "subnet": "10.244.77.0/24", "dataDir": "$IPAM_DIR"}
}
JSON
cat >"$CONF_DIR/20-macvlan.conf" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "demo-macvlan",
  "type": "macvlan",
  "master": "demo-uplink",
  "mode": "bridge",
  "ipam": {"type": "host-local", "subnet": "172.31.77.0/24", "dataDir": "$IPAM_DIR"}
}
JSON
cat >"$CONF_DIR/30-storage.conf" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "demo-storage",
  "type": "bridge",
  "bridge": "demo-br1",
  "ipam": {"type": "host-local", "subnet": "10.245.77.0/24", "dataDir": "$IPAM_DIR"}
}
JSON
cat >"$WORK/00-multus.conf" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "multus-cni-network",
  "type": "multus",
  "confDir": "$CONF_DIR",
  "cniDir": "$CNI_DIR",
  "binDir": "/usr/lib/cni",
  "clusterNetwork": "demo-cluster",
  "defaultNetworks": ["demo-macvlan", "demo-storage"]
}
JSON

heading "The multus config (what kubelet's runtime sends on stdin)"
cat "$WORK/00-multus.conf"
echo
echo "confDir $CONF_DIR holds: $(cd "$CONF_DIR" && echo *)"

CID=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
UID_=$(cat /proc/sys/kernel/random/uuid)
run_multus() { # <command>: runs multus in the node namespace exactly as kubelet would
  ip netns exec "$NODE" env -i \
    PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    CNI_COMMAND="$1" \
    CNI_CONTAINERID="$CID" \
    CNI_NETNS="/var/run/netns/$POD" \
    CNI_IFNAME=eth0 \
    CNI_PATH=/usr/lib/cni \
    CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=demo-pod;K8S_POD_INFRA_CONTAINER_ID=$CID;K8S_POD_UID=$UID_" \
    "$MULTUS_BIN" <"$WORK/00-multus.conf"
}

heading "multus ADD (the result kubelet gets back: the cluster network's)"
if ! result=$(run_multus ADD); then
  echo "$result"
  die "multus ADD failed"
fi
echo "$result"

heading "What the pod now has: ip -n $POD addr  (eth0 cluster, net1 macvlan, net2 bridge)"
ip -n "$POD" addr
missing=""
for ifname in eth0 net1 net2; do
  ip -n "$POD" link show "$ifname" >/dev/null 2>&1 || missing+=" $ifname"
done
[[ -z $missing ]] || die "missing interfaces in the pod:$missing"
echo
echo "host-local allocations:"
(cd "$IPAM_DIR" && find . -type f ! -name lock ! -name 'last_reserved_ip*' | sed 's|^\./|  |' | sort)
echo "multus caches:"
(cd "$CNI_DIR" && find . -type f ! -path './locks/*' | sed 's|^\./|  |' | sort)

heading "multus DEL"
run_multus DEL
echo "DEL succeeded"

heading "After DEL: nothing is left"
ip -n "$POD" addr
leftover_links=$(ip -n "$POD" -o link show | awk -F': ' '{print $2}' | grep -v '^lo$' || true)
leftover_ips=$(cd "$IPAM_DIR" && find . -type f ! -name lock ! -name 'last_reserved_ip*')
leftover_caches=$(cd "$CNI_DIR" && find . -type f ! -path './locks/*')
echo "pod interfaces besides lo: ${leftover_links:-none}"
echo "host-local allocations:    ${leftover_ips:-none}"
echo "multus caches:             ${leftover_caches:-none}"
[[ -z $leftover_links && -z $leftover_ips && -z $leftover_caches ]] || die "something was left behind"

echo "Part 1 done: three networks attached and cleanly removed."

# ---------------------------------------------------------------------------------------
part "Part 2: the Kubernetes flow (NADs and annotations from the API server)"

K8S=$WORK/k8s
PKI=$K8S/pki
mkdir -p "$PKI"
k8s() { python3 scripts/demo_k8s.py "$K8S/control.sock" "$@"; } # the stand-in's control API

heading "A throwaway CA and a server certificate for 127.0.0.1 (openssl)"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$PKI/ca.key"
openssl req -x509 -new -key "$PKI/ca.key" -subj /CN=multus-demo-ca -days 1 -sha256 \
  -out "$PKI/ca.crt"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$PKI/server.key"
openssl req -new -key "$PKI/server.key" -subj /CN=fake-apiserver -out "$PKI/server.csr"
printf '%s\n' "basicConstraints = CA:FALSE" "extendedKeyUsage = serverAuth" \
  "subjectAltName = IP:127.0.0.1, DNS:localhost" >"$PKI/server.ext"
openssl x509 -req -in "$PKI/server.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
  -days 1 -sha256 -extfile "$PKI/server.ext" -out "$PKI/server.crt" 2>"$PKI/sign.log" ||
  { cat "$PKI/sign.log"; die "signing the server certificate failed"; }
openssl verify -CAfile "$PKI/ca.crt" "$PKI/server.crt"
openssl x509 -in "$PKI/server.crt" -noout -subject -ext subjectAltName

heading "Starting the stand-in kube-apiserver inside $NODE (on its 127.0.0.1)"
head -c 24 /dev/urandom | base64 | tr -d '\n/+=' >"$K8S/token"
chmod 600 "$K8S/token"
ip netns exec "$NODE" python3 tests/apiserver/fake_apiserver.py \
  --cert "$PKI/server.crt" --key "$PKI/server.key" --host 127.0.0.1 --port 0 \
  --port-file "$K8S/apiserver.port" --token-file "$K8S/token" \
  --control-socket "$K8S/control.sock" >/dev/null 2>"$K8S/apiserver.log" &
API_PID=$! # `ip netns exec` execs the command: this is the server's own PID
for _ in $(seq 200); do
  [[ -s $K8S/apiserver.port && -S $K8S/control.sock ]] && break
  kill -0 "$API_PID" 2>/dev/null || { cat "$K8S/apiserver.log"; die "the apiserver exited"; }
  sleep 0.1
done
[[ -s $K8S/apiserver.port ]] || die "the apiserver did not start (log: $K8S/apiserver.log)"
API_URL=https://127.0.0.1:$(cat "$K8S/apiserver.port")
echo "apiserver PID $API_PID listening on $API_URL (only inside $NODE); bearer token in $K8S/token"
echo "control API (seeding, request log): unix socket $K8S/control.sock"

cat >"$K8S/multus.kubeconfig" <<YAML
apiVersion: v1
kind: Config
clusters:
- name: demo
  cluster:
    server: $API_URL
    certificate-authority-data: $(base64 -w0 "$PKI/ca.crt")
users:
- name: multus
  user:
    tokenFile: $K8S/token
contexts:
- name: demo
  context:
    cluster: demo
    user: multus
current-context: demo
YAML
chmod 600 "$K8S/multus.kubeconfig"
echo
echo "kubeconfig for multus ($K8S/multus.kubeconfig):"
sed 's/^\(    certificate-authority-data: .\{24\}\).*/\1.../' "$K8S/multus.kubeconfig"

heading "Seeding the API: two NetworkAttachmentDefinitions and the pod"
cat >"$K8S/macvlan-conf.json" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "macvlan-conf",
  "type": "macvlan",
  "master": "demo-uplink",
  "mode": "bridge",
  "ipam": {"type": "host-local", "subnet": "172.31.78.0/24", "dataDir": "$IPAM_DIR"}
}
JSON
cat >"$K8S/bridge-conf.json" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "bridge-conf",
  "type": "bridge",
  "bridge": "demo-br2",
  "ipam": {"type": "host-local", "subnet": "10.246.77.0/24", "dataDir": "$IPAM_DIR"}
}
JSON
k8s add-nad default macvlan-conf "$K8S/macvlan-conf.json"
k8s add-nad other-ns bridge-conf "$K8S/bridge-conf.json"
POD2_UID=$(cat /proc/sys/kernel/random/uuid)
NETWORKS_ANNOTATION="macvlan-conf, other-ns/bridge-conf@fast0"
k8s add-pod default demo-pod "$POD2_UID" "$NETWORKS_ANNOTATION"
echo "NAD default/macvlan-conf  spec.config:"
sed 's/^/  /' "$K8S/macvlan-conf.json"
echo "NAD other-ns/bridge-conf  spec.config:"
sed 's/^/  /' "$K8S/bridge-conf.json"
echo "pod default/demo-pod  uid $POD2_UID"
echo "  annotations: k8s.v1.cni.cncf.io/networks: $NETWORKS_ANNOTATION"

cat >"$K8S/00-multus.conf" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "multus-cni-network",
  "type": "multus",
  "kubeconfig": "$K8S/multus.kubeconfig",
  "confDir": "$CONF_DIR",
  "cniDir": "$CNI_DIR",
  "binDir": "/usr/lib/cni",
  "clusterNetwork": "demo-cluster"
}
JSON
heading "The multus config: a kubeconfig, and the cluster network from confDir as in part 1"
cat "$K8S/00-multus.conf"

heading "Creating a fresh pod namespace"
ip netns add "$POD2"
ip -n "$POD2" link set lo up
echo "pod namespace: $POD2"

CID2=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
kubelet_cni() { # <command>: multus in the node namespace, as kubelet runs it for demo-pod
  ip netns exec "$NODE" env -i \
    PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    CNI_COMMAND="$1" \
    CNI_CONTAINERID="$CID2" \
    CNI_NETNS="/var/run/netns/$POD2" \
    CNI_IFNAME=eth0 \
    CNI_PATH=/usr/lib/cni \
    CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=demo-pod;K8S_POD_INFRA_CONTAINER_ID=$CID2;K8S_POD_UID=$POD2_UID" \
    "$MULTUS_BIN" <"$K8S/00-multus.conf"
}

heading "multus ADD for default/demo-pod"
seq_before_add=$(k8s last-seq)
if ! result=$(kubelet_cni ADD); then
  echo "$result"
  die "multus ADD failed"
fi
echo "$result"

heading "What the pod now has: ip -n $POD2 -br addr  (eth0 cluster, net1 macvlan-conf, fast0 bridge-conf)"
ip -n "$POD2" -br addr
missing=""
for ifname in eth0 net1 fast0; do
  ip -n "$POD2" link show "$ifname" >/dev/null 2>&1 || missing+=" $ifname"
done
[[ -z $missing ]] || die "missing interfaces in the pod:$missing"

heading "The pod's k8s.v1.cni.cncf.io/network-status annotation, read back from the API"
k8s network-status default demo-pod || die "multus wrote no network-status annotation"

heading "The API requests the ADD made"
k8s requests "$seq_before_add"
echo "(the 404 for kube-system/demo-cluster: clusterNetwork is not a NAD, so multus used the file in confDir)"

heading "multus DEL for default/demo-pod"
seq_before_del=$(k8s last-seq)
kubelet_cni DEL
echo "DEL succeeded"

heading "After DEL: nothing is left, and DEL asked the API nothing (it works from its cache)"
ip -n "$POD2" -br addr
leftover_links=$(ip -n "$POD2" -o link show | awk -F': ' '{print $2}' | grep -v '^lo$' || true)
leftover_ips=$(cd "$IPAM_DIR" && find . -type f ! -name lock ! -name 'last_reserved_ip*')
leftover_caches=$(cd "$CNI_DIR" && find . -type f ! -path './locks/*')
echo "pod interfaces besides lo: ${leftover_links:-none}"
echo "host-local allocations:    ${leftover_ips:-none}"
echo "multus caches:             ${leftover_caches:-none}"
echo "API requests made by DEL:"
del_requests=$(k8s requests "$seq_before_del")
echo "$del_requests"
[[ -z $leftover_links && -z $leftover_ips && -z $leftover_caches ]] || die "something was left behind"
[[ $del_requests == *"(0 requests)" ]] || die "DEL made API requests"

printf '\n%sDemo done: three networks attached and cleanly removed, from files and from the API.%s\n' \
  "$bold" "$reset"
