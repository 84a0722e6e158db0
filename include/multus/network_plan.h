// NetworkPlan: which delegates a pod gets, in which order, with which interface names.
// ADD builds it and saves it in the scratch cache; DEL and CHECK load it back.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace multus {

using KeyValues = std::vector<std::pair<std::string, std::string>>;

struct PlannedDelegate {
  // Name shown in network-status and logs: the CNI `name`, or `<namespace>/<nad>`.
  std::string display_name;
  // The exact conf or conflist bytes the delegate runs with (before libcni injections).
  std::string config;
  std::string ifname;
  bool master = false;
  // JSON object of capability args offered to the delegate; each plugin receives only the
  // members it declares in `capabilities` (as runtimeConfig).
  std::string capability_args = "{}";
  // Extra CNI_ARGS pairs sent on ADD only (MAC=, IP=).
  KeyValues add_cni_args;
  // Gateways requested by the `default-route` selection field (Kubernetes issue).
  std::vector<std::string> default_route;
  std::string device_id;
  std::string resource_name;
};

struct NetworkPlan {
  std::string container_id;
  std::string netns;
  std::string pod_namespace;
  std::string pod_name;
  std::string pod_uid;
  std::vector<PlannedDelegate> delegates;
};

}  // namespace multus
