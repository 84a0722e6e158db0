// multus-shim as a testable function: the CNI env and the config on stdin in, stdout and an
// exit code out. It forwards ADD/DEL/CHECK/GC/STATUS to multus-daemon (upstream's protocol,
// docs/thick-mode.md) and answers VERSION itself. main.cc gathers the process's inputs.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "multus/unix_http.h"

namespace multus::shim {

class Logger;

struct ShimDeps {
  UnixHttpClient* client = nullptr;
  Logger* log = nullptr;
  // Monotonic time and sleeping, for the readiness wait; tests advance a fake clock.
  std::function<std::chrono::steady_clock::time_point()> now;
  std::function<void(std::chrono::milliseconds)> sleep;
};

inline constexpr std::chrono::milliseconds kReadinessPoll{100};
// A config is a few KB; the core refuses more than this too (multus/app.h kMaxStdinBytes).
inline constexpr size_t kMaxShimStdinBytes = 4 << 20;

// Runs one CNI invocation. stdout gets the CNI result (ADD), the version object (VERSION), or
// exactly one CNI error object; stderr the about text when CNI_COMMAND is unset. Returns the
// exit code. `-version` prints the version on stdout. DEL succeeds without the daemon only when
// multus has nothing cached for the container; otherwise it fails with code 11 so that kubelet
// retries.
int RunShim(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
            std::string_view stdin_data, std::string& stdout_data, std::string& stderr_data,
            ShimDeps& deps);

}  // namespace multus::shim
