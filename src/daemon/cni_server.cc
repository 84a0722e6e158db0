#include "cni_server.h"

#include <condition_variable>
#include <mutex>

#include "daemon_config.h"
#include "multus/cni_version.h"
#include "multus/daemon_fast_path.h"
#include "multus/hotplug.h"
#include "multus/log.h"
#include "multus/net_conf.h"
#include "shim_protocol.h"

namespace multus::daemon {
namespace {

using SteadyClock = std::chrono::steady_clock;

// What a connection thread and the worker running its call share. A call whose client has
// given up (deadline) before a worker took it is not run at all.
struct Call {
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  bool abandoned = false;
  HttpResponse response;
};

HttpResponse Text(int status, std::string body) { return {status, std::move(body), "text/plain"}; }

std::string VersionOf(std::string_view config) {
  std::string version = ParseReportingSettings(config).cni_version;
  return version.empty() ? std::string(kCurrentVersion) : version;
}

}  // namespace

int ReadyzStatus(ServingState state) { return state == ServingState::kServing ? 200 : 503; }

CniServer::CniServer(CniServerOptions options, CniRunner runner, Metrics& metrics)
    : options_(std::move(options)),
      runner_(std::move(runner)),
      metrics_(metrics),
      queue_(std::make_unique<RequestQueue>(options_.workers, options_.queue_length)) {
  RequestQueue* queue = queue_.get();
  metrics_.AddGauge("multus_cni_requests_in_flight", "CNI calls running.", [queue] {
    return std::vector<Metrics::Sample>{{"", static_cast<double>(queue->running())}};
  });
  metrics_.AddGauge("multus_cni_requests_queued", "CNI calls waiting for a worker.", [queue] {
    return std::vector<Metrics::Sample>{{"", static_cast<double>(queue->waiting())}};
  });
}

HttpResponse CniServer::Handle(const HttpRequest& request) {
  if (fast_path_ != nullptr) {
    if (std::optional<HttpResponse> response = fast_path_->Handle(request)) {
      // One label for every object's path: the metric's cardinality stays fixed.
      metrics_.CountRequest(std::string(kFastPathPrefix), response->status, request.method);
      return *response;
    }
  }
  HttpResponse response = Route(request);
  metrics_.CountRequest(request.path, response.status, request.method);
  return response;
}

HttpResponse CniServer::Route(const HttpRequest& request) {
  bool get_or_post = request.method == "GET" || request.method == "POST";
  if (request.path == "/healthz") return get_or_post ? Text(200, "") : Text(405, "");
  if (request.path == "/readyz") {
    if (!get_or_post) return Text(405, "");
    int status = ReadyzStatus(state_);
    return Text(status, status == 200 ? "" : "shutting down\n");
  }
  if (request.path == "/cni") return request.method == "POST" ? HandleCni(request) : Text(405, "");
  if (request.path == "/delegate") {
    return request.method == "POST" ? HandleDelegate(request) : Text(405, "");
  }
  return Text(404, "not found\n");
}

HttpResponse CniServer::HandleCni(const HttpRequest& request) {
  Result<ShimRequest> decoded = DecodeShimRequest(request.body);
  if (!decoded.ok()) return ErrorReply(400, decoded.status(), kCurrentVersion);
  std::string version = VersionOf(decoded->config);
  const std::string command = decoded->env["CNI_COMMAND"];
  if (state_ == ServingState::kDraining) return RefuseWhileDraining(version);
  Result<std::string> config = ApplyOverrides(decoded->config, options_.overrides);
  if (!config.ok()) return ErrorReply(400, config.status().Prefixed("the CNI config"), version);
  return RunOnWorker(command, version, true,
                     [this, env = std::move(decoded->env), config = std::move(*config)] {
                       CniOutput output = runner_(env, config);
                       return EncodeCniReply(output.exit_code, output.stdout_data);
                     });
}

HttpResponse CniServer::HandleDelegate(const HttpRequest& request) {
  Result<ShimRequest> decoded = DecodeShimRequest(request.body);
  std::string version = decoded.ok() ? VersionOf(decoded->config) : std::string(kCurrentVersion);
  if (!hotplug_) {
    return ErrorReply(501,
                      Status(code::kUnsupportedField, "this multus-daemon does not serve /delegate",
                             "attach the network with the pod's networks annotation"),
                      version);
  }
  Result<HotplugRequest> parsed = decoded.ok() ? ParseHotplugRequest(decoded->env, decoded->config,
                                                                     decoded->interface_attributes)
                                               : Result<HotplugRequest>(decoded.status());
  if (!parsed.ok()) {
    const Status& error = parsed.status();
    log::Error("/delegate refused: {} (code {}{}{})", error.msg(), error.code(),
               error.details().empty() ? "" : ": ", error.details());
    return ErrorReply(400, error, version);
  }
  const std::string command = parsed->env.command;
  return RunOnWorker(
      "hot-plug " + command, version, false, [this, version, hotplug = std::move(parsed).value()] {
        Result<std::string> result = hotplug_(hotplug);
        if (!result.ok()) {
          const Status& error = result.status();
          log::Error("/delegate {} failed [container={}, ifname={}]: {} (code {}{}{})",
                     hotplug.env.command, hotplug.env.container_id, hotplug.env.ifname, error.msg(),
                     error.code(), error.details().empty() ? "" : ": ", error.details());
        }
        return EncodeHotplugReply(result, version);
      });
}

HttpResponse CniServer::RefuseWhileDraining(const std::string& version) {
  metrics_.CountRejected("shutting_down");
  return ErrorReply(503,
                    Status::TryAgainLater("multus-daemon is shutting down",
                                          "the runtime retries; the next daemon will serve it"),
                    version);
}

HttpResponse CniServer::RunOnWorker(const std::string& command, const std::string& version,
                                    bool observe, std::function<HttpResponse()> run) {
  if (state_ == ServingState::kDraining) return RefuseWhileDraining(version);
  auto call = std::make_shared<Call>();
  SteadyClock::time_point start = SteadyClock::now();
  bool queued = queue_->TrySubmit([call, run = std::move(run)] {
    {
      std::lock_guard<std::mutex> lock(call->mutex);
      if (call->abandoned) return;
    }
    HttpResponse response = run();
    std::lock_guard<std::mutex> lock(call->mutex);
    call->response = std::move(response);
    call->done = true;
    call->done_cv.notify_all();
  });
  if (!queued) {
    metrics_.CountRejected("queue_full");
    log::Warning("refusing {}: {} CNI calls running and {} waiting", command, queue_->running(),
                 queue_->waiting());
    return ErrorReply(503,
                      Status::TryAgainLater("multus-daemon is busy: too many CNI calls waiting",
                                            "the runtime retries; raise connectionLimit or "
                                            "requestQueueLength if this lasts"),
                      version);
  }
  std::unique_lock<std::mutex> lock(call->mutex);
  if (!call->done_cv.wait_for(lock, options_.request_timeout, [&] { return call->done; })) {
    call->abandoned = true;
    metrics_.CountRejected("deadline");
    log::Error("{} not answered within {} s; the client is told to retry", command,
               options_.request_timeout.count() / 1000);
    return ErrorReply(
        504,
        Status::TryAgainLater(command + " did not finish within " +
                                  std::to_string(options_.request_timeout.count() / 1000) +
                                  " s in multus-daemon",
                              "a delegate or the API is slow; the runtime retries"),
        version);
  }
  std::chrono::duration<double> took = SteadyClock::now() - start;
  if (observe) metrics_.ObserveCni(command, took.count());
  return call->response;
}

}  // namespace multus::daemon
