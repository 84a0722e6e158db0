// How the daemon reaches Kubernetes. With API access and its node's name (MULTUS_NODE_NAME),
// one watch-backed cache of the node's pods and of every NAD, shared by every call and by the
// plugin's fast path, on one warm transport; without them, a fresh API client per call, as the
// plugin does.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "daemon_config.h"
#include "multus/cached_kube_api.h"
#include "multus/cni_env.h"
#include "multus/kube_client.h"
#include "multus/watch_cache.h"

namespace multus::daemon {

using KubeConnector = std::function<Result<KubeAccess>(
    std::string_view kubeconfig, const EnvMap& env, const RetryPolicy& policy)>;

class KubeBackend {
 public:
  // Starts the cache's watches when the config (its `kubeconfig` key, else in-cluster) and
  // MULTUS_NODE_NAME allow; a kubeconfig that cannot be loaded is logged and the daemon goes
  // on without a cache.
  // `on_retry` is called each time the shared client sends a request again (metrics).
  static std::unique_ptr<KubeBackend> Create(const DaemonConfig& config, const EnvMap& env,
                                             const std::function<void()>& on_retry = {});
  ~KubeBackend();

  // For /cni calls: the shared cache when there is one, else ConnectKubernetes.
  KubeConnector Connector();
  // The cache's KubeApi, or nullptr without a cache.
  KubeApi* cached_api() { return api_ ? &*api_ : nullptr; }
  // Both first LISTs are in (false without a cache).
  bool synced() const { return cache_ && cache_->synced(); }
  const WatchCache* cache() const { return cache_.get(); }

 private:
  KubeBackend() = default;

  std::unique_ptr<HttpTransport> transport_;
  std::unique_ptr<WatchCache> cache_;
  std::optional<CachedKubeApi> api_;
};

}  // namespace multus::daemon
