// KubeApi answered from the node daemon's watch-backed stores (object_store.h), with the API
// itself behind it for what the stores do not have yet. Writes go to the API.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "multus/kube_api.h"
#include "multus/object_store.h"

namespace multus {

class CachedKubeApi : public KubeApi {
 public:
  // A client for one call's live requests. KubeClient keeps per-invocation state (its time
  // budget, a request counter) and is not thread-safe: a fresh one per call gives each call
  // its own budget and lets calls on many threads share one HttpTransport.
  using LiveClient = std::function<std::shared_ptr<KubeApi>()>;

  // `pods` and `nads` must outlive this object. `pod_wait`: how long GetPod waits for a pod
  // missing from a synced store before asking the API (a pod created a moment ago may still
  // be on its way).
  CachedKubeApi(const ObjectStore<Pod>& pods, const ObjectStore<Nad>& nads, LiveClient live,
                std::chrono::milliseconds pod_wait = std::chrono::seconds(1));

  // From the store, without any request; else, after waiting up to pod_wait (not before the
  // first LIST), a live GET. Errors are the live GET's.
  Result<std::optional<Pod>> GetPod(std::string_view ns, std::string_view name) override;
  // From the store; else a live GET (a NAD created just before its pod must be found).
  Result<std::optional<Nad>> GetNad(std::string_view ns, std::string_view name) override;
  // Live.
  Status SetPodAnnotation(std::string_view ns, std::string_view name, std::string_view key,
                          std::string_view value) override;
  // Live.
  Status PostEvent(const Pod& pod, std::string_view type, std::string_view reason,
                   std::string_view message) override;

 private:
  const ObjectStore<Pod>& pods_;
  const ObjectStore<Nad>& nads_;
  LiveClient live_;
  std::chrono::milliseconds pod_wait_;
};

}  // namespace multus
