#!/usr/bin/env bash
# The main job of multus, shown end to end on this machine (Debian 12, as root):
# installs the packages, builds, then plays kubelet: one pod gets three networks
#   eth0  cluster network   bridge + host-local   (clusterNetwork: a file in confDir)
#   net1  default network   macvlan on a veth     (defaultNetworks[0])
#   net2  default network   a second bridge       (defaultNetworks[1])
# and a DEL removes everything again. All of it happens inside two throwaway network
# namespaces ("node" and "pod") and a temp dir, removed on exit; the machine's own network
# is never touched.
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
die() {
  echo "demo: $*" >&2
  exit 1
}

[[ $(id -u) -eq 0 ]] || die "run me as root (I create network namespaces)"

if [[ -z ${MULTUS_BIN:-} ]]; then
  heading "Installing the Debian packages (only what is missing)"
  ./scripts/install-deps.sh
  heading "Building multus"
  ./scripts/build.sh >/tmp/multus-demo-build.log 2>&1 ||
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
WORK=$(mktemp -d /tmp/multus-demo.XXXXXX)
cleanup() {
  ip netns del "$POD" 2>/dev/null || true
  ip netns del "$NODE" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

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

printf '\n%sDemo done: three networks attached and cleanly removed.%s\n' "$bold" "$reset"
