// GC removes what the runtime no longer knows about, then asks the cluster network to do so.
#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "commands.h"
#include "multus/cache.h"
#include "multus/cni_env.h"
#include "multus/json_parse.h"
#include "multus/log.h"

namespace multus {
namespace {

// The containers of cni.dev/valid-attachments. The runtime lists multus's own attachment
// (containerID, CNI_IFNAME); every network multus attached for a listed container is valid.
Result<std::set<std::string>> ParseLiveContainers(const std::string& raw) {
  std::set<std::string> valid;
  try {
    for (const auto& item : ParseJson(raw)) {
      item.at("ifname").get<std::string>();  // required by the spec, checked for shape only
      valid.insert(item.at("containerID").get<std::string>());
    }
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidConfig(std::string("invalid cni.dev/valid-attachments: ") + e.what(),
                                 "expected a list of {\"containerID\", \"ifname\"}");
  }
  return valid;
}

// The container's lock, or nullopt when a call for it is running: GC never waits on a busy
// container (it is not stale, or the next GC takes it).
Result<std::optional<ContainerLock>> LockIfIdle(const Command& cmd,
                                                const std::string& container_id) {
  ASSIGN_OR_RETURN(std::optional<ContainerLock> lock,
                   ContainerLock::TryAcquire(cmd.conf.cni_dir, container_id));
  if (!lock) log::Verbose("GC: container {} is busy, left for the next GC", container_id);
  return lock;
}

// DELs one stale attachment from its result cache (which the DEL removes).
Status CollectAttachment(const Command& cmd, const CachedResult& cached) {
  ASSIGN_OR_RETURN(std::optional<ContainerLock> lock, LockIfIdle(cmd, cached.container_id));
  if (!lock) return OkStatus();
  PlannedDelegate delegate;
  delegate.display_name = cached.network_name;
  delegate.LoadConfig(cached.config);
  delegate.ifname = cached.ifname;
  delegate.capability_args = cached.capability_args;
  DelegateRunner runner(
      *cmd.deps.executor,
      cmd.MakeInvocation(cached.container_id, UsableNetns(*cmd.deps.netns, cached.netns)));
  return runner.Del(delegate);
}

// A container the runtime no longer knows: DEL its whole plan (an ADD killed half-way may
// have left delegates without result caches), then drop the plan and the lock file.
Status CollectPlan(const Command& cmd, const std::string& container_id) {
  std::string path = ScratchCachePath(cmd.conf.cni_dir, container_id);
  ASSIGN_OR_RETURN(std::optional<ContainerLock> lock, LockIfIdle(cmd, container_id));
  if (!lock) return OkStatus();
  ASSIGN_OR_RETURN(std::optional<std::string> bytes, ReadFileIfExists(path));
  if (!bytes) return OkStatus();
  ASSIGN_OR_RETURN(NetworkPlan plan, ParsePlanCache(*bytes, container_id, "", "eth0"));
  log::Verbose("GC: deleting stale container {}", container_id);
  RETURN_IF_ERROR(DeletePlanDelegates(cmd, plan, UsableNetns(*cmd.deps.netns, plan.netns)));
  RETURN_IF_ERROR(RemoveFileIfExists(path));
  RemoveTempFilesOf(path);
  return lock->Remove();
}

// Lock files of containers that are neither live nor cached: a DEL that never came, or one
// that kept its file because an older multus waited on it.
void RemoveStaleLocks(const Command& cmd, const std::set<std::string>& live) {
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::path(LockPath(cmd.conf.cni_dir, "x")).parent_path();
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (!name.ends_with(".lock")) continue;
    std::string container = name.substr(0, name.size() - 5);
    if (!IsValidCniIdentifier(container) || live.count(container)) continue;
    Result<std::optional<ContainerLock>> lock = LockIfIdle(cmd, container);
    if (!lock.ok() || !lock->has_value()) continue;
    struct stat info;
    if (stat(ScratchCachePath(cmd.conf.cni_dir, container).c_str(), &info) == 0) continue;
    (void)(*lock)->Remove();
  }
}

// Temp files of writes killed half-way: no write takes anywhere near this long.
constexpr long kStaleTempSeconds = 3600;

void RemoveCrashLeftovers(const Command& cmd, const std::set<std::string>& live) {
  RemoveStaleLocks(cmd, live);
  for (const std::string& dir :
       {cmd.conf.cni_dir, ResultsDir(cmd.conf.cni_dir),
        std::filesystem::path(FailedAddPath(cmd.conf.cni_dir, "x")).parent_path().string()}) {
    RemoveStaleTempFiles(dir, kStaleTempSeconds);
  }
}

// Markers of failed ADDs whose DEL never came.
void RemoveStaleMarkers(const Command& cmd, const std::set<std::string>& live) {
  std::error_code ec;
  std::filesystem::path dir =
      std::filesystem::path(FailedAddPath(cmd.conf.cni_dir, "x")).parent_path();
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (IsValidCniIdentifier(name) && !live.count(name)) {
      (void)RemoveFileIfExists(FailedAddPath(cmd.conf.cni_dir, name));
    }
  }
}

std::vector<std::string> StaleContainers(const Command& cmd, const std::set<std::string>& live) {
  std::vector<std::string> stale;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(cmd.conf.cni_dir, ec)) {
    std::string name = entry.path().filename().string();
    if (entry.is_regular_file(ec) && IsValidCniIdentifier(name) && !live.count(name)) {
      stale.push_back(name);
    }
  }
  return stale;
}

}  // namespace

Status CmdGc(const Command& cmd) {
  RETURN_IF_ERROR(WaitForReadiness(cmd));
  if (cmd.conf.valid_attachments.empty()) {
    log::Error("GC without cni.dev/valid-attachments: nothing removed");
    return OkStatus();
  }
  ASSIGN_OR_RETURN(std::set<std::string> live, ParseLiveContainers(cmd.conf.valid_attachments));
  Status first_error;
  for (const std::string& container : StaleContainers(cmd, live)) {
    Status collected = CollectPlan(cmd, container);
    if (!collected.ok() && first_error.ok()) first_error = collected;
  }
  for (const ResultCacheEntry& entry : ListResultCaches(cmd.conf.cni_dir)) {
    const CachedResult& cached = entry.cached;
    if (live.count(cached.container_id)) continue;
    log::Verbose("GC: deleting stale attachment [container={}, ifname={}, network={}]",
                 cached.container_id, cached.ifname, cached.network_name);
    Status collected = CollectAttachment(cmd, cached);
    if (!collected.ok() && first_error.ok()) first_error = collected;
  }
  RemoveStaleMarkers(cmd, live);
  RemoveCrashLeftovers(cmd, live);
  // The cluster network's plugin (delegates[0]) answers for the node.
  ASSIGN_OR_RETURN(NetworkPlan plan, cmd.StaticPlan());
  DelegateRunner runner(*cmd.deps.executor, cmd.MakeInvocation("", ""));
  Status plugins_gc = runner.Gc(plan.delegates.front(), cmd.conf.valid_attachments);
  return first_error.ok() ? plugins_gc : first_error.Prefixed("error in GC command");
}

}  // namespace multus
