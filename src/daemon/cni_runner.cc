#include "cni_runner.h"

#include "multus/app.h"
#include "multus/executor.h"
#include "multus/platform.h"

namespace multus::daemon {
namespace {

struct Shared {
  std::shared_ptr<Executor> executor;
  std::unique_ptr<PodNetns> netns = MakeLinuxPodNetns();
  std::unique_ptr<Clock> clock = MakeSystemClock();
  KubeConnector connector;
  EnvMap in_cluster;  // KUBERNETES_SERVICE_* of the daemon
};

}  // namespace

CniRunner MakeCniRunner(KubeConnector connector, EnvMap daemon_env,
                        std::shared_ptr<Executor> executor) {
  auto shared = std::make_shared<Shared>();
  shared->executor = std::move(executor);
  shared->connector = std::move(connector);
  for (const char* key : {"KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"}) {
    auto it = daemon_env.find(key);
    if (it != daemon_env.end()) shared->in_cluster[key] = it->second;
  }
  return [shared](const EnvMap& request_env, std::string_view config) {
    EnvMap env = request_env;
    for (const auto& [key, value] : shared->in_cluster) env.emplace(key, value);
    Deps deps;
    deps.executor = shared->executor.get();
    deps.netns = shared->netns.get();
    deps.clock = shared->clock.get();
    deps.connect = shared->connector;
    deps.in_daemon = true;
    // deps.configure_log stays unset: the daemon's logger is configured once, at start.
    CniOutput output;
    std::string err;
    output.exit_code = Run({"multus"}, env, config, output.stdout_data, err, deps);
    return output;
  };
}

}  // namespace multus::daemon
