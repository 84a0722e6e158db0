// DEL: from the saved plan when there is one (no config re-derivation, no API call), else
// from the static config so the cluster network's IP is still released. Idempotent.
#include <sys/stat.h>

#include "commands.h"
#include "multus/cache.h"
#include "multus/device_info.h"
#include "multus/log.h"

namespace multus {
namespace {

// A DEL may come after the sandbox's netns is gone; plugins then only release IPAM state.
}  // namespace

std::string UsableNetns(const std::string& netns) {
  struct stat info;
  if (netns.empty() || stat(netns.c_str(), &info) == 0) return netns;
  log::Verbose("netns {} is gone; delegates get an empty CNI_NETNS", netns);
  return "";
}

namespace {

void WarnIfNotReady(const NetConf& conf) {
  struct stat info;
  const std::string& path = conf.readiness_indicator_file;
  if (!path.empty() && stat(path.c_str(), &info) != 0) {
    log::Verbose("readinessindicatorfile @ {} does not exist on CNI DEL", path);
  }
}

// The cached plan, or nullopt when there is none. Code 101 for a corrupt cache (kept).
Result<std::optional<NetworkPlan>> LoadCachedPlan(const Command& cmd, const std::string& path) {
  ASSIGN_OR_RETURN(std::optional<std::string> bytes, ReadFileIfExists(path));
  if (!bytes) return std::optional<NetworkPlan>();
  Result<NetworkPlan> plan =
      ParsePlanCache(*bytes, cmd.env.container_id, cmd.env.netns, cmd.env.ifname);
  if (!plan.ok()) {
    return Status(code::kCorruptCache, plan.status().msg(),
                  "the cache " + path +
                      " was kept for inspection; remove it to let DEL use "
                      "the static config");
  }
  return std::optional<NetworkPlan>(std::move(plan).value());
}

// Without a cache: the pod's networks from the API when it still exists, else the static
// config, so that at least the cluster network's IP is released.
Result<NetworkPlan> RebuildPlan(const Command& cmd) {
  std::optional<Pod> pod;
  if (cmd.UsesKubernetes()) {
    Result<std::optional<Pod>> fetched = cmd.FetchPod();
    if (fetched.ok()) {
      pod = std::move(fetched).value();
    } else {
      log::Error("{}: GetPod failed: {}, but continue to delete", cmd.PodLabel(),
                 fetched.status().msg());
    }
  }
  Result<NetworkPlan> plan = cmd.PodPlan(pod);
  if (plan.ok() || !pod) return plan;
  log::Error("{}: cannot rebuild the pod's networks ({}), deleting the static ones", cmd.PodLabel(),
             plan.status().msg());
  return cmd.StaticPlan();
}

// The container is gone from cniDir: temp files a killed write left, then its lock file.
// (Temp files of result caches carry no exact container prefix; GC sweeps them by age.)
Status Forget(const Command& cmd, ContainerLock& lock) {
  RemoveTempFilesOf(ScratchCachePath(cmd.conf.cni_dir, cmd.env.container_id));
  RemoveTempFilesOf(FailedAddPath(cmd.conf.cni_dir, cmd.env.container_id));
  return lock.Remove();
}

}  // namespace

Status CmdDel(const Command& cmd) {
  ASSIGN_OR_RETURN(ContainerLock lock,
                   ContainerLock::Acquire(cmd.conf.cni_dir, cmd.env.container_id));
  WarnIfNotReady(cmd.conf);
  std::string scratch = ScratchCachePath(cmd.conf.cni_dir, cmd.env.container_id);
  Result<std::optional<NetworkPlan>> cached = LoadCachedPlan(cmd, scratch);
  if (!cached.ok()) return cached.status().Prefixed(cmd.PodLabel());
  std::string failed_add = FailedAddPath(cmd.conf.cni_dir, cmd.env.container_id);
  NetworkPlan plan;
  if (!cached->has_value()) {
    Result<std::optional<std::string>> marker = ReadFileIfExists(failed_add);
    if (marker.ok() && marker->has_value()) {
      log::Verbose("{}: the ADD failed and left nothing behind; nothing to delete", cmd.PodLabel());
      RETURN_IF_ERROR(RemoveFileIfExists(failed_add));
      return Forget(cmd, lock);
    }
  }
  if (cached->has_value()) {
    plan = std::move(**cached);
  } else {
    Result<NetworkPlan> rebuilt = RebuildPlan(cmd);
    if (!rebuilt.ok()) {
      // Nothing we know of was added; failing would only block the pod's deletion.
      log::Error("{}: no cache and the static config cannot be resolved, nothing to delete: {}",
                 cmd.PodLabel(), rebuilt.status().msg());
      return Forget(cmd, lock);
    }
    plan = std::move(rebuilt).value();
  }
  plan.container_id = cmd.env.container_id;

  Status deleted = DeletePlanDelegates(cmd, plan, UsableNetns(cmd.env.netns));
  if (deleted.ok() || !cmd.conf.retry_delete_on_error) {
    RETURN_IF_ERROR(RemoveFileIfExists(scratch));
    (void)RemoveFileIfExists(failed_add);
    RETURN_IF_ERROR(Forget(cmd, lock));
  }
  return deleted.Prefixed(cmd.PodLabel());
}

Status DeletePlanDelegates(const Command& cmd, const NetworkPlan& plan, const std::string& netns) {
  DelegateRunner runner(*cmd.deps.executor, cmd.MakeInvocation(plan.container_id, netns));
  Status first;
  std::string messages;
  for (size_t i = plan.delegates.size(); i-- > 0;) {
    const PlannedDelegate& delegate = plan.delegates[i];
    log::Verbose("Del: {}:{}:{}:{}:{}", plan.pod_namespace, plan.pod_name, plan.pod_uid,
                 delegate.display_name, delegate.ifname);
    Status deleted = runner.Del(delegate);
    RemoveDeviceInfo(delegate, plan.container_id);
    if (deleted.ok()) continue;
    messages += (messages.empty() ? "" : " / ") + deleted.msg();
    if (first.ok()) first = deleted;
  }
  if (first.ok()) return first;
  return Status(first.code(), "errors: " + messages, first.details());
}

}  // namespace multus
