#include "shim.h"

#include <nlohmann/json.hpp>

#include "leftovers_linux.h"
#include "multus/base64.h"
#include "multus/cni_answers.h"
#include "multus/cni_env.h"
#include "multus/cni_result.h"
#include "multus/cni_version.h"
#include "multus/json_parse.h"
#include "multus/unix_http.h"
#include "shim_conf.h"
#include "shim_log.h"

#ifndef MULTUS_VERSION
#define MULTUS_VERSION "dev"
#endif
#ifndef MULTUS_GIT_COMMIT
#define MULTUS_GIT_COMMIT "unknown"
#endif

namespace multus::shim {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

// /readyz and /healthz are answered at once by a live daemon; a probe that takes longer is a
// hung daemon, and the readiness wait goes on with the next one.
constexpr milliseconds kProbeTimeout{2000};

constexpr std::string_view kAbout =
    "multus-shim: the multus CNI plugin of thick mode, forwards each call to multus-daemon";

void Log(ShimDeps& deps, LogLevel level, const std::string& message) {
  if (deps.log != nullptr) deps.log->Write(level, message);
}

// Upstream's request: the whole environment and the config bytes, base64 (Go's []byte).
std::string CniRequestBody(const EnvMap& env, std::string_view config) {
  json body = {{"env", env}, {"config", Base64Encode(config)}};
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Go's encoding/json matches field names case-insensitively, preferring the exact one.
const json* FindKey(const json& object, std::string_view name) {
  if (auto it = object.find(name); it != object.end()) return &*it;
  for (auto it = object.begin(); it != object.end(); ++it) {
    const std::string& key = it.key();
    if (key.size() == name.size() &&
        std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return &*it;
    }
  }
  return nullptr;
}

std::string Excerpt(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  return std::string(text.substr(0, 512)) + (text.size() > 512 ? "..." : "");
}

// A non-200 reply carries the CNI error of the daemon (or, from a broken daemon, plain text).
Status DaemonError(const UnixHttpReply& reply) {
  try {
    json error = ParseJson(reply.body);
    const json* code = error.is_object() ? FindKey(error, "code") : nullptr;
    if (code != nullptr && code->is_number_unsigned() && code->get<unsigned>() != 0) {
      const json* msg = FindKey(error, "msg");
      const json* details = FindKey(error, "details");
      return Status(code->get<int>(), msg && msg->is_string() ? msg->get<std::string>() : "",
                    details && details->is_string() ? details->get<std::string>() : "");
    }
  } catch (const json::exception&) {
  }
  return Status::Internal("multus-daemon answered HTTP " + std::to_string(reply.status) + ": " +
                          Excerpt(reply.body));
}

// ADD's reply is {"Result": <result>} (upstream's daemon: a 1.0.0 result); the runtime gets it
// in the config's version.
Result<std::string> AddResult(const UnixHttpReply& reply, std::string_view cni_version) {
  json body;
  try {
    body = ParseJson(reply.body);
  } catch (const json::exception& e) {
    return Status::Decode(std::string("cannot parse the ADD reply of multus-daemon: ") + e.what());
  }
  const json* result = body.is_object() ? FindKey(body, "Result") : nullptr;
  if (result == nullptr || !result->is_object()) {
    return Status::Decode("the ADD reply of multus-daemon has no result: " + Excerpt(reply.body));
  }
  ASSIGN_OR_RETURN(json parsed, AsPluginResult(*result, "1.0.0"));
  ASSIGN_OR_RETURN(json converted, ConvertResult(parsed, EffectiveVersion(cni_version)));
  return PrintResult(converted);
}

Result<UnixHttpReply> Send(ShimDeps& deps, const ShimConf& conf, std::string method,
                           std::string path, std::string body, milliseconds timeout) {
  UnixHttpRequest request{conf.socket_path, std::move(method), std::move(path), std::move(body),
                          timeout};
  return deps.client->Send(request);
}

// The daemon did not run the call: nothing listens on the socket (code 11 from the client),
// or it answered 503 (draining, or its queue is full). A broken connection during the call
// is not this: the call may have run.
bool NotTaken(const Result<UnixHttpReply>& reply) {
  return reply.ok() ? reply->status == 503 : reply.status().code() == code::kTryAgainLater;
}

std::string Seconds(std::chrono::seconds s) { return std::to_string(s.count()) + " s"; }

// Polls /readyz every kReadinessPoll until it answers 200, at the latest until `deadline`.
Status WaitUntilReady(const ShimConf& conf, ShimDeps& deps,
                      std::chrono::steady_clock::time_point deadline) {
  std::string last;
  for (int probes = 1;; ++probes) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - deps.now());
    Result<UnixHttpReply> reply =
        Send(deps, conf, "GET", "/readyz", "", std::clamp(left, kReadinessPoll, kProbeTimeout));
    if (reply.ok() && reply->status == 200) {
      if (probes > 1)
        Log(deps, LogLevel::kVerbose,
            "multus-daemon ready after " + std::to_string(probes) + " probes");
      return OkStatus();
    }
    last = reply.ok() ? "/readyz answered HTTP " + std::to_string(reply->status)
                      : reply.status().msg();
    if (deps.now() >= deadline) break;
    deps.sleep(kReadinessPoll);
  }
  return Status::TryAgainLater(
      "multus-daemon is not ready after " + Seconds(conf.readiness_timeout) + ": " + last,
      "check the multus daemon pod of this node; it serves " + conf.socket_path);
}

