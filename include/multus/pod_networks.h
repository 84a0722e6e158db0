// The networks a pod gets when multus can read it from the Kubernetes API: the static
// networks, the cluster network replaced by v1.multus-cni.io/default-network, and the
// networks of k8s.v1.cni.cncf.io/networks, every reference resolved to a NAD. The one place
// that decides which cluster network a pod gets.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "multus/annotations.h"
#include "multus/device_info.h"
#include "multus/kube_nad_lookup.h"  // the NadLookup of a pod read from the API
#include "multus/kube_objects.h"
#include "multus/net_conf.h"
#include "multus/network_source.h"

namespace multus {

// The pod's networks, cluster network first: the one its default-network annotation names,
// else the static config's; then the static config's other networks; then the networks of
// its networks annotation. Validates every selection and namespace isolation before fetching
// any NAD, and ECMP after. A NAD with a k8s.v1.cni.cncf.io/resourceName gets the pod's next
// device of that resource ("deviceID" and "pciBusID" injected). Errors: code 7 naming the
// annotation, network, namespace or resource.
Result<std::vector<ResolvedNetwork>> ResolvePodNetworks(const NetConf& conf, const Pod& pod,
                                                        NadLookup& nads, DeviceAllocator& devices);

// What a selection element asks of its network besides its interface name and a device of
// the NAD's resource: capability args (ips, mac, portMappings, bandwidth, infinibandGUID,
// deviceID), the IP= and MAC= CNI_ARGS of ADD, default-route, and cni-args merged into the
// config's args.cni. Also used for a hot-plug's interfaceAttributes. Code 7 when the edited
// config no longer loads.
Result<ResolvedNetwork> ApplySelectionRequests(ResolvedNetwork network,
                                               const NetworkSelection& selection);

}  // namespace multus
