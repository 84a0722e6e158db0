#include "multus/cached_kube_api.h"

#include <utility>

namespace multus {

CachedKubeApi::CachedKubeApi(const ObjectStore<Pod>& pods, const ObjectStore<Nad>& nads,
                             LiveClient live, std::chrono::milliseconds pod_wait)
    : pods_(pods), nads_(nads), live_(std::move(live)), pod_wait_(pod_wait) {}

Result<std::optional<Pod>> CachedKubeApi::GetPod(std::string_view ns, std::string_view name) {
  // Before the first LIST the store proves nothing: waiting would only delay the live GET.
  std::chrono::milliseconds wait = pods_.synced() ? pod_wait_ : std::chrono::milliseconds(0);
  if (std::optional<Pod> pod = pods_.WaitFor(ns, name, wait)) return pod;
  return live_()->GetPod(ns, name);
}

Result<std::optional<Nad>> CachedKubeApi::GetNad(std::string_view ns, std::string_view name) {
  if (std::optional<Nad> nad = nads_.Get(ns, name)) return nad;
  return live_()->GetNad(ns, name);
}

Status CachedKubeApi::SetPodAnnotation(std::string_view ns, std::string_view name,
                                       std::string_view key, std::string_view value) {
  return live_()->SetPodAnnotation(ns, name, key, value);
}

Status CachedKubeApi::PostEvent(const Pod& pod, std::string_view type, std::string_view reason,
                                std::string_view message) {
  return live_()->PostEvent(pod, type, reason, message);
}

}  // namespace multus
