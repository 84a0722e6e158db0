#include "multus/network_plan.h"

#include <nlohmann/json.hpp>
#include <set>

#include "multus/cache_paths.h"
#include "multus/cni_env.h"
#include "multus/delegate_conf.h"
#include "multus/delegate_runner.h"
#include "multus/device_info.h"
#include "multus/json_raw.h"
#include "multus/net_conf.h"
#include "multus/network_source.h"

namespace multus {

void PlannedDelegate::LoadConfig(std::string bytes) {
  Result<DelegateConf> loaded = LoadDelegateConf(bytes);
  conf_error = loaded.status();
  if (loaded.ok()) {
    conf = std::move(loaded).value();
  } else {
    conf = DelegateConf{};
    conf.bytes = std::move(bytes);
  }
}

Result<PlannedDelegate> PlanDelegate(const ResolvedNetwork& network, std::string ifname,
                                     bool master, std::string_view runtime_config,
                                     std::string_view container_id) {
  PlannedDelegate delegate;
  delegate.display_name = network.display_name;
  delegate.conf = network.conf;
  delegate.master = master;
  delegate.ifname = std::move(ifname);
  std::string where = "network \"" + network.display_name + "\"";
  delegate.capability_args = std::string(runtime_config);
  // Per-selection capability args (ips, mac, portMappings, ...) apply to secondary networks
  // only; the cluster network keeps what the runtime sent.
  if (!master && !network.capability_overrides.empty()) {
    Result<std::string> merged = SetRawMembers(runtime_config, network.capability_overrides);
    if (!merged.ok()) return merged.status().Prefixed(where + " capability args");
    delegate.capability_args = std::move(merged).value();
  }
  if (!network.device_id.empty()) {
    // Tells the plugin where to write its device-info (read back for network-status).
    std::string path = CniDeviceInfoPath(network.display_name, container_id, delegate.ifname);
    Result<std::string> merged = SetRawMembers(
        delegate.capability_args, {{"CNIDeviceInfoFile", nlohmann::json(path).dump()}});
    if (!merged.ok()) return merged.status().Prefixed(where + " capability args");
    delegate.capability_args = std::move(merged).value();
  }
  delegate.add_cni_args = network.add_cni_args;
  delegate.default_route = network.default_route;
  delegate.device_id = network.device_id;
  delegate.resource_name = network.resource_name;
  return delegate;
}

Result<NetworkPlan> BuildPlan(const std::vector<ResolvedNetwork>& networks, const NetConf& conf,
                              const CniEnv& env, const K8sArgs& k8s) {
  NetworkPlan plan{env.container_id, env.netns, k8s.pod_namespace, k8s.pod_name, k8s.pod_uid, {}};
  for (size_t i = 0; i < networks.size(); ++i) {
    const ResolvedNetwork& network = networks[i];
    std::string ifname = !network.ifname_request.empty() ? network.ifname_request
                         : i == 0                        ? env.ifname
                                                         : "net" + std::to_string(i);
    ASSIGN_OR_RETURN(PlannedDelegate delegate, PlanDelegate(network, std::move(ifname), i == 0,
                                                            conf.runtime_config, env.container_id));
    plan.delegates.push_back(std::move(delegate));
  }
  return plan;
}

Status ValidatePlan(const NetworkPlan& plan, const std::vector<std::string>& search_path,
                    PluginPaths* found) {
  std::set<std::string> ifnames;
  for (const PlannedDelegate& delegate : plan.delegates) {
    std::string where = "network \"" + delegate.display_name + "\"";
    Status ifname_ok = ValidateIfName(delegate.ifname);
    if (!ifname_ok.ok())
      return ifname_ok.Prefixed(where + " interface \"" + delegate.ifname + "\"");
    if (!ifnames.insert(delegate.ifname).second) {
      return Status::InvalidConfig(
          where + ": interface name \"" + delegate.ifname + "\" is used twice",
          "give each network its own interface name");
    }
    if (!delegate.conf_error.ok()) return delegate.conf_error.Prefixed(where);
    RETURN_IF_ERROR(CheckResultCacheName(delegate.conf.name, plan.container_id, delegate.ifname));
    for (const PluginConf& plugin : delegate.conf.plugins) {
      if (found != nullptr && found->contains(plugin.type)) continue;  // checked already
      Result<std::string> path = FindPlugin(plugin.type, search_path);
      if (!path.ok()) return path.status().Prefixed(where);
      if (found != nullptr) found->emplace(plugin.type, std::move(path).value());
    }
  }
  return OkStatus();
}

}  // namespace multus
