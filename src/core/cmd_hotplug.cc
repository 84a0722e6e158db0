// Hot-plug: one delegate added to or removed from a running pod's plan, under the container's
// lock, so the pod's own DEL always knows every interface multus gave it.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "commands.h"
#include "multus/cache.h"
#include "multus/cni_result.h"
#include "multus/hotplug.h"
#include "multus/log.h"
#include "multus/platform.h"

namespace multus {
namespace {

// Rewrites the plan after a change; a plan left without delegates is removed.
Status SavePlan(const std::string& scratch, const NetworkPlan& plan) {
  if (plan.delegates.empty()) return RemoveFileIfExists(scratch);
  return WriteFileAtomic(scratch, SerializePlan(plan));
}

// The plan a hot-plug extends. Code 3 for a container without one of ours: a pod multus did
// not add (or upstream multus did, whose cache cannot say the names of its interfaces).
Result<NetworkPlan> PlanToExtend(const Command& cmd, const std::string& scratch,
                                 ContainerLock& lock) {
  ASSIGN_OR_RETURN(std::optional<NetworkPlan> cached, LoadCachedPlan(cmd, scratch));
  if (!cached) {
    (void)lock.Remove();  // nothing of this container is kept
    return Status::UnknownContainer(
        "container " + cmd.env.container_id + " has no multus cache " + scratch +
            ": its networks were not set up by multus with this cniDir",
        "hot-plug attaches to a pod whose sandbox ADD went through multus; nothing was changed");
  }
  if (cached->from_upstream) {
    return Status::UnknownContainer("container " + cmd.env.container_id +
                                        " was set up by upstream multus (cache " + scratch +
                                        "), whose cache does not record its interface names",
                                    "re-create the pod to hot-plug into it; nothing was changed");
  }
  return std::move(cached).value();
}

Status CheckIfnameFree(const NetworkPlan& plan, const PlannedDelegate& delegate) {
  for (const PlannedDelegate& recorded : plan.delegates) {
    if (recorded.ifname == delegate.ifname) {
      return Status::InvalidConfig("network \"" + delegate.display_name + "\": interface name \"" +
                                       delegate.ifname + "\" is already used by network \"" +
                                       recorded.display_name + "\" of the pod",
                                   "give each network its own interface name");
    }
  }
  return OkStatus();
}

// Everything checked before the plan changes: the interface is free in the plan and in the
// pod, the config's plugins exist.
Status CheckAttachable(const Command& cmd, const NetworkPlan& plan,
                       const PlannedDelegate& delegate) {
  RETURN_IF_ERROR(CheckIfnameFree(plan, delegate));
  RETURN_IF_ERROR(CheckNetnsExists(*cmd.deps.netns, cmd.env.netns));
  NetworkPlan alone = plan;
  alone.netns = cmd.env.netns;
  alone.delegates = {delegate};
  RETURN_IF_ERROR(ValidatePlan(alone, cmd.SearchPath()));
  return CheckInterfacesFree(*cmd.deps.netns, alone);
}

// A failed hot-plug leaves nothing behind: the network's DEL (counted done whatever it says,
// as for a failed ADD: a plugin that could not add often cannot delete), its result cache and
// its place in the plan.
void RollBack(DelegateRunner& runner, NetworkPlan& plan, const std::string& scratch) {
  const PlannedDelegate& delegate = plan.delegates.back();
  Status deleted = runner.Del(delegate);
  if (!deleted.ok()) {
    log::Error("hot-plug rollback DEL failed [container={}, ifname={}]: {}", plan.container_id,
               delegate.ifname, deleted.msg());
  }
  (void)runner.ForgetResult(delegate);
  plan.delegates.pop_back();
  Status saved = SavePlan(scratch, plan);
  if (!saved.ok()) log::Error("hot-plug rollback: {}", saved.msg());
}

Result<std::string> AddLocked(const Command& cmd, const PlannedDelegate& delegate,
                              ContainerLock& lock) {
  std::string scratch = ScratchCachePath(cmd.conf.cni_dir, cmd.env.container_id);
  ASSIGN_OR_RETURN(NetworkPlan plan, PlanToExtend(cmd, scratch, lock));
  RETURN_IF_ERROR(CheckAttachable(cmd, plan, delegate));
  plan.delegates.push_back(delegate);
  // Recorded before it runs: if the daemon dies during the ADD, the pod's DEL still finds it.
  Status saved = SavePlan(scratch, plan);
  if (!saved.ok()) return saved.Prefixed("error saving the hot-plugged network");

  DelegateRunner runner(*cmd.deps.executor, cmd.MakeInvocation(plan.container_id, cmd.env.netns));
  Result<DelegateResult> added = runner.Add(plan.delegates.back());
  Result<nlohmann::json> converted =
      added.ok() ? ConvertResult(added->original, kHotplugResultVersion) : added.status();
  if (!converted.ok()) {
    RollBack(runner, plan, scratch);
    const std::string& net = delegate.conf.name;
    return converted.status().Prefixed("error adding container to network \"" + net + "\"");
  }
  log::Verbose("hot-plug Add: {}:{}:{}:{}:{} {}", plan.pod_namespace, plan.pod_name, plan.pod_uid,
               delegate.display_name, delegate.ifname, added->original.dump());
  return converted->dump();
}

// A network the plan does not record (a repeated DEL, or a pod this multus did not add): one
// DEL with the request's config, whose failure is logged and given up, so repeated DELs
// converge (docs/teardown.md, rule 5).
void DeleteUnrecorded(const Command& cmd, const PlannedDelegate& delegate,
                      const std::string& netns) {
  NetworkPlan guess{cmd.env.container_id, netns,           cmd.k8s.pod_namespace,
                    cmd.k8s.pod_name,     cmd.k8s.pod_uid, {delegate}};
  guess.delegates.front().del_failures = kMaxDelAttempts - 1;
  (void)DeletePlanDelegates(cmd, guess, netns);  // given up at once: never an error
}

Status DelLocked(const Command& cmd, const PlannedDelegate& delegate, ContainerLock& lock) {
  std::string scratch = ScratchCachePath(cmd.conf.cni_dir, cmd.env.container_id);
  ASSIGN_OR_RETURN(std::optional<NetworkPlan> cached, LoadCachedPlan(cmd, scratch));
  std::string netns = UsableNetns(*cmd.deps.netns, cmd.env.netns);
  // Upstream's cache names its interfaces after the calling CNI_IFNAME: no lookup by name.
  if (!cached || cached->from_upstream) {
    DeleteUnrecorded(cmd, delegate, netns);
    if (!cached) (void)lock.Remove();  // nothing of this container is kept
    return OkStatus();
  }
  NetworkPlan& plan = *cached;
  auto recorded =
      std::find_if(plan.delegates.begin(), plan.delegates.end(),
                   [&](const PlannedDelegate& d) { return d.ifname == delegate.ifname; });
  if (recorded == plan.delegates.end()) {
    DeleteUnrecorded(cmd, delegate, netns);
    return OkStatus();
  }
  if (recorded->master) {
    return Status::InvalidConfig(
        "interface " + delegate.ifname + " is the pod's cluster network (\"" +
            recorded->display_name + "\")",
        "hot-unplug removes secondary networks; the runtime's DEL removes the cluster network");
  }
  // With the config and capability args it was added with, and the teardown rules of a pod's
  // DEL: a failure is counted in the plan and the third one gives the network up.
  NetworkPlan alone = plan;
  alone.delegates = {*recorded};
  Status deleted = DeletePlanDelegates(cmd, alone, netns);
  *recorded = alone.delegates.front();
  if (recorded->del_done) plan.delegates.erase(recorded);
  Status saved = SavePlan(scratch, plan);
  if (!saved.ok()) return saved.Prefixed("error saving the pod's networks");
  if (!deleted.ok()) return deleted;
  log::Verbose("hot-plug Del: {}:{}:{}:{}:{}", plan.pod_namespace, plan.pod_name, plan.pod_uid,
               delegate.display_name, delegate.ifname);
  return OkStatus();
}

}  // namespace

Result<std::string> RunHotplug(const HotplugRequest& request, const NetConf& conf,
                               const EnvMap& process_env, Deps& deps) {
  Command cmd(request.env, conf, request.k8s, process_env, deps);
  ASSIGN_OR_RETURN(ContainerLock lock,
                   ContainerLock::Acquire(conf.cni_dir, request.env.container_id));
  if (request.env.command == "ADD") {
    Result<std::string> added = AddLocked(cmd, request.delegate, lock);
    if (!added.ok()) return added.status().Prefixed(cmd.PodLabel());
    return added;
  }
  Status deleted = DelLocked(cmd, request.delegate, lock);
  if (!deleted.ok()) return deleted.Prefixed(cmd.PodLabel());
  return std::string();
}

}  // namespace multus
