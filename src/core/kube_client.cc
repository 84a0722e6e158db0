#include "multus/kube_client.h"

#include <charconv>
#include <ctime>
#include <nlohmann/json.hpp>
#include <thread>

#include "multus/json_parse.h"
#include "multus/json_raw.h"
#include "multus/kube_decode.h"
#include "multus/log.h"

namespace multus {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr char kServiceAccountDir[] = "/var/run/secrets/kubernetes.io/serviceaccount";

bool Retryable(long status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

Status ApiError(const HttpRequest& request, const HttpResponse& response) {
  std::string what = request.method + " " + request.path + ": HTTP " +
                     std::to_string(response.status) + ": " + ApiErrorMessage(response.body);
  switch (response.status) {
    case 401:
      return Status::InvalidConfig(
          what,
          "the apiserver refused the credentials: check the token or client "
          "certificate in the multus kubeconfig");
    case 403:
      return Status::InvalidConfig(
          what,
          "the multus service account lacks RBAC permission for this request: "
          "apply deployments/multus-daemonset.yml's ClusterRole");
    default:
      return Status(Retryable(response.status) ? code::kTryAgainLater : code::kInternal, what,
                    "the apiserver returned an error");
  }
}

// Retry-After in seconds, but never sooner than our own backoff: "0", a negative value, an
// HTTP date or garbage must not turn the retry loop into a busy loop against the apiserver.
std::chrono::milliseconds RetryAfter(const HttpResponse& response,
                                     std::chrono::milliseconds backoff) {
  long seconds = 0;
  const std::string& text = response.retry_after;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (error != std::errc() || end != text.data() + text.size() || seconds <= 0) return backoff;
  return std::max<std::chrono::milliseconds>(std::chrono::seconds(std::min(seconds, 3600L)),
                                             backoff);
}

// Event messages are for `kubectl describe`; the apiserver may refuse long ones. Cut at a
// UTF-8 character boundary.
std::string_view EventMessage(std::string_view message) {
  constexpr size_t kMax = 1024;
  if (message.size() <= kMax) return message;
  size_t end = kMax;
  while (end > 0 && (static_cast<unsigned char>(message[end]) & 0xC0) == 0x80) --end;
  return message.substr(0, end);
}

std::string PodPath(std::string_view ns, std::string_view name) {
  return "/api/v1/namespaces/" + std::string(ns) + "/pods/" + std::string(name);
}

}  // namespace

RetryPolicy RetryPolicy::WithTimeouts(std::chrono::milliseconds request,
                                      std::chrono::milliseconds budget) {
  RetryPolicy policy;
  policy.request_timeout = std::min(request, budget);
  policy.invocation_budget = budget;
  policy.total_budget = std::min(policy.total_budget, budget);
  policy.event_timeout = std::min(policy.event_timeout, policy.request_timeout);
  return policy;
}

KubeClient::KubeClient(HttpTransport& transport, KubeConfig config, RetryPolicy policy, Sleep sleep)
    : transport_(transport),
      config_(std::move(config)),
      policy_(policy),
      sleep_(std::move(sleep)),
      invocation_deadline_(Clock::now() + policy.invocation_budget) {
  if (!sleep_) sleep_ = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  if (config_.token_file_identity) {
    cached_token_ = TrimToken(config_.token_file_content);
    token_identity_ = config_.token_file_identity;
  }
}

Result<std::string> KubeClient::Token() {
  if (config_.token_file.empty()) return config_.token;
  std::lock_guard<std::mutex> lock(token_mutex_);
  // Projected service-account tokens are rotated on disk (kubelet swaps in new files): every
  // request uses the file's current token, but a stat that shows the same file spares
  // re-reading it (one syscall instead of five).
  std::optional<FileIdentity> identity = StatFileIdentity(config_.token_file);
  if (identity && token_identity_ == identity) return cached_token_;
  ASSIGN_OR_RETURN(cached_token_, BearerToken(config_));
  token_identity_ = identity;
  return cached_token_;
}

Result<HttpResponse> KubeClient::Call(HttpRequest request, bool retry) {
  ASSIGN_OR_RETURN(request.bearer_token, Token());
  Clock::time_point deadline = std::min(Clock::now() + policy_.total_budget, invocation_deadline_);
  // A write that might time out after the server applied it would leave a status behind for
  // an ADD that then fails: send writes only with time for a whole request.
  bool is_write = request.method != "GET";
  if (Clock::now() + (is_write && retry ? policy_.request_timeout : std::chrono::milliseconds(0)) >=
      deadline) {
    return Status::TryAgainLater(request.method + " " + request.path + ": not sent",
                                 "the Kubernetes API time budget of this CNI call is used up");
  }
  std::chrono::milliseconds backoff = policy_.first_backoff;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    request.timeout = std::min(retry ? policy_.request_timeout : policy_.event_timeout,
                               std::max(left, std::chrono::milliseconds(1)));
    ++request_count_;
    Result<HttpResponse> response = transport_.Send(request);
    if (response.ok() && response->status == 0) {
      return Status::TryAgainLater(
          request.method + " " + request.path + ": " + response->body,
          "nothing answers at " + config_.server +
              ": check the kubeconfig's server address, or wait for the apiserver");
    }
    bool transient = !response.ok() ? response.status().code() == code::kTryAgainLater
                                    : Retryable(response->status);
    if (!transient || !retry) return response;
    std::chrono::milliseconds wait = response.ok() ? RetryAfter(*response, backoff) : backoff;
    if (Clock::now() + wait >= deadline) {
      if (!response.ok()) return response.status();
      return Status::TryAgainLater(ApiError(request, *response).msg(),
                                   "the apiserver kept failing for " +
                                       std::to_string(policy_.total_budget.count() / 1000) +
                                       "s; kubelet will retry");
    }
    log::Verbose("{} {}: transient failure, retrying in {} ms", request.method, request.path,
                 wait.count());
    sleep_(wait);
    backoff = std::min(backoff * 2, policy_.max_backoff);
  }
}

