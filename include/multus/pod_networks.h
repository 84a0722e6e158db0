// The networks a pod gets when multus can read it from the Kubernetes API: the static
// networks, the cluster network replaced by v1.multus-cni.io/default-network, and the
// networks of k8s.v1.cni.cncf.io/networks, every reference resolved to a NAD.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "multus/annotations.h"
#include "multus/device_info.h"
#include "multus/kube_client.h"
#include "multus/net_conf.h"
#include "multus/network_source.h"

namespace multus {

// NadLookup over the API. Each distinct NAD is fetched once per invocation. A NAD without
// spec.config uses the config with its name in confDir. The NAD name is never a path.
class KubeNadLookup : public NadLookup {
 public:
  KubeNadLookup(KubeClient& client, const NetConf& conf) : client_(client), conf_(conf) {}
  Result<std::optional<ResolvedNetwork>> Find(std::string_view namespace_name,
                                              std::string_view name) override;
  // The NADs that were asked for and do not exist (namespace, name), for NoNetworkFound.
  const std::vector<std::pair<std::string, std::string>>& missing() const { return missing_; }

 private:
  KubeClient& client_;
  const NetConf& conf_;
  std::map<std::pair<std::string, std::string>, std::optional<ResolvedNetwork>> fetched_;
  std::vector<std::pair<std::string, std::string>> missing_;
};

// Turns a NAD into a delegate: spec.config with `name` injected when missing (bytes kept
// otherwise), or the confDir file of that name. Code 7 when neither works.
Result<ResolvedNetwork> NetworkFromNad(const Nad& nad, const NetConf& conf);

// Returns `config` with `"args": {"cni": {...}}` merged from `cni_args` (a raw JSON object;
// its keys win), in every plugin of a conflist.
Result<std::string> InjectCniArgs(std::string_view config, std::string_view cni_args);

// Applies the pod's annotations to `static_networks` (cluster network first). Validates
// every selection and namespace isolation before fetching any NAD, and ECMP after. A NAD
// with a k8s.v1.cni.cncf.io/resourceName gets the pod's next device of that resource
// ("deviceID" and "pciBusID" injected). Errors: code 7 naming the annotation, network,
// namespace or resource.
Result<std::vector<ResolvedNetwork>> ApplyPodAnnotations(
    std::vector<ResolvedNetwork> static_networks, const NetConf& conf, const Pod& pod,
    NadLookup& nads, DeviceAllocator& devices);

}  // namespace multus