// DEL never reports success for a deletion that did not happen: when the daemon did not
// carry it out, it succeeds only if multus has nothing cached for the container (a pod that
// never got its networks must not keep kubelet retrying forever). Upstream's shim reports
// every DEL as done, and the IPs of a DEL sent while the daemon is down leak.
Status Delete(const CniEnv& cni, const ShimConf& conf, const std::string& body, ShimDeps& deps) {
  Status failure;               // why the daemon did not delete
  bool daemon_refused = false;  // it answered, with an error of its own
  Result<UnixHttpReply> health = Send(deps, conf, "GET", "/healthz", "", kProbeTimeout);
  if (!health.ok()) {
    failure = health.status();
  } else if (health->status != 200) {
    failure = Status::TryAgainLater("/healthz on " + conf.socket_path + " answered HTTP " +
                                    std::to_string(health->status));
  } else {
    Result<UnixHttpReply> reply = Send(deps, conf, "POST", "/cni", body, conf.request_timeout);
    if (reply.ok() && reply->status == 200) return OkStatus();
    daemon_refused = reply.ok();
    failure = reply.ok() ? DaemonError(*reply) : reply.status();
  }
  const std::string what = "DEL [container=" + cni.container_id + ", ifname=" + cni.ifname + "]";
  Result<std::vector<std::string>> leftovers = FindLeftovers(conf.cni_dir, cni.container_id);
  if (!leftovers.ok()) {
    return Status::TryAgainLater(
        what + " not done: " + failure.msg() + "; " + leftovers.status().msg(),
        "multus cannot tell whether networks are left to delete; kubelet retries DEL");
  }
  if (leftovers->empty()) {
    Log(deps, LogLevel::kWarning,
        what + ": multus-daemon did not delete (" + failure.msg() + "), but nothing of the " +
            "container is cached in " + conf.cni_dir + ": nothing to delete");
    return OkStatus();
  }
  if (daemon_refused) return failure;  // the daemon's own error, code kept
  return Status::TryAgainLater(
      what + " not done: multus-daemon cannot be reached on " + conf.socket_path + " (" +
          failure.msg() + ") and multus still holds " + std::to_string(leftovers->size()) +
          " cache file(s) of the container, e.g. " + leftovers->front(),
      "start (or repair) the multus daemon pod of this node; kubelet retries DEL until it "
      "succeeds, and then the pod's networks and IPs are released");
}

