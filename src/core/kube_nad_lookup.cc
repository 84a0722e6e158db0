#include "multus/kube_nad_lookup.h"

#include <utility>

#include "multus/nad_network.h"

namespace multus {

Result<std::optional<ResolvedNetwork>> KubeNadLookup::Find(std::string_view namespace_name,
                                                           std::string_view name) {
  auto key = std::make_pair(std::string(namespace_name), std::string(name));
  auto cached = fetched_.find(key);
  if (cached != fetched_.end()) return cached->second;
  ASSIGN_OR_RETURN(std::optional<Nad> nad, client_.GetNad(namespace_name, name));
  std::optional<ResolvedNetwork> network;
  if (!nad) missing_.push_back(key);
  if (nad) {
    ASSIGN_OR_RETURN(ResolvedNetwork resolved, NetworkFromNad(*nad, conf_));
    network = std::move(resolved);
  }
  fetched_[key] = network;
  return network;
}

}  // namespace multus
