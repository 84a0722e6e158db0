// The k8s.v1.cni.cncf.io/network-status annotation: one entry per pod interface.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "multus/status.h"

namespace multus {

// What ADD knows about one attached network.
struct AttachedNetwork {
  std::string name;               // CNI name, or <namespace>/<nad> for NAD-derived networks
  std::string ifname;             // the interface name multus asked for
  bool master = false;            // the cluster network (gets "default": true)
  Result<nlohmann::json> result;  // the delegate's result as 1.1.0, or why it cannot be read
  std::string device_info;        // device-info JSON object text, or ""
};

// Builds the annotation value: a JSON list of {name, interface, ips, mac, mtu, default, dns,
// device-info, gateway} entries, fields in that order, empty ones omitted except name and
// dns (always present, {} when empty).
// Entries per sandbox interface of each result; the IPs with an interface index go to that
// entry, those without (or with an index out of range) to the entry of `ifname` (else the
// first entry), those on a host-side interface nowhere. A result with no sandbox interface
// (e.g. a 0.2.0 result) still gets one entry named by `ifname` (upstream dropped it, W29).
// `ips` are addresses without prefix, printed as Go prints them. `gateway` lists the gateways
// of default routes (prefix length 0, or no dst); a default route without gw is skipped
// (upstream printed "<nil>"). `default` is set on the master's `ifname` entry (else its first).
// Serialized as upstream: "[" + entries each indented by 4 spaces, joined by "," + "]", with
// Go's escaping of <, >, &, U+2028 and U+2029. An empty list gives "[]".
// Code 6 when a result cannot be read or device_info is not a JSON object.
Result<std::string> BuildNetworkStatus(const std::vector<AttachedNetwork>& networks);

}  // namespace multus
