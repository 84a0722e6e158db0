#include "multus/pod_networks.h"

#include <arpa/inet.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "multus/cni_args_injection.h"
#include "multus/device_info.h"

namespace multus {
namespace {

using nlohmann::json;

Status Invalid(std::string msg, std::string details = "") {
  return Status::InvalidConfig(std::move(msg), std::move(details));
}

bool InList(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// namespaceIsolation: a pod may use NADs of its own namespace and of globalNamespaces only.
Status CheckIsolation(const NetConf& conf, const Pod& pod, const NetworkSelection& selection,
                      std::string_view annotation) {
  if (!conf.namespace_isolation || selection.namespace_name == pod.namespace_name ||
      InList(conf.global_namespaces, selection.namespace_name)) {
    return OkStatus();
  }
  return Invalid("namespace isolation enabled, " + std::string(annotation) +
                     " annotation violates permission, pod is in namespace " + pod.namespace_name +
                     " but refers to target namespace " + selection.namespace_name,
                 "use a NetworkAttachmentDefinition of the pod's namespace or of a global "
                 "namespace (globalNamespaces)");
}

bool IsIPv4(const std::string& ip) {
  in_addr addr;
  return inet_pton(AF_INET, ip.c_str(), &addr) == 1;
}

// More than one default gateway per family cannot be honoured (no ECMP).
Status CheckEcmp(const std::vector<ResolvedNetwork>& networks) {
  int v4 = 0;
  int v6 = 0;
  for (const ResolvedNetwork& network : networks) {
    for (const std::string& gateway : network.default_route) (IsIPv4(gateway) ? v4 : v6)++;
  }
  if (v4 > 1 || v6 > 1) {
    return Invalid("multus does not support ECMP for default-route",
                   "request default-route on one network per IP family");
  }
  return OkStatus();
}

std::string JsonStringList(const std::vector<std::string>& items) { return json(items).dump(); }

// The network's config after a selection edited its bytes.
Status Reload(ResolvedNetwork& network, const std::string& bytes) {
  Result<DelegateConf> conf = LoadDelegateConf(bytes);
  if (!conf.ok()) return conf.status().Prefixed("network \"" + network.display_name + "\"");
  network.conf = std::move(conf).value();
  return OkStatus();
}

// What a selection element adds to its delegate (upstream §1.c table): its interface, a
// device of the NAD's resource, then its requests.
Result<ResolvedNetwork> ApplySelection(ResolvedNetwork network, const NetworkSelection& selection,
                                       DeviceAllocator& devices) {
  network.ifname_request = selection.interface_request;
  if (!network.resource_name.empty()) {
    Result<std::string> device = devices.Next(network.resource_name);
    if (!device.ok()) return device.status().Prefixed("network " + network.display_name);
    network.device_id = std::move(device).value();
    ASSIGN_OR_RETURN(std::string bytes, InjectDeviceId(network.conf.bytes, network.device_id));
    RETURN_IF_ERROR(Reload(network, bytes));
  }
  return ApplySelectionRequests(std::move(network), selection);
}

Result<ResolvedNetwork> RequireNad(NadLookup& nads, const NetworkSelection& selection) {
  ASSIGN_OR_RETURN(std::optional<ResolvedNetwork> found,
                   nads.Find(selection.namespace_name, selection.name));
  if (!found) {
    return Invalid("cannot find a network-attachment-definition (" + selection.name +
                       ") in namespace (" + selection.namespace_name + ")",
                   "create it, or fix the pod's annotation");
  }
  return *found;
}

// The pod's selections, parsed and checked for namespace isolation: the cluster network its
// default-network annotation names, if any, and the networks it asks for.
struct PodSelections {
  std::optional<NetworkSelection> cluster;
  std::vector<NetworkSelection> networks;
};

Result<PodSelections> ParsePodSelections(const NetConf& conf, const Pod& pod) {
  PodSelections selections;
  auto annotation = pod.annotations.find(std::string(kDefaultNetworkAnnotation));
  if (annotation != pod.annotations.end() && !annotation->second.empty()) {
    ASSIGN_OR_RETURN(std::vector<NetworkSelection> chosen,
                     ParseNetworkSelections(kDefaultNetworkAnnotation, annotation->second,
                                            conf.multus_namespace));
    if (chosen.size() != 1) {
      return Invalid("invalid " + std::string(kDefaultNetworkAnnotation) +
                     " annotation: it must name exactly one network");
    }
    // Isolation (upstream W25) for the default network, except the admin's multusNamespace.
    if (chosen[0].namespace_name != conf.multus_namespace) {
      RETURN_IF_ERROR(CheckIsolation(conf, pod, chosen[0], kDefaultNetworkAnnotation));
    }
    selections.cluster = std::move(chosen[0]);
  }
  annotation = pod.annotations.find(std::string(kNetworksAnnotation));
  if (annotation != pod.annotations.end()) {
    ASSIGN_OR_RETURN(
        selections.networks,
        ParseNetworkSelections(kNetworksAnnotation, annotation->second, pod.namespace_name));
    for (const NetworkSelection& selection : selections.networks) {
      RETURN_IF_ERROR(CheckIsolation(conf, pod, selection, kNetworksAnnotation));
    }
  }
  return selections;
}

}  // namespace

Result<ResolvedNetwork> ApplySelectionRequests(ResolvedNetwork network,
                                               const NetworkSelection& selection) {
  auto& caps = network.capability_overrides;
  if (!selection.ips.empty()) {
    caps.emplace_back("ips", JsonStringList(selection.ips));
    std::string joined;
    for (const auto& ip : selection.ips) joined += (joined.empty() ? "" : ",") + ip;
    network.add_cni_args.emplace_back("IP", joined);
  }
  if (!selection.mac.empty()) {
    caps.emplace_back("mac", json(selection.mac).dump());
    network.add_cni_args.insert(network.add_cni_args.begin(), {"MAC", selection.mac});
  }
  if (!selection.port_mappings.empty()) caps.emplace_back("portMappings", selection.port_mappings);
  if (!selection.bandwidth.empty()) caps.emplace_back("bandwidth", selection.bandwidth);
  if (!selection.infiniband_guid.empty()) {
    caps.emplace_back("infinibandGUID", json(selection.infiniband_guid).dump());
  }
  if (!selection.device_id.empty() && network.device_id.empty())
    network.device_id = selection.device_id;
  if (!network.device_id.empty()) caps.emplace_back("deviceID", json(network.device_id).dump());
  network.default_route = selection.default_route;
  if (!selection.cni_args.empty()) {
    ASSIGN_OR_RETURN(std::string bytes, InjectCniArgs(network.conf.bytes, selection.cni_args));
    RETURN_IF_ERROR(Reload(network, bytes));
  }
  return network;
}

Result<std::vector<ResolvedNetwork>> ResolvePodNetworks(const NetConf& conf, const Pod& pod,
                                                        NadLookup& nads, DeviceAllocator& devices) {
  ASSIGN_OR_RETURN(PodSelections selections, ParsePodSelections(conf, pod));
  // The configured networks are fetched before the pod's own, as upstream does.
  std::optional<ResolvedNetwork> cluster;
  if (!selections.cluster) {
    ASSIGN_OR_RETURN(cluster, ResolveClusterNetwork(conf, &nads));
  }
  ASSIGN_OR_RETURN(std::vector<ResolvedNetwork> others,
                   ResolveDefaultNetworks(conf, pod.namespace_name, &nads));
  if (selections.cluster) {
    ASSIGN_OR_RETURN(ResolvedNetwork chosen, RequireNad(nads, *selections.cluster));
    ASSIGN_OR_RETURN(cluster, ApplySelection(std::move(chosen), *selections.cluster, devices));
  }
  std::vector<ResolvedNetwork> networks = {std::move(*cluster)};
  for (ResolvedNetwork& network : others) networks.push_back(std::move(network));
  for (const NetworkSelection& selection : selections.networks) {
    ASSIGN_OR_RETURN(ResolvedNetwork network, RequireNad(nads, selection));
    ASSIGN_OR_RETURN(network, ApplySelection(std::move(network), selection, devices));
    networks.push_back(std::move(network));
  }
  RETURN_IF_ERROR(CheckEcmp(networks));
  return networks;
}

}  // namespace multus
