#include "run.h"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <exception>

#include "event_loop.h"
#include "installer.h"
#include "multus/log.h"
#include "options.h"

#ifndef MULTUS_VERSION
#define MULTUS_VERSION "unknown"
#endif

namespace multus::install {
namespace {

using Clock = std::chrono::steady_clock;

int Fatal(const Status& status) {
  std::string msg = status.msg();
  if (!status.details().empty()) msg += " (" + status.details() + ")";
  log::Error("{}", msg);
  return kExitFatal;
}

bool Retryable(const Status& status) {
  return status.code() == code::kTryAgainLater || status.code() == code::kDecode;
}

// Waits until the multus config could be written; kExitOk with *stopped on a signal.
int WaitForConfig(Installer& installer, EventLoop& loop, const InstallOptions& options,
                  bool* stopped) {
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::seconds(options.master_wait_seconds);
  auto next_progress = start;
  for (;;) {
    Status status = installer.SyncConfig();
    if (status.ok()) return kExitOk;
    if (!Retryable(status)) return Fatal(status);
    auto now = Clock::now();
    if (now >= deadline) {
      log::Error("gave up waiting for a master CNI config after {}s", options.master_wait_seconds);
      return Fatal(status);
    }
    if (now >= next_progress) {
      auto waited = std::chrono::duration_cast<std::chrono::seconds>(now - start).count();
      log::Verbose("waiting for the master CNI config ({}s of {}s): {}", waited,
                   options.master_wait_seconds, status.msg());
      next_progress = now + std::chrono::seconds(10);
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
    if (loop.Wait(static_cast<int>(std::min<long long>(left, 1000))) == EventLoop::Wake::kSignal) {
      *stopped = true;
      return kExitOk;
    }
  }
}

int RunInstaller(const InstallOptions& options, const std::map<std::string, std::string>& env) {
  Installer installer(options, env);
  if (Status status = installer.Prepare(); !status.ok()) return Fatal(status);
  if (!options.skip_multus_binary_copy) {
    if (Status status = installer.InstallBinary(); !status.ok()) return Fatal(status);
  }
  if (Status status = installer.SyncCredentials(); !status.ok()) return Fatal(status);

  auto loop = EventLoop::Create();
  if (!loop.ok()) return Fatal(loop.status());
  (*loop)->SetDirectories(installer.WatchDirectories());

  bool stopped = false;
  if (int rc = WaitForConfig(installer, **loop, options, &stopped); rc != kExitOk) return rc;
  if (!stopped) {
    log::Verbose("multus is installed");
    if (options.oneshot) return kExitOk;
  }

  std::string last_error;
  while (!stopped) {
    auto wake = (*loop)->Wait(options.resync_seconds * 1000);
    if (wake == EventLoop::Wake::kSignal) break;
    // Both steps compare before writing, so only what really changed is rewritten. They are
    // independent: a credential problem must not hold back a master change, nor the reverse.
    std::string errors;
    if (Status status = installer.SyncCredentials(); !status.ok()) errors = status.msg();
    if (!options.skip_config_watch) {
      if (Status status = installer.SyncConfig(); !status.ok()) {
        errors += (errors.empty() ? "" : "; ") + status.msg();
      }
    }
    // A lasting problem is reported once, not at every resync.
    if (!errors.empty() && errors != last_error) log::Error("{}; will retry", errors);
    last_error = errors;
  }
  log::Verbose("stopping on signal {}", (*loop)->last_signal());
  if (options.cleanup_config_on_exit) installer.Cleanup();
  return kExitOk;
}

}  // namespace

int Run(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
        std::ostream& out, std::ostream& log_stream) {
  log::ConfigureStream(log_stream, log::Level::kVerbose);
  auto options = ParseOptions(args);
  if (!options.ok()) {
    log::Error("{} ({})", options.status().msg(), options.status().details());
    return kExitUsage;
  }
  if (options->help) {
    out << UsageText();
    return kExitOk;
  }
  if (options->version) {
    out << "multus-install " << MULTUS_VERSION << "\n";
    return kExitOk;
  }
  try {
    return RunInstaller(options.value(), env);
  } catch (const std::exception& e) {
    log::Error("unexpected error: {}", e.what());
  } catch (...) {
    log::Error("unexpected error");
  }
  return kExitFatal;
}

}  // namespace multus::install
