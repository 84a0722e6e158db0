// A /delegate call checked and planned before it may touch the pod: env, config and
// interfaceAttributes, with the same rules and code as the runtime's calls and the pod's
// network selection elements.
#include <algorithm>

#include "multus/annotations.h"
#include "multus/delegate_conf.h"
#include "multus/hotplug.h"
#include "multus/multus_type.h"
#include "multus/network_source.h"
#include "multus/pod_networks.h"

namespace multus {
namespace {

Status CheckCommand(const EnvMap& env) {
  auto command = env.find("CNI_COMMAND");
  if (command == env.end() || command->second.empty()) {
    return Status::InvalidEnv("/delegate request has no CNI_COMMAND", "send ADD or DEL");
  }
  if (command->second != "ADD" && command->second != "DEL") {
    return Status::InvalidEnv("/delegate does not support CNI_COMMAND " + command->second,
                              "hot-plug adds (ADD) or removes (DEL) one interface");
  }
  return OkStatus();
}

Result<DelegateConf> LoadNetworkConfig(std::string_view config) {
  if (config.empty()) {
    return Status::InvalidConfig("/delegate request has no \"config\"",
                                 "send the network's CNI config, base64-encoded");
  }
  Result<DelegateConf> conf = LoadDelegateConf(config);
  if (!conf.ok()) return conf.status().Prefixed("/delegate config");
  bool is_multus = std::any_of(conf->plugins.begin(), conf->plugins.end(),
                               [](const PluginConf& plugin) { return IsMultusType(plugin.type); });
  if (is_multus) {
    return Status::InvalidConfig("/delegate config \"" + conf->name + "\" is multus itself",
                                 "hot-plug a network's own config (the NAD's), not multus'");
  }
  return conf;
}

}  // namespace

Result<HotplugRequest> ParseHotplugRequest(const EnvMap& env, std::string_view config,
                                           std::string_view interface_attributes) {
  RETURN_IF_ERROR(CheckCommand(env));
  // The plugins come from the daemon's binDir (the controller sends no CNI_PATH): a
  // placeholder lets the spec's checks of the other variables run unchanged.
  EnvMap checked = env;
  checked["CNI_PATH"] = "-";
  HotplugRequest request;
  ASSIGN_OR_RETURN(request.env, ParseCniEnv(checked));
  request.env.path.clear();
  ASSIGN_OR_RETURN(request.k8s, ParseK8sArgs(request.env.args));
  if (request.k8s.pod_namespace.empty() || request.k8s.pod_name.empty()) {
    return Status::InvalidEnv("/delegate request: CNI_ARGS lacks K8S_POD_NAMESPACE or K8S_POD_NAME",
                              "hot-plug attaches to a pod: name it in CNI_ARGS");
  }
  ASSIGN_OR_RETURN(DelegateConf conf, LoadNetworkConfig(config));
  NetworkSelection attributes;
  if (!interface_attributes.empty()) {
    ASSIGN_OR_RETURN(attributes, ParseInterfaceAttributes(interface_attributes));
  }
  ResolvedNetwork network;
  network.display_name = conf.name;
  network.conf = std::move(conf);
  ASSIGN_OR_RETURN(network, ApplySelectionRequests(std::move(network), attributes));
  // No runtimeConfig of the runtime's: a hot-plug is offered only what its request asks.
  ASSIGN_OR_RETURN(request.delegate, PlanDelegate(network, request.env.ifname, /*master=*/false,
                                                  "{}", request.env.container_id));
  return request;
}

}  // namespace multus
