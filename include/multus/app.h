// The multus CNI plugin as a testable function: env, argv and stdin in; stdout and an exit
// code out. main.cc only gathers the process's inputs and calls Run.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "multus/cni_answers.h"
#include "multus/cni_env.h"
#include "multus/device_info.h"
#include "multus/log.h"

namespace multus {

class Clock;
class Executor;
class NadLookup;
class PodNetns;
struct KubeAccess;
struct RetryPolicy;

// Everything Run needs from outside: main.cc builds the real ones, unit tests fakes.
struct Deps {
  Executor* executor = nullptr;
  PodNetns* netns = nullptr;
  Clock* clock = nullptr;
  // Applies the config's log settings for the rest of the process, once per Run (main:
  // log::Configure). Unset: logging stays as it is.
  std::function<void(const log::Settings&)> configure_log;
  NadLookup* nads = nullptr;  // nullptr: no Kubernetes API (file-based configs only)
  std::chrono::milliseconds readiness_timeout{45000};
  std::chrono::milliseconds readiness_poll{1000};
  std::chrono::milliseconds plugin_timeout{60000};
  std::string kubelet_checkpoint = kKubeletCheckpoint;
  // Connects to the Kubernetes API (kubeconfig path, or in-cluster when empty). Defaults to
  // the real libcurl client; tests substitute a fake transport.
  std::function<Result<KubeAccess>(std::string_view kubeconfig, const EnvMap& env,
                                   const RetryPolicy& policy)>
      connect;
  // Connects through multus-daemon's socket (the fast path). Defaults to the real socket
  // client; tests substitute a fake daemon.
  std::function<Result<KubeAccess>(const std::string& socket_path, const RetryPolicy& policy)>
      connect_daemon;
  // True inside multus-daemon: a call it runs for the shim already is where the fast path
  // leads, so `daemonSocketDir` (which the thick 00-multus.conf carries) must not make it
  // call its own socket.
  bool in_daemon = false;
};

// A multus config is a few KB (tens with many delegates); stdin beyond this is refused before
// it is parsed (a 100 MB array once took 2.3 GB and 102 s).
inline constexpr size_t kMaxStdinBytes = 4 << 20;

// Runs one CNI invocation. stdout gets the CNI result or exactly one CNI error object;
// stderr gets the about text (no CNI_COMMAND) and version (--version). Returns the exit code.
int Run(const std::vector<std::string>& argv, const EnvMap& env, std::string_view stdin_data,
        std::string& stdout_data, std::string& stderr_data, Deps& deps);

}  // namespace multus
