// The Kubernetes API calls multus makes: read the pod, read NADs, write network-status,
// post events. Builds requests and decodes responses; retries transient failures.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "multus/file_io.h"
#include "multus/http_transport.h"
#include "multus/kube_api.h"
#include "multus/kube_objects.h"
#include "multus/kubeconfig.h"
#include "multus/status.h"

namespace multus {

struct RetryPolicy {
  std::chrono::milliseconds request_timeout{5000};
  std::chrono::milliseconds total_budget{10000};  // per logical call, retries included
  std::chrono::milliseconds first_backoff{100};
  std::chrono::milliseconds max_backoff{1000};
  // All calls of one CNI invocation together, well under kubelet's own timeout.
  std::chrono::milliseconds invocation_budget{20000};
  // Events are best effort: one short try each.
  std::chrono::milliseconds event_timeout{1000};

  // The policy of one CNI call: `request` per request, `budget` for all of them together.
  static RetryPolicy WithTimeouts(std::chrono::milliseconds request,
                                  std::chrono::milliseconds budget);
};

class KubeClient : public KubeApi {
 public:
  using Sleep = std::function<void(std::chrono::milliseconds)>;
  KubeClient(HttpTransport& transport, KubeConfig config, RetryPolicy policy, Sleep sleep);

  // GET the pod. nullopt on 404. 401/403 are code 7 saying what to fix; transient failures
  // beyond the retry budget are code 11.
  Result<std::optional<Pod>> GetPod(std::string_view ns, std::string_view name) override;
  // GET a NetworkAttachmentDefinition. nullopt on 404.
  Result<std::optional<Nad>> GetNad(std::string_view ns, std::string_view name) override;
  // Sets the pod annotation `key` to `value` with one merge PATCH of pods/{name}/status;
  // on 403 falls back to GET + PUT of the status with conflict retries. A pod that is gone
  // (404) is success.
  Status SetPodAnnotation(std::string_view ns, std::string_view name, std::string_view key,
                          std::string_view value) override;
  // POSTs a core/v1 Event about the pod: one try of at most event_timeout (best effort:
  // callers log failures and stop posting).
  Status PostEvent(const Pod& pod, std::string_view type, std::string_view reason,
                   std::string_view message) override;

  // Every request this client sent (method and path), for logs and tests.
  int request_count() const { return request_count_.load(); }

 private:
  // Sends with retries of transient failures until the call's or the invocation's deadline.
  Result<HttpResponse> Call(HttpRequest request, bool retry = true);
  // The bearer token: `token`, or the token file's current content (a stat per request; read
  // again only when the file changed).
  Result<std::string> Token();
  Status PutAnnotation(std::string_view ns, std::string_view name, std::string_view key,
                       std::string_view value);

  HttpTransport& transport_;
  KubeConfig config_;
  RetryPolicy policy_;
  Sleep sleep_;
  // An ADD posts its events on a thread of its own (BackgroundEvents) while the status write
  // may be under way: what requests change is guarded.
  std::atomic<int> request_count_ = 0;
  std::mutex token_mutex_;
  std::string cached_token_;
  std::optional<FileIdentity> token_identity_;  // of the token file cached_token_ came from
  std::chrono::steady_clock::time_point invocation_deadline_;
};

// Builds the client the multus config asks for: `kubeconfig`, else in-cluster. Loads libcurl.
struct KubeAccess {
  std::unique_ptr<HttpTransport> transport;
  std::unique_ptr<KubeApi> client;
  // The client is a connection of its own to the apiserver (ConnectKubernetes), not the fast
  // path through multus-daemon (whose daemon posts events in the background) nor the daemon's
  // watch cache: an event's round trip is worth overlapping with the delegates still to run.
  bool events_on_own_thread = false;
};

// The connection settings the multus config asks for: `kubeconfig`, else in-cluster.
Result<KubeConfig> LoadKubeAccessConfig(std::string_view kubeconfig, const EnvMap& env);
Result<KubeAccess> ConnectKubernetes(std::string_view kubeconfig, const EnvMap& env,
                                     const RetryPolicy& policy);

}  // namespace multus