Result<std::optional<Pod>> KubeClient::GetPod(std::string_view ns, std::string_view name) {
  HttpRequest request{"GET", PodPath(ns, name), "", "", "", {}};
  ASSIGN_OR_RETURN(HttpResponse response, Call(request));
  if (response.status == 404) return std::optional<Pod>();
  if (response.status != 200) return ApiError(request, response);
  try {
    Pod pod = DecodePod(ParseJson(response.body));
    // The object is the one asked for, whatever its metadata says.
    pod.namespace_name = ns;
    pod.name = name;
    return std::optional<Pod>(std::move(pod));
  } catch (const json::exception& e) {
    return Status::Decode("GET pod " + std::string(ns) + "/" + std::string(name) +
                          ": cannot decode the answer: " + e.what());
  }
}

Result<std::optional<Nad>> KubeClient::GetNad(std::string_view ns, std::string_view name) {
  HttpRequest request{"GET",
                      "/apis/k8s.cni.cncf.io/v1/namespaces/" + std::string(ns) +
                          "/network-attachment-definitions/" + std::string(name),
                      "",
                      "",
                      "",
                      {}};
  ASSIGN_OR_RETURN(HttpResponse response, Call(request));
  if (response.status == 404) return std::optional<Nad>();
  if (response.status != 200) return ApiError(request, response);
  try {
    Nad nad = DecodeNad(ParseJson(response.body));
    nad.namespace_name = ns;
    nad.name = name;
    return std::optional<Nad>(std::move(nad));
  } catch (const json::exception& e) {
    return Status::Decode("GET network-attachment-definition " + std::string(ns) + "/" +
                          std::string(name) + ": cannot decode the answer: " + e.what());
  }
}

