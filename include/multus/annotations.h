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
  std::string namespace_name;              // never empty after parsing: defaults are filled in
  std::string interface_request;           // "interface", else the deprecated "interfaceRequest"
  std::vector<std::string> ips;            // each an IP or a CIDR, validated
  std::string mac;                         // validated
  bool has_default_route = false;          // "default-route" present, even as []
  std::vector<std::string> default_route;  // gateway IPs, validated
  std::string port_mappings;               // raw JSON
  std::string bandwidth;                   // raw JSON
  std::string cni_args;                    // raw JSON object
  std::string infiniband_guid;             // validated
  std::string device_id;
};

// Parses an annotation value. JSON form when the value contains '[', '{' or '"'; else the
// text form `[<namespace>/]<name>[@<ifname>]`, comma-separated, items trimmed. An empty or
// blank value is an empty list. JSON form: a list of objects whose keys match
// case-insensitively (as Go's encoding/json), unknown keys ignored, a later duplicate key
// winning; null leaves a string member unset and resets a list or object member.
// Every name and namespace must be lowercase RFC 1123 (alphanumerics and '-', '.' allowed
// inside names; names <= 253 chars, namespaces <= 63 and without '.'), every interface name
// valid (<= 15 bytes, no '/', ':' or whitespace, not "." or ".."), every IP/CIDR, gateway,
// MAC and InfiniBand GUID (any net.ParseMAC form) parseable, portMappings/bandwidth members
// of the right type, and no item may be empty. Errors: code 7, the message starting with
// "invalid <annotation name> annotation: " and naming the offending item, the details saying
// what to write instead.
Result<std::vector<NetworkSelection>> ParseNetworkSelections(std::string_view annotation_name,
                                                             std::string_view value,
                                                             std::string_view default_namespace);

// Parses the interfaceAttributes object of a /delegate (hot-plug) request: "ips", "mac" and
// "cni-args", with the keys, types and checks of the same members of a JSON selection
// element (other members are ignored). `name`, `namespace_name` and `interface_request` stay
// empty. Code 7, the message starting with "invalid /delegate request: interfaceAttributes".
Result<NetworkSelection> ParseInterfaceAttributes(std::string_view value);

}  // namespace multus
