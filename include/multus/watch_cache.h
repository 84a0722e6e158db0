// The node daemon's view of the API (DESIGN.md §9): the pods of its node and every NAD, each
// kept by a Reflector on a thread of its own, and KubeApi answered from them.
#pragma once

#include <chrono>
#include <string_view>
#include <utility>

#include "multus/cached_kube_api.h"
#include "multus/http_transport.h"
#include "multus/kubeconfig.h"
#include "multus/object_store.h"
#include "multus/reflector.h"

namespace multus {

// DecodePod keeping only the annotations multus reads (networks, default-network,
// config.source): a pod's other annotations (kubectl's last-applied-configuration can be
// tens of KB) would cost the daemon memory for nothing.
Pod DecodeCachedPod(const nlohmann::json& object);

class WatchCache {
 public:
  // `transport` must outlive the cache; its Stream carries the two watches, its Send the LISTs
  // (and, through CachedKubeApi's live client, the misses and writes).
  WatchCache(HttpTransport& transport, const KubeConfig& config, std::string_view node_name,
             const Reflector::Wait& wait = nullptr, const Reflector::Random& random = nullptr);

  // Starts both reflectors' threads. Stop aborts their requests and joins them (also on
  // destruction, before the stores go away).
  void Start();
  void Stop();

  // Both first LISTs are in.
  bool synced() const { return pod_reflector_.synced() && nad_reflector_.synced(); }
  const ObjectStore<Pod>& pods() const { return pods_; }
  const ObjectStore<Nad>& nads() const { return nads_; }
  ReflectorStats pod_stats() const { return pod_reflector_.stats(); }
  ReflectorStats nad_stats() const { return nad_reflector_.stats(); }

  // A KubeApi over the stores (see cached_kube_api.h); valid while the cache lives.
  CachedKubeApi Api(CachedKubeApi::LiveClient live,
                    std::chrono::milliseconds pod_wait = std::chrono::seconds(1)) const {
    return CachedKubeApi(pods_, nads_, std::move(live), pod_wait);
  }

 private:
  // Declared before the reflectors: destroyed after them.
  ObjectStore<Pod> pods_{DecodeCachedPod};
  ObjectStore<Nad> nads_{DecodeNad};
  Reflector pod_reflector_;
  Reflector nad_reflector_;
};

}  // namespace multus
