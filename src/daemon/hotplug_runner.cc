#include "hotplug_runner.h"

#include <optional>

#include "config_writer.h"
#include "multus/app.h"
#include "multus/file_io.h"
#include "multus/log.h"
#include "multus/platform.h"

namespace multus::daemon {
namespace {

// Before the daemon wrote its multus config (no master yet), the overrides alone decide;
// clusterNetwork only satisfies the parser: a hot-plug never resolves it.
constexpr std::string_view kNoServedConfig =
    R"({"cniVersion":"1.0.0","name":"multus-cni-network","type":"multus-shim",)"
    R"("clusterNetwork":"unused"})";

struct Shared {
  DaemonConfig config;
  std::shared_ptr<Executor> executor;
  std::unique_ptr<PodNetns> netns = MakeLinuxPodNetns();
  std::unique_ptr<Clock> clock = MakeSystemClock();
  KubeConnector connector;
  EnvMap env;
};

}  // namespace

Result<NetConf> HotplugConf(std::string_view served, const DaemonConfig& config) {
  if (!served.empty()) {
    Result<std::string> merged = ApplyOverrides(served, config.overrides);
    Result<NetConf> conf = merged.ok() ? ParseNetConf(*merged) : Result<NetConf>(merged.status());
    if (conf.ok()) return conf;
    log::Warning(
        "hot-plug: the served multus config does not parse ({}); using the daemon config's "
        "settings alone",
        conf.status().msg());
  }
  ASSIGN_OR_RETURN(std::string merged, ApplyOverrides(kNoServedConfig, config.overrides));
  return ParseNetConf(merged);
}

HotplugRunner MakeHotplugRunner(const DaemonConfig& config, KubeConnector connector,
                                EnvMap daemon_env, std::shared_ptr<Executor> executor) {
  auto shared = std::make_shared<Shared>();
  shared->config = config;
  shared->executor = std::move(executor);
  shared->connector = std::move(connector);
  shared->env = std::move(daemon_env);
  return [shared](const HotplugRequest& request) -> Result<std::string> {
    Result<std::optional<std::string>> served =
        ReadFileIfExists(ConfigWriter(shared->config).TargetPath());
    ASSIGN_OR_RETURN(NetConf conf, HotplugConf(served.ok() && *served ? **served : std::string(),
                                               shared->config));
    // The daemon reaches the API through its own connector, never through its own socket.
    conf.daemon_socket_dir.clear();
    Deps deps;
    deps.executor = shared->executor.get();
    deps.netns = shared->netns.get();
    deps.clock = shared->clock.get();
    deps.connect = shared->connector;
    return RunHotplug(request, conf, shared->env, deps);
  };
}

}  // namespace multus::daemon
