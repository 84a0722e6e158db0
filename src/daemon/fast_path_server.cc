#include "fast_path_server.h"

#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "multus/daemon_fast_path.h"
#include "multus/json_parse.h"
#include "multus/log.h"

namespace multus::daemon {
namespace {

using nlohmann::json;

// Events waiting for the apiserver; beyond this a burst drops them (they are best effort).
constexpr size_t kMaxQueuedEvents = 1024;

std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> parts;
  while (!path.empty()) {
    size_t slash = path.find('/');
    if (slash != 0) parts.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

HttpResponse Json(int status, const json& body) {
  return {status, body.dump(), "application/json"};
}

// A failure as the apiserver would say it (a Status object), with an HTTP status that the
// plugin's client treats like the apiserver's: 503 is retried, the others are not.
HttpResponse Failure(const Status& status) {
  int http = status.code() == code::kTryAgainLater ? 503 : 500;
  return Json(
      http, {{"kind", "Status"}, {"status", "Failure"}, {"message", status.msg()}, {"code", http}});
}

json EncodePod(const Pod& pod) {
  return {{"kind", "Pod"},
          {"apiVersion", "v1"},
          {"metadata",
           {{"namespace", pod.namespace_name},
            {"name", pod.name},
            {"uid", pod.uid},
            {"annotations", pod.annotations}}}};
}

json EncodeNad(const Nad& nad) {
  json object = {
      {"kind", "NetworkAttachmentDefinition"},
      {"apiVersion", "k8s.cni.cncf.io/v1"},
      {"metadata",
       {{"namespace", nad.namespace_name}, {"name", nad.name}, {"annotations", nad.annotations}}}};
  if (!nad.config.empty()) object["spec"] = {{"config", nad.config}};
  return object;
}

template <typename T, typename Encode>
HttpResponse Found(const Result<std::optional<T>>& found, Encode encode) {
  if (!found.ok()) return Failure(found.status());
  if (!found->has_value()) return Json(404, {{"kind", "Status"}, {"code", 404}});
  return Json(200, encode(**found));
}

// The merge patch the plugin sends: {"metadata":{"annotations":{key: value}}}.
HttpResponse PatchAnnotations(KubeApi& api, const std::string& ns, const std::string& name,
                              const std::string& body) {
  json patch = json::parse(body, nullptr, /*allow_exceptions=*/false);
  const json* annotations = nullptr;
  if (patch.is_object() && patch.contains("metadata") && patch["metadata"].is_object()) {
    auto it = patch["metadata"].find("annotations");
    if (it != patch["metadata"].end() && it->is_object()) annotations = &*it;
  }
  if (annotations == nullptr) return Json(400, {{"kind", "Status"}, {"code", 400}});
  for (const auto& [key, value] : annotations->items()) {
    if (!value.is_string()) return Json(400, {{"kind", "Status"}, {"code", 400}});
    Status set = api.SetPodAnnotation(ns, name, key, value.get<std::string>());
    if (!set.ok()) return Failure(set);
  }
  return Json(200, json::object());
}

}  // namespace

FastPathServer::FastPathServer(KubeApi& api, std::function<bool()> ready)
    : api_(api), ready_(std::move(ready)), poster_([this] { PostEvents(); }) {}

FastPathServer::~FastPathServer() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  poster_.join();
}

std::optional<HttpResponse> FastPathServer::Handle(const HttpRequest& request) {
  std::string_view path = request.path;
  if (path.substr(0, kFastPathPrefix.size()) != kFastPathPrefix) return std::nullopt;
  std::vector<std::string> p = Segments(path.substr(kFastPathPrefix.size()));
  const std::string& method = request.method;
  if (p.size() == 1 && p[0] == "readyz") {
    return ready_() ? Json(200, json::object()) : Json(503, {{"message", "cache not synced"}});
  }
  bool core = p.size() >= 4 && p[0] == "api" && p[1] == "v1" && p[2] == "namespaces";
  if (core && p.size() == 6 && p[4] == "pods" && method == "GET") {
    return Found(api_.GetPod(p[3], p[5]), EncodePod);
  }
  if (core && p.size() == 7 && p[4] == "pods" && p[6] == "status" && method == "PATCH") {
    return PatchAnnotations(api_, p[3], p[5], request.body);
  }
  if (core && p.size() == 5 && p[4] == "events" && method == "POST")
    return QueueEvent(request.body);
  if (p.size() == 7 && p[0] == "apis" && p[1] == "k8s.cni.cncf.io" && p[2] == "v1" &&
      p[3] == "namespaces" && p[5] == "network-attachment-definitions" && method == "GET") {
    return Found(api_.GetNad(p[4], p[6]), EncodeNad);
  }
  return Json(404, {{"kind", "Status"}, {"code", 404}, {"message", "not a fast path request"}});
}

HttpResponse FastPathServer::QueueEvent(const std::string& body) {
  json event = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!event.is_object() || !event.contains("involvedObject") ||
      !event["involvedObject"].is_object()) {
    return Json(400, {{"kind", "Status"}, {"code", 400}});
  }
  const json& object = event["involvedObject"];
  Event queued{Pod{object.value("namespace", ""),
                   object.value("name", ""),
                   object.value("uid", ""),
                   {},
                   false},
               event.value("type", ""), event.value("reason", ""), event.value("message", "")};
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (events_.size() >= kMaxQueuedEvents) {
      log::Warning("fast path: {} events waiting; dropping {} for {}/{}", events_.size(),
                   queued.reason, queued.pod.namespace_name, queued.pod.name);
      return Json(201, json::object());
    }
    events_.push_back(std::move(queued));
  }
  wake_.notify_one();
  return Json(201, json::object());
}

void FastPathServer::PostEvents() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !events_.empty(); });
    if (stopping_) return;
    Event event = std::move(events_.front());
    events_.pop_front();
    lock.unlock();
    Status posted = api_.PostEvent(event.pod, event.type, event.reason, event.message);
    if (!posted.ok())
      log::Verbose("fast path: event {} not posted: {}", event.reason, posted.msg());
    lock.lock();
  }
}

}  // namespace multus::daemon
