// Pod annotations that select networks: k8s.v1.cni.cncf.io/networks and
// v1.multus-cni.io/default-network, text form (`a, ns/b, c@eth5`) or JSON form.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "multus/status.h"

namespace multus {

inline constexpr std::string_view kNetworksAnnotation = "k8s.v1.cni.cncf.io/networks";
inline constexpr std::string_view kDefaultNetworkAnnotation = "v1.multus-cni.io/default-network";
inline constexpr std::string_view kNetworkStatusAnnotation = "k8s.v1.cni.cncf.io/network-status";

// One requested network. Optional JSON members are kept as raw JSON text ("" when absent).
struct NetworkSelection {
  std::string name;
  std::string namespace_name;  // never empty after parsing: defaults are filled in
  std::string interface_request;  // "interface", else the deprecated "interfaceRequest"
  std::vector<std::string> ips;  // each an IP or a CIDR, validated
  std::string mac;  // validated
  bool has_default_route = false;  // "default-route" present, even as []
  std::vector<std::string> default_route;  // gateway IPs, validated
  std::string port_mappings;  // raw JSON
  std::string bandwidth;  // raw JSON
  std::string cni_args;  // raw JSON object
  std::string infiniband_guid;  // validated
  std::string device_id;
};

// Parses an annotation value. JSON form when the value contains '[', '{' or '"'; else the
// text form. An empty value is an empty list. Every name and namespace must be a DNS-1123
// label-like name (lowercase alphanumerics and '-', max 253 chars, '.' allowed inside),
// every interface name valid (<= 15 bytes, no '/', ':' or whitespace, not "." or ".."),
// every IP, MAC and gateway parseable, and no item may be empty. Errors: code 7, the message
// starting with "invalid <annotation name> annotation: " and naming the offending item.
Result<std::vector<NetworkSelection>> ParseNetworkSelections(std::string_view annotation_name,
                                                             std::string_view value,
                                                             std::string_view default_namespace);

}  // namespace multus
