#include "kube_provider.h"

#include <strings.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "multus/kubeconfig.h"
#include "multus/log.h"

namespace multus::daemon {
namespace {

// The `kubeconfig` key of daemon-config.json (kept as an override of the multus config).
std::string KubeconfigOf(const DaemonConfig& config) {
  for (const auto& [key, raw] : config.overrides) {
    if (strcasecmp(key.c_str(), "kubeconfig") != 0) continue;
    nlohmann::json value = nlohmann::json::parse(raw, nullptr, /*allow_exceptions=*/false);
    if (value.is_string()) return value.get<std::string>();
  }
  return "";
}

// A call's client for the cache: forwards to the shared CachedKubeApi, which outlives it.
class SharedApi : public KubeApi {
 public:
  explicit SharedApi(KubeApi& api) : api_(api) {}
  Result<std::optional<Pod>> GetPod(std::string_view ns, std::string_view name) override {
    return api_.GetPod(ns, name);
  }
  Result<std::optional<Nad>> GetNad(std::string_view ns, std::string_view name) override {
    return api_.GetNad(ns, name);
  }
  Status SetPodAnnotation(std::string_view ns, std::string_view name, std::string_view key,
                          std::string_view value) override {
    return api_.SetPodAnnotation(ns, name, key, value);
  }
  Status PostEvent(const Pod& pod, std::string_view type, std::string_view reason,
                   std::string_view message) override {
    return api_.PostEvent(pod, type, reason, message);
  }

 private:
  KubeApi& api_;
};

}  // namespace

std::unique_ptr<KubeBackend> KubeBackend::Create(const DaemonConfig& config, const EnvMap& env,
                                                 const std::function<void()>& on_retry) {
  std::unique_ptr<KubeBackend> backend(new KubeBackend());
  auto node = env.find("MULTUS_NODE_NAME");
  std::string kubeconfig = KubeconfigOf(config);
  if (node == env.end() || node->second.empty() || !HasKubernetesAccess(kubeconfig, env)) {
    log::Verbose(
        "no watch cache (needs MULTUS_NODE_NAME and a kubeconfig or in-cluster "
        "credentials): every call asks the API itself");
    return backend;
  }
  Result<KubeConfig> kube = LoadKubeAccessConfig(kubeconfig, env);
  if (!kube.ok()) {
    log::Error("no watch cache: {}", kube.status().msg());
    return backend;
  }
  Result<std::unique_ptr<HttpTransport>> transport = MakeCurlTransport(*kube);
  if (!transport.ok()) {
    log::Error("no watch cache: {}", transport.status().msg());
    return backend;
  }
  backend->transport_ = std::move(transport).value();
  backend->cache_ = std::make_unique<WatchCache>(*backend->transport_, *kube, node->second);
  HttpTransport* shared = backend->transport_.get();
  KubeConfig live_config = *kube;
  KubeClient::Sleep before_retry = [on_retry](std::chrono::milliseconds wait) {
    if (on_retry) on_retry();
    std::this_thread::sleep_for(wait);
  };
  backend->api_.emplace(backend->cache_->Api([shared, live_config, before_retry] {
    return std::make_shared<KubeClient>(*shared, live_config, RetryPolicy{}, before_retry);
  }));
  backend->cache_->Start();
  log::Verbose("watch cache: the pods of node {} and every NAD", node->second);
  return backend;
}

KubeBackend::~KubeBackend() {
  if (cache_) cache_->Stop();
}

KubeConnector KubeBackend::Connector() {
  if (!api_) return ConnectKubernetes;
  KubeApi* api = &*api_;
  return [api](std::string_view, const EnvMap&, const RetryPolicy&) -> Result<KubeAccess> {
    KubeAccess access;
    access.client = std::make_unique<SharedApi>(*api);
    return access;
  };
}

}  // namespace multus::daemon