Status KubeClient::SetPodAnnotation(std::string_view ns, std::string_view name,
                                    std::string_view key, std::string_view value) {
  json patch = {{"metadata", {{"annotations", {{std::string(key), std::string(value)}}}}}};
  HttpRequest request{"PATCH",
                      PodPath(ns, name) + "/status",
                      "application/merge-patch+json",
                      patch.dump(-1, ' ', false, json::error_handler_t::replace),
                      "",
                      {}};
  ASSIGN_OR_RETURN(HttpResponse response, Call(request));
  if (response.status == 200 || response.status == 404) return OkStatus();
  // RBAC written for upstream grants only "update" on pods/status.
  if (response.status == 403) return PutAnnotation(ns, name, key, value);
  return ApiError(request, response);
}

Status KubeClient::PutAnnotation(std::string_view ns, std::string_view name, std::string_view key,
                                 std::string_view value) {
  constexpr int kAttempts = 5;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    HttpRequest get{"GET", PodPath(ns, name), "", "", "", {}};
    ASSIGN_OR_RETURN(HttpResponse current, Call(get));
    if (current.status == 404) return OkStatus();
    if (current.status != 200) return ApiError(get, current);
    json pod;
    try {
      // Inside the try: a pod, metadata or annotations that is not an object throws too.
      pod = ParseJson(current.body);
      pod["metadata"]["annotations"][std::string(key)] = std::string(value);
    } catch (const json::exception& e) {
      return Status::Decode(std::string("GET pod: cannot decode the answer: ") + e.what());
    }
    HttpRequest put{"PUT",
                    PodPath(ns, name) + "/status",
                    "application/json",
                    pod.dump(-1, ' ', false, json::error_handler_t::replace),
                    "",
                    {}};
    ASSIGN_OR_RETURN(HttpResponse response, Call(put));
    if (response.status == 200 || response.status == 404) return OkStatus();
    if (response.status != 409) return ApiError(put, response);
    sleep_(std::chrono::milliseconds(10));
  }
  return Status::TryAgainLater("status update for pod " + std::string(ns) + "/" +
                               std::string(name) + " kept conflicting");
}

Status KubeClient::PostEvent(const Pod& pod, std::string_view type, std::string_view reason,
                             std::string_view message) {
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  char stamp[32];
  std::tm utc{};
  gmtime_r(&seconds, &utc);  // not gmtime: events may be posted from several threads
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &utc);
  json event = {
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata", {{"generateName", pod.name + "."}, {"namespace", pod.namespace_name}}},
      {"involvedObject",
       {{"kind", "Pod"},
        {"namespace", pod.namespace_name},
        {"name", pod.name},
        {"uid", pod.uid},
        {"apiVersion", "v1"}}},
      {"type", type},
      {"reason", reason},
      {"message", EventMessage(message)},
      {"source", {{"component", "multus"}}},
      {"firstTimestamp", stamp},
      {"lastTimestamp", stamp},
      {"count", 1},
  };
  HttpRequest request{"POST",
                      "/api/v1/namespaces/" + pod.namespace_name + "/events",
                      "application/json",
                      event.dump(-1, ' ', false, json::error_handler_t::replace),
                      "",
                      {}};
  ASSIGN_OR_RETURN(HttpResponse response, Call(request, /*retry=*/false));
  if (response.status == 200 || response.status == 201) return OkStatus();
  return ApiError(request, response);
}

Result<KubeConfig> LoadKubeAccessConfig(std::string_view kubeconfig, const EnvMap& env) {
  return kubeconfig.empty() ? InClusterConfig(env, kServiceAccountDir)
                            : LoadKubeconfig(std::string(kubeconfig));
}

Result<KubeAccess> ConnectKubernetes(std::string_view kubeconfig, const EnvMap& env,
                                     const RetryPolicy& policy) {
  Result<KubeConfig> config = LoadKubeAccessConfig(kubeconfig, env);
  if (!config.ok()) return config.status();
  // One connection: the events' thread and the status write take turns on it, rather than
  // paying for a second TLS handshake.
  ASSIGN_OR_RETURN(std::unique_ptr<HttpTransport> transport,
                   MakeCurlTransport(*config, /*max_connections=*/1));
  KubeAccess access;
  access.client = std::make_unique<KubeClient>(*transport, *config, policy, nullptr);
  access.transport = std::move(transport);
  access.events_on_own_thread = true;
  return access;
}

}  // namespace multus
