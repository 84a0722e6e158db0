// NetworkPlan: which delegates a pod gets, in which order, with which interface names.
// ADD builds it and saves it in the scratch cache; DEL and CHECK load it back.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "multus/cni_args.h"
#include "multus/delegate_conf.h"
#include "multus/status.h"

namespace multus {

struct PlannedDelegate {
  // Name shown in network-status and logs: the CNI `name`, or `<namespace>/<nad>`.
  std::string display_name;
  // The conf or conflist the delegate runs with, parsed once; `conf.bytes` are the exact bytes
  // (before libcni injections).
  DelegateConf conf;
  // Not ok only for a delegate read back from a cache whose config no longer loads: `conf`
  // then holds nothing but the bytes, kept for inspection, and no plugin can run.
  Status conf_error;
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
  // Teardown state, kept in the plan between the runtime's DEL retries (docs/teardown.md):
  // done once its DEL succeeded, was given up, or its ADD failed and the rollback tried it.
  bool del_done = false;
  int del_failures = 0;  // failed DELs so far

  // Loads `bytes` as this delegate's config; when they do not load, keeps them and the error.
  void LoadConfig(std::string bytes);
};

struct NetworkPlan {
  std::string container_id;
  std::string netns;
  std::string pod_namespace;
  std::string pod_name;
  std::string pod_uid;
  std::vector<PlannedDelegate> delegates;
  // Read from upstream multus v4's scratch cache: its interface names were recomputed from
  // the calling CNI_IFNAME, so they are right only for the runtime's own calls.
  bool from_upstream = false;
};

struct CniEnv;
struct K8sArgs;
struct NetConf;
struct ResolvedNetwork;

// One delegate of a plan: `network` with interface `ifname`, offered `runtime_config` (the
// multus runtimeConfig, a JSON object) as capability args merged with the network's
// selection overrides (secondary networks only), plus the device-info path of a network with
// a device. Code 7 when the overrides cannot be merged.
Result<PlannedDelegate> PlanDelegate(const ResolvedNetwork& network, std::string ifname,
                                     bool master, std::string_view runtime_config,
                                     std::string_view container_id);

// Orders the networks into a plan. Interface names: the explicit request, else CNI_IFNAME for
// the cluster network (index 0), else net<index> (explicit names still use up their index).
// Every delegate is offered the multus runtimeConfig as capability args, merged with its
// selection's overrides (an error there fails the plan).
Result<NetworkPlan> BuildPlan(const std::vector<ResolvedNetwork>& networks, const NetConf& conf,
                              const CniEnv& env, const K8sArgs& k8s);

// Plugin type -> the binary found for it in the search path.
using PluginPaths = std::map<std::string, std::string, std::less<>>;

// Checks everything that can be checked before the first delegate runs: interface names
// valid (code 4) and unique (code 7), configs loaded, plugin types plain names whose
// binaries exist in `search_path` (code 7). The message names the network. The binaries
// found go to `found` when given, so that running the plan need not search again.
Status ValidatePlan(const NetworkPlan& plan, const std::vector<std::string>& search_path,
                    PluginPaths* found = nullptr);

}  // namespace multus
