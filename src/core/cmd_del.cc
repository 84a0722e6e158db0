// DEL: from the saved plan when there is one (no config re-derivation, no API call), else
// from the static config so the cluster network's IP is still released. Idempotent.
#include <sys/stat.h>

#include "commands.h"
#include "multus/cache.h"
#include "multus/delegate_conf.h"
#include "multus/device_info.h"
#include "multus/kubeconfig.h"
#include "multus/log.h"
#include "multus/platform.h"

namespace multus {
namespace {

// A DEL may come after the sandbox's netns is gone; plugins then only release IPAM state.
}  // namespace

std::string UsableNetns(PodNetns& netns_ops, const std::string& netns) {
  if (netns.empty() || netns_ops.Exists(netns)) return netns;
  log::Verbose("netns {} is gone; delegates get an empty CNI_NETNS", netns);
  return "";
}

Result<std::optional<NetworkPlan>> LoadCachedPlan(const Command& cmd, const std::string& path) {
  ASSIGN_OR_RETURN(std::optional<std::string> bytes, ReadFileIfExists(path));
  if (!bytes) return std::optional<NetworkPlan>();
  Result<NetworkPlan> plan =
      ParsePlanCache(*bytes, cmd.env.container_id, cmd.env.netns, cmd.env.ifname);
  if (!plan.ok()) {
    return Status::CorruptCache(plan.status().msg(),
                                "the cache " + path +
                                    " was kept for inspection; remove it to let DEL use "
                                    "the static config");
  }
  return std::optional<NetworkPlan>(std::move(plan).value());
}

namespace {

void WarnIfNotReady(const NetConf& conf) {
  struct stat info;
  const std::string& path = conf.readiness_indicator_file;
  if (!path.empty() && stat(path.c_str(), &info) != 0) {
    log::Verbose("readinessindicatorfile @ {} does not exist on CNI DEL", path);
  }
}

// Without a cache: the pod's networks from the API when it still exists, else the static
// config, so that at least the cluster network's IP is released; when the API cannot say what
// a static network name is, the confDir file of that name is the best guess left.
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
  if (plan.ok()) return plan;
  if (pod) {
    log::Error("{}: cannot rebuild the pod's networks ({}), deleting the static ones",
               cmd.PodLabel(), plan.status().msg());
    plan = cmd.StaticPlan();
    if (plan.ok()) return plan;
  }
  if (!HasKubernetesAccess(cmd.conf.kubeconfig, cmd.process_env)) return plan;
  log::Error("{}: cannot resolve the static networks with the API ({}), using confDir files",
             cmd.PodLabel(), plan.status().msg());
  return cmd.StaticPlanFromFiles();
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
    // A rebuilt plan is a guess at what was added (maybe by a DEL that already succeeded):
    // one attempt each, and a failure is logged and given up, so repeated DELs converge.
    for (PlannedDelegate& delegate : plan.delegates) delegate.del_failures = kMaxDelAttempts - 1;
  }
  plan.container_id = cmd.env.container_id;

  Status deleted = DeletePlanDelegates(cmd, plan, UsableNetns(*cmd.deps.netns, cmd.env.netns));
  if (deleted.ok()) {
    RETURN_IF_ERROR(RemoveFileIfExists(scratch));
    (void)RemoveFileIfExists(failed_add);
    RETURN_IF_ERROR(Forget(cmd, lock));
    return OkStatus();
  }
  // The runtime retries a failed DEL: the plan, with what is done and how often each
  // delegate failed, is what lets those retries converge (docs/teardown.md).
  Status saved = WriteFileAtomic(scratch, SerializePlan(plan));
  if (!saved.ok()) log::Error("{}: {}", cmd.PodLabel(), saved.msg());
  return deleted.Prefixed(cmd.PodLabel());
}

namespace {

std::string PluginTypes(const PlannedDelegate& delegate) {
  if (!delegate.conf_error.ok()) return "?";
  std::string types;
  for (const PluginConf& plugin : delegate.conf.plugins) {
    if (!types.empty()) types += ',';
    types += plugin.type;
  }
  return types;
}

// The last attempt failed too: DEL must converge, so this delegate is left as it is. Returns
// what the pod's owner should know.
std::string GiveUp(const NetworkPlan& plan, const PlannedDelegate& delegate, const Status& error) {
  std::string message = fmt::format(
      "giving up DEL of network \"{}\" (plugin {}, interface {}) after {} attempts: {}; what "
      "it set up may be left: its IP allocations and the link {} in the pod",
      delegate.display_name, PluginTypes(delegate), delegate.ifname, kMaxDelAttempts, error.msg(),
      delegate.ifname);
  log::Error("[{}/{}/{}]: {}", plan.pod_namespace, plan.pod_name, plan.pod_uid, message);
  return message;
}

// With API access, a Warning event on the pod, if it still exists (best effort, within the
// DEL's API budget): the owner of a node that leaks IPs finds out why from `kubectl describe`.
void ReportGivenUp(const Command& cmd, const NetworkPlan& plan, const std::string& messages) {
  if (messages.empty() || !cmd.UsesKubernetes()) return;
  Result<KubeApi*> client = cmd.Kube();
  if (!client.ok()) return;
  Result<std::optional<Pod>> pod = (*client)->GetPod(plan.pod_namespace, plan.pod_name);
  if (!pod.ok() || !pod->has_value() || (!plan.pod_uid.empty() && (*pod)->uid != plan.pod_uid)) {
    return;
  }
  Status posted = (*client)->PostEvent(**pod, "Warning", "NetworkTeardownGivenUp", messages);
  if (!posted.ok()) log::Verbose("event not posted: {}", posted.msg());
}

}  // namespace

Status DeletePlanDelegates(const Command& cmd, NetworkPlan& plan, const std::string& netns) {
  DelegateRunner runner(*cmd.deps.executor, cmd.MakeInvocation(plan.container_id, netns));
  Status first;
  std::string messages;
  std::string given_up;
  for (size_t i = plan.delegates.size(); i-- > 0;) {
    PlannedDelegate& delegate = plan.delegates[i];
    if (delegate.del_done) continue;
    log::Verbose("Del: {}:{}:{}:{}:{}", plan.pod_namespace, plan.pod_name, plan.pod_uid,
                 delegate.display_name, delegate.ifname);
    Status deleted = runner.Del(delegate);
    RemoveDeviceInfo(delegate, plan.container_id);
    if (deleted.ok()) {
      delegate.del_done = true;
      continue;
    }
    // A cached config that no longer loads is a corrupt cache (finding 18): no retry can
    // run its plugin, so it is given up at once rather than after kMaxDelAttempts DELs.
    bool corrupt = !delegate.conf_error.ok();
    if (corrupt) {
      deleted = Status::CorruptCache("the cached config does not load: " + deleted.msg());
    }
    if (++delegate.del_failures >= kMaxDelAttempts || corrupt) {
      given_up += (given_up.empty() ? "" : "; ") + GiveUp(plan, delegate, deleted);
      delegate.del_done = true;
      (void)runner.ForgetResult(delegate);  // nothing of ours outlives the pod
      continue;
    }
    if (!messages.empty()) messages += " / ";
    messages += deleted.msg();
    if (first.ok()) first = deleted;
  }
  ReportGivenUp(cmd, plan, given_up);
  if (first.ok()) return first;
  return Status(first.code(), "errors: " + messages, first.details());
}

}  // namespace multus
