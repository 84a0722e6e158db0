#include "multus/daemon_fast_path.h"

#include <algorithm>

namespace multus {
namespace {

// A ready daemon answers /readyz from memory, but in a pod burst the node's CPUs are shared
// with every plugin and delegate starting at once: a probe cut short there sends the call down
// the direct path, the expensive one, exactly when it costs most. A missing daemon fails the
// connect at once, so this bound only matters for a hung one.
constexpr std::chrono::milliseconds kReadinessProbeTimeout{2000};

class DaemonTransport : public HttpTransport {
 public:
  DaemonTransport(std::unique_ptr<UnixHttpClient> client, std::string socket_path)
      : client_(std::move(client)), socket_path_(std::move(socket_path)) {}

  Result<HttpResponse> Send(const HttpRequest& request) override {
    std::chrono::milliseconds timeout =
        request.method == "GET" ? request.timeout : std::max(request.timeout, kFastPathWriteWait);
    UnixHttpRequest forwarded{socket_path_, request.method,
                              std::string(kFastPathPrefix) + request.path, request.body, timeout};
    Result<UnixHttpReply> reply = client_->Send(forwarded);
    if (!reply.ok()) {
      // No daemon (any more): "nothing answered", which the client reports at once.
      if (reply.status().code() == code::kTryAgainLater) {
        return HttpResponse{0, reply.status().msg(), ""};
      }
      return reply.status();
    }
    return HttpResponse{reply->status, std::move(reply->body), ""};
  }

 private:
  std::unique_ptr<UnixHttpClient> client_;
  std::string socket_path_;
};

}  // namespace

std::string DaemonSocketPath(std::string_view socket_dir) {
  std::string path(socket_dir);
  if (!path.empty() && path.back() != '/') path += '/';
  return path + "multus.sock";
}

std::unique_ptr<HttpTransport> MakeDaemonTransport(std::unique_ptr<UnixHttpClient> client,
                                                   std::string socket_path) {
  return std::make_unique<DaemonTransport>(std::move(client), std::move(socket_path));
}

Result<KubeAccess> ConnectThroughDaemon(std::unique_ptr<UnixHttpClient> client,
                                        const std::string& socket_path, const RetryPolicy& policy) {
  // The fast path's own readiness: a daemon without a synced cache, or one that does not know
  // the fast path (upstream's), answers something else and the plugin does the work itself.
  Result<UnixHttpReply> ready = client->Send(
      {socket_path, "GET", std::string(kFastPathPrefix) + "/readyz", "", kReadinessProbeTimeout});
  if (!ready.ok()) return ready.status();
  if (ready->status != 200) {
    return Status::TryAgainLater("multus-daemon at " + socket_path + " is not ready (HTTP " +
                                 std::to_string(ready->status) + ")");
  }
  KubeConfig config;
  config.server = "unix:" + socket_path;  // for messages only
  KubeAccess access;
  access.transport = MakeDaemonTransport(std::move(client), socket_path);
  access.client = std::make_unique<KubeClient>(*access.transport, config, policy, nullptr);
  return access;
}

}  // namespace multus
