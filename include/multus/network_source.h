// Where delegate configs come from: the multus config's `delegates`, or `clusterNetwork` /
// `defaultNetworks` references resolved as a NAD (through NadLookup), a config `name` in
// confDir, a directory, or an absolute file path.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "multus/delegate_conf.h"
#include "multus/net_conf.h"
#include "multus/status.h"

namespace multus {

struct ResolvedNetwork {
  std::string display_name;    // CNI name, or <namespace>/<nad> for NAD-derived networks
  DelegateConf conf;           // parsed once; conf.bytes are the exact conf/conflist bytes
  std::string ifname_request;  // explicit interface name, or empty
  // From the pod's selection element (Kubernetes networks annotation):
  std::vector<std::pair<std::string, std::string>> capability_overrides;  // key, raw JSON
  std::vector<std::pair<std::string, std::string>> add_cni_args;          // MAC=, IP=
  std::vector<std::string> default_route;
  std::string device_id;
  std::string resource_name;
};

// The seam for the Kubernetes client: a NetworkAttachmentDefinition by namespace and name.
// nullopt means "no such NAD" (fall back to files); an error status is a real failure.
class NadLookup {
 public:
  virtual ~NadLookup() = default;
  virtual Result<std::optional<ResolvedNetwork>> Find(std::string_view namespace_name,
                                                      std::string_view name) = 0;
};

// Finds the config whose "name" is `name` among the .conf/.conflist/.json files of `dir`
// (sorted by file name). Files that fail to parse are skipped with a log line; multus's own
// config (type "multus") is never returned. Code 7 when none matches.
Result<ResolvedNetwork> FindConfigByName(const std::string& dir, std::string_view name);

// Loads a config from a file (a .conflist as a list, anything else as a conf), or from the
// alphabetically first .conf/.conflist/.json in a directory (never multus's own config).
// `path` must be absolute. Code 7 with the path on any failure.
Result<ResolvedNetwork> LoadConfigFromPath(const std::string& path);

// Resolves one clusterNetwork/defaultNetworks entry: a value with '/' is a path; otherwise a
// NAD in multusNamespace (when `nads` is given), then a config name in confDir.
Result<ResolvedNetwork> ResolveNetworkReference(const std::string& reference, const NetConf& conf,
                                                NadLookup* nads);

// The static config's cluster network: delegates[0], or clusterNetwork resolved.
Result<ResolvedNetwork> ResolveClusterNetwork(const NetConf& conf, NadLookup* nads);

// The static config's other networks: delegates[1..], or defaultNetworks (none for pods whose
// namespace is in systemNamespaces).
Result<std::vector<ResolvedNetwork>> ResolveDefaultNetworks(const NetConf& conf,
                                                            std::string_view pod_namespace,
                                                            NadLookup* nads);

// The networks every pod gets from the static config: the cluster network, then the others.
Result<std::vector<ResolvedNetwork>> ResolveStaticNetworks(const NetConf& conf,
                                                           std::string_view pod_namespace,
                                                           NadLookup* nads);

}  // namespace multus
