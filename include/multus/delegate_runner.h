// Runs one planned delegate (conf or conflist) the way libcni does: plugin lookup,
// CNI_* env, stdin injections, chaining, result parsing and the per-delegate result cache.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "multus/cni_env.h"
#include "multus/cni_result.h"
#include "multus/delegate_conf.h"
#include "multus/executor.h"
#include "multus/network_plan.h"
#include "multus/status.h"

namespace multus {

struct Invocation {
  std::string container_id;
  std::string netns;
  std::vector<std::string> search_path;  // binDir, then CNI_PATH entries
  KeyValues cni_args;                    // composed once: see ComposeCniArgs
  EnvMap base_env;                       // multus's own environment
  std::string cni_dir;
  std::chrono::milliseconds timeout{60000};
  PluginPaths found_plugins;  // plugins found already in this call; others are searched
};

// CNI_ARGS for delegates: IgnoreUnknown=1, the K8S_POD_* keys once each, then any other key
// of the runtime's CNI_ARGS once (fixes upstream's duplicated keys, W24).
KeyValues ComposeCniArgs(const KeyValues& runtime_args);

// The first regular file named `type` in `search_path`. Code 7 when missing or invalid.
Result<std::string> FindPlugin(std::string_view type, const std::vector<std::string>& search_path);

class DelegateRunner {
 public:
  DelegateRunner(Executor& executor, Invocation invocation)
      : executor_(executor), invocation_(std::move(invocation)) {}

  // ADD: runs every plugin in order with prevResult chaining, caches the final result under
  // <cniDir>/results and returns it. The plugin's own CNI error code is kept.
  Result<DelegateResult> Add(const PlannedDelegate& delegate);
  // Replaces the cached ADD result (after multus itself changed the pod, e.g. default-route).
  Status RewriteCachedResult(const PlannedDelegate& delegate, const DelegateResult& result);
  // DEL: plugins in reverse order with the cached result as prevResult (>= 0.4.0); removes
  // the result cache on success. A missing cache is fine.
  Status Del(const PlannedDelegate& delegate);
  // Removes the delegate's result cache without running anything (a DEL given up).
  Status ForgetResult(const PlannedDelegate& delegate);
  // CHECK: plugins in order with the cached result; skipped below 0.4.0 or with disableCheck.
  Status Check(const PlannedDelegate& delegate);
  // STATUS: each plugin of a >= 1.1.0 delegate; older delegates are skipped.
  Status PluginStatus(const PlannedDelegate& delegate);
  // GC: each plugin of a >= 1.1.0 delegate gets cni.dev/valid-attachments.
  Status Gc(const PlannedDelegate& delegate, const std::string& valid_attachments);

 private:
  Result<std::string> RunPlugin(std::string_view command, const PlannedDelegate& delegate,
                                const DelegateConf& conf, const PluginConf& plugin,
                                std::string_view prev_result,
                                const std::vector<std::pair<std::string, std::string>>& extra = {});
  // Writes the delegate's result cache (`result`: JSON text as its plugin returned it).
  Status SaveResult(const PlannedDelegate& delegate, const std::string& result);
  // The cached ADD result converted for use as prevResult; empty when absent or unusable.
  std::string CachedPrevResult(const PlannedDelegate& delegate, const DelegateConf& conf);
  std::vector<std::string> Environment(std::string_view command, const PlannedDelegate& delegate);

  Executor& executor_;
  Invocation invocation_;
};

}  // namespace multus