Result<std::string> Forward(const CniEnv& cni, const EnvMap& env, std::string_view stdin_data,
                            ShimDeps& deps, std::string& cni_version) {
  if (stdin_data.size() > kMaxShimStdinBytes) {
    return Status::InvalidConfig("the config on stdin is larger than " +
                                 std::to_string(kMaxShimStdinBytes >> 20) + " MiB");
  }
  ASSIGN_OR_RETURN(ShimConf conf, ParseShimConf(stdin_data));
  cni_version = conf.cni_version.empty() ? std::string(kCurrentVersion) : conf.cni_version;
  if (deps.log != nullptr) deps.log->Configure(conf.log);
  if (!IsSupportedVersion(conf.cni_version)) {
    return UnsupportedVersion(conf.cni_version);
  }
  Log(deps, LogLevel::kVerbose,
      cni.command + " [container=" + cni.container_id + ", ifname=" + cni.ifname +
          ", socket=" + conf.socket_path + "]");
  const std::string body = CniRequestBody(env, stdin_data);
  if (cni.command == "DEL") {
    RETURN_IF_ERROR(Delete(cni, conf, body, deps));
    return std::string();
  }
  // A daemon restarting or draining, or with its queue full, does not take the call (no
  // socket, or 503): wait for it to be ready again and resend, within the readiness bound,
  // rather than fail the pod's sandbox over a daemon rollout.
  const auto deadline = deps.now() + conf.readiness_timeout;
  Result<UnixHttpReply> reply = Status::TryAgainLater("not sent");
  for (;;) {
    RETURN_IF_ERROR(WaitUntilReady(conf, deps, deadline));
    reply = Send(deps, conf, "POST", "/cni", body, conf.request_timeout);
    if (!NotTaken(reply) || deps.now() >= deadline) break;
    Log(deps, LogLevel::kWarning,
        "multus-daemon did not take " + cni.command + " (" +
            (reply.ok() ? "HTTP 503" : reply.status().msg()) + "); waiting for it again");
    deps.sleep(kReadinessPoll);
  }
  if (!reply.ok()) return reply.status().Prefixed("multus-daemon did not answer " + cni.command);
  if (reply->status != 200) return DaemonError(*reply);
  if (cni.command == "ADD") return AddResult(*reply, conf.cni_version);
  return std::string();
}

}  // namespace

int RunShim(const std::vector<std::string>& argv, const EnvMap& env, std::string_view stdin_data,
            std::string& stdout_data, std::string& stderr_data, ShimDeps& deps) {
  if (IsFlag(argv, {"--version", "-version", "-v"})) {
    stdout_data = "multus-shim: version:" MULTUS_VERSION ", commit:" MULTUS_GIT_COMMIT "\n";
    return 0;
  }
  std::string cni_version;  // set once the config is parsed
  Status status = AnswerCniCall(env, kAbout, stdout_data, stderr_data, [&](const CniEnv& cni) {
    return Forward(cni, env, stdin_data, deps, cni_version);
  });
  if (status.ok()) return 0;
  if (cni_version.empty()) {
    // Failed before the config was parsed: still answer in its version and log where it says.
    ShimConf settings =
        stdin_data.size() > kMaxShimStdinBytes ? ShimConf{} : ParseReportingConf(stdin_data);
    if (deps.log != nullptr) deps.log->Configure(settings.log);
    cni_version =
        settings.cni_version.empty() ? std::string(kCurrentVersion) : settings.cni_version;
  }
  Log(deps, LogLevel::kError,
      status.msg() + " (code " + std::to_string(status.code()) +
          (status.details().empty() ? "" : ": " + status.details()) + ")");
  stdout_data = ErrorJson(status, cni_version);
  return 1;
}

}  // namespace multus::shim
