// ADD: plan, validate everything, save the plan, run the delegates, roll back on failure.
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "multus/cache.h"
#include "multus/cni_result.h"
#include "multus/cni_version.h"
#include "multus/delegate_conf.h"
#include "multus/log.h"

namespace multus {
namespace {

std::string NetworkName(const PlannedDelegate& delegate) {
  Result<DelegateConf> conf = LoadDelegateConf(delegate.config);
  return conf.ok() ? conf->name : delegate.display_name;
}

// Deletes delegates [0, last] in reverse order. True when every DEL succeeded.
bool RollBack(DelegateRunner& runner, const NetworkPlan& plan, size_t last) {
  bool clean = true;
  for (size_t i = last + 1; i-- > 0;) {
    Status deleted = runner.Del(plan.delegates[i]);
    if (!deleted.ok()) {
      clean = false;
      log::Error("rollback DEL failed [container={}, ifname={}]: {}", plan.container_id,
                 plan.delegates[i].ifname, deleted.msg());
    }
  }
  return clean;
}

Status CheckNetnsExists(const std::string& netns) {
  struct stat info;
  if (stat(netns.c_str(), &info) == 0) return OkStatus();
  return Status(code::kInvalidEnv, "CNI_NETNS " + netns + " does not exist",
                "the pod sandbox's network namespace must exist on ADD");
}

}  // namespace

Result<std::string> CmdAdd(const Command& cmd) {
  ASSIGN_OR_RETURN(ContainerLock lock, ContainerLock::Acquire(cmd.conf.cni_dir, cmd.env.container_id));
  RETURN_IF_ERROR(CheckNetnsExists(cmd.env.netns));
  RETURN_IF_ERROR(WaitForReadiness(cmd));
  Result<NetworkPlan> planned = cmd.StaticPlan();
  if (!planned.ok()) return planned.status().Prefixed(cmd.Pod());
  NetworkPlan plan = std::move(planned).value();
  std::vector<std::string> search_path = cmd.SearchPath();
  Status valid = ValidatePlan(plan, search_path);
  if (!valid.ok()) return valid.Prefixed(cmd.Pod());

  std::string scratch = ScratchCachePath(cmd.conf.cni_dir, plan.container_id);
  Status saved = WriteFileAtomic(scratch, SerializePlan(plan));
  if (!saved.ok()) return saved.Prefixed(cmd.Pod() + ": error saving the delegates");

  DelegateRunner runner(*cmd.deps.executor, cmd.MakeInvocation(plan.container_id, plan.netns));
  std::string master_result;
  for (size_t i = 0; i < plan.delegates.size(); ++i) {
    const PlannedDelegate& delegate = plan.delegates[i];
    Result<std::string> result = runner.Add(delegate);
    if (!result.ok()) {
      // Nothing is left behind: undo what was added; keep the plan only if undoing failed,
      // so the runtime's DEL can finish the job.
      if (RollBack(runner, plan, i)) (void)RemoveFileIfExists(scratch);
      std::string net = NetworkName(delegate);
      return result.status().Prefixed("[" + plan.pod_namespace + "/" + plan.pod_name + "/" +
                                       plan.pod_uid + ":" + net +
                                       "]: error adding container to network \"" + net + "\"");
    }
    log::Verbose("Add: {}:{}:{}:{}:{} {}", plan.pod_namespace, plan.pod_name, plan.pod_uid,
                 delegate.display_name, delegate.ifname, *result);
    if (delegate.master) master_result = std::move(result).value();
  }
  Result<nlohmann::json> parsed = ParseResult(master_result, "");
  if (!parsed.ok()) return parsed.status();
  ASSIGN_OR_RETURN(nlohmann::json converted,
                   ConvertResult(*parsed, EffectiveVersion(cmd.conf.cni_version)));
  return PrintResult(converted);
}

}  // namespace multus
