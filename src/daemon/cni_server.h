// The routes of <socketDir>/multus.sock: /cni runs a CNI call and /delegate a hot-plug, both
// on the worker pool within a deadline; /healthz, /readyz, and the plugin's fast path under
// /fastpath/v1. Counts every request.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cni_runner.h"
#include "fast_path_server.h"
#include "hotplug_runner.h"
#include "http_message.h"
#include "metrics.h"
#include "request_queue.h"

namespace multus::daemon {

enum class ServingState { kServing, kDraining };

// /readyz: 200 while serving, 503 once SIGTERM or SIGINT started the drain.
int ReadyzStatus(ServingState state);

struct CniServerOptions {
  size_t workers = 16;
  size_t queue_length = 64;
  std::chrono::milliseconds request_timeout{300000};
  std::vector<std::pair<std::string, std::string>> overrides;  // DaemonConfig::overrides
};

class CniServer {
 public:
  CniServer(CniServerOptions options, CniRunner runner, Metrics& metrics);

  // Serves the plugin's fast path too (routes under /fastpath/v1); `fast_path` must outlive
  // this server. Without it those routes answer 404 and the plugin does the work itself.
  void ServeFastPath(FastPathServer* fast_path) { fast_path_ = fast_path; }

  // Serves /delegate (pod interface hot-plug) with `runner`. Without it /delegate answers 501.
  void ServeHotplug(HotplugRunner runner) { hotplug_ = std::move(runner); }

  // The socket's handler (called from the connection threads).
  HttpResponse Handle(const HttpRequest& request);

  // Readiness turns 503 and new /cni calls are refused with code 11; running ones go on.
  void BeginDrain() { state_ = ServingState::kDraining; }
  ServingState state() const { return state_; }
  // Waits for the CNI calls running or waiting, at most `grace`. True when none is left.
  bool WaitIdle(std::chrono::milliseconds grace) { return queue_->WaitIdle(grace); }

 private:
  HttpResponse HandleCni(const HttpRequest& request);
  HttpResponse HandleDelegate(const HttpRequest& request);
  HttpResponse Route(const HttpRequest& request);
  // Runs `run` on a worker within the deadline, answering for it; refusals (draining, queue
  // full, deadline) carry code 11 in `version`. `command` names it in logs and, for /cni,
  // in the duration histogram (`observe`).
  HttpResponse RunOnWorker(const std::string& command, const std::string& version, bool observe,
                           std::function<HttpResponse()> run);
  HttpResponse RefuseWhileDraining(const std::string& version);

  CniServerOptions options_;
  CniRunner runner_;
  HotplugRunner hotplug_;
  Metrics& metrics_;
  std::atomic<ServingState> state_{ServingState::kServing};
  std::unique_ptr<RequestQueue> queue_;
  FastPathServer* fast_path_ = nullptr;
};

}  // namespace multus::daemon
