// The NADs of a pod, fetched from the Kubernetes API once each per invocation.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "multus/kube_client.h"
#include "multus/net_conf.h"
#include "multus/network_source.h"

namespace multus {

// NadLookup over the API. Each distinct NAD is fetched once per invocation. A NAD without
// spec.config uses the config with its name in confDir. The NAD name is never a path.
class KubeNadLookup : public NadLookup {
 public:
  KubeNadLookup(KubeApi& client, const NetConf& conf) : client_(client), conf_(conf) {}
  Result<std::optional<ResolvedNetwork>> Find(std::string_view namespace_name,
                                              std::string_view name) override;
  // The NADs that were asked for and do not exist (namespace, name), for NoNetworkFound.
  const std::vector<std::pair<std::string, std::string>>& missing() const { return missing_; }

 private:
  KubeApi& client_;
  const NetConf& conf_;
  std::map<std::pair<std::string, std::string>, std::optional<ResolvedNetwork>> fetched_;
  std::vector<std::pair<std::string, std::string>> missing_;
};

}  // namespace multus
