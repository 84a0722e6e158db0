// How a CNI call run by the daemon reaches Kubernetes: the one place where the watch-backed
// cache (a CachedKubeApi shared by every request) will plug in.
#pragma once

#include <functional>
#include <string_view>

#include "multus/cni_env.h"
#include "multus/kube_client.h"

namespace multus::daemon {

using KubeConnector = std::function<Result<KubeAccess>(
    std::string_view kubeconfig, const EnvMap& env, const RetryPolicy& policy)>;

// Today: a new API client per request (ConnectKubernetes, as the plugin does). With the cache,
// this returns a KubeAccess whose client forwards to the shared cache.
KubeConnector MakeKubeConnector();

}  // namespace multus::daemon
