// What every verb shares: search path, invocation, static plan, readiness.
#include <sys/stat.h>

#include <thread>

#include "commands.h"
#include "multus/log.h"
#include "multus/network_source.h"

namespace multus {

std::vector<std::string> Command::SearchPath() const {
  std::vector<std::string> dirs = {conf.bin_dir};
  std::string_view rest = env.path;
  while (!rest.empty()) {
    size_t colon = rest.find(':');
    std::string_view dir = rest.substr(0, colon);
    if (!dir.empty()) dirs.emplace_back(dir);
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return dirs;
}

Invocation Command::MakeInvocation(std::string container_id, std::string netns) const {
  Result<KeyValues> runtime_args = ParseCniArgs(env.args);
  Invocation invocation;
  invocation.container_id = std::move(container_id);
  invocation.netns = std::move(netns);
  invocation.search_path = SearchPath();
  invocation.cni_args = ComposeCniArgs(runtime_args.ok() ? *runtime_args : KeyValues{});
  invocation.base_env = process_env;
  invocation.cni_dir = conf.cni_dir;
  invocation.timeout = deps.plugin_timeout;
  return invocation;
}

Result<NetworkPlan> Command::StaticPlan() const {
  ASSIGN_OR_RETURN(std::vector<ResolvedNetwork> networks,
                   ResolveStaticNetworks(conf, k8s.pod_namespace, deps.nads));
  return BuildPlan(networks, conf, env, k8s);
}

Status WaitForReadiness(const Command& cmd) {
  const std::string& path = cmd.conf.readiness_indicator_file;
  if (path.empty()) return OkStatus();
  auto sleep = cmd.deps.sleep ? cmd.deps.sleep
                              : [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  std::chrono::milliseconds waited{0};
  struct stat info;
  while (stat(path.c_str(), &info) != 0) {
    if (waited >= cmd.deps.readiness_timeout) {
      return Status(code::kTryAgainLater,
                    cmd.Pod() + ": have you checked that your default network is ready? still "
                                "waiting for readinessindicatorfile @ " + path,
                    "the cluster network's plugin creates this file when it is ready");
    }
    sleep(cmd.deps.readiness_poll);
    waited += cmd.deps.readiness_poll;
  }
  return OkStatus();
}

}  // namespace multus
