#include "multus/reflector.h"

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>

#include "multus/json_parse.h"
#include "multus/kube_decode.h"
#include "multus/log.h"
#include "watch_event.h"

namespace multus {

// One watch's progress, filled by HandleLine.
struct Reflector::WatchState {
  uint64_t events = 0;  // bookmarks included: a quiet but healthy watch
  Step outcome = Step::kProgress;
  bool ended_early = false;  // HandleLine stopped the stream
};

namespace {

using nlohmann::json;

// Pods are bounded by etcd's 1.5 MB object limit; a watch line is one object.
constexpr size_t kMaxWatchLine = 4 << 20;

// RFC 3986 unreserved characters stay; field selectors hold '=' and ','.
std::string QueryEscape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

bool WaitUnlessStopped(std::chrono::milliseconds duration, const std::stop_token& stop) {
  std::mutex mutex;
  std::condition_variable_any wakeup;
  std::unique_lock lock(mutex);
  return !wakeup.wait_for(lock, stop, duration, [] { return false; }) && !stop.stop_requested();
}

Reflector::Random DefaultRandom() {
  auto engine = std::make_shared<std::mt19937>(std::random_device{}());
  return [engine] { return std::uniform_real_distribution<double>(0, 1)(*engine); };
}

}  // namespace

ReflectorOptions PodReflectorOptions(std::string_view node_name) {
  ReflectorOptions options;
  options.path = "/api/v1/pods";
  options.field_selector = "spec.nodeName=" + std::string(node_name);
  return options;
}

ReflectorOptions NadReflectorOptions() {
  ReflectorOptions options;
  options.path = "/apis/k8s.cni.cncf.io/v1/network-attachment-definitions";
  return options;
}

Reflector::Reflector(HttpTransport& transport, KubeConfig config, ReflectorOptions options,
                     WatchTarget& target, Wait wait, Random random)
    : transport_(transport),
      config_(std::move(config)),
      options_(std::move(options)),
      target_(target),
      wait_(wait ? std::move(wait) : WaitUnlessStopped),
      random_(random ? std::move(random) : DefaultRandom()) {}

Reflector::~Reflector() { Stop(); }

void Reflector::Start() {
  if (!thread_.joinable())
    thread_ = std::jthread([this](const std::stop_token& stop) { Run(stop); });
}

void Reflector::Stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
}

ReflectorStats Reflector::stats() const {
  return {synced_.load(),  events_.load(),         bookmarks_.load(),
          relists_.load(), watch_restarts_.load(), api_errors_.load()};
}

void Reflector::Run(const std::stop_token& stop) {
  bool need_list = true;
  backoff_ = options_.first_backoff;
  while (!stop.stop_requested()) {
    Step step = need_list ? List(stop) : Watch(stop);
    if (!need_list && step != Step::kStopped) ++watch_restarts_;
    switch (step) {
      case Step::kProgress:
        need_list = false;
        backoff_ = options_.first_backoff;
        break;
      case Step::kGone:
        need_list = true;  // at once: the apiserver is fine, our version is too old
        break;
      case Step::kQuiet:
      case Step::kFailed:
        if (!wait_(NextBackoff(), stop)) return;
        break;
      case Step::kStopped:
        return;
    }
  }
}

// Capped exponential, plus up to 20% so that the nodes of a cluster do not retry in step.
std::chrono::milliseconds Reflector::NextBackoff() {
  auto jitter = std::chrono::milliseconds(
      static_cast<int64_t>(static_cast<double>(backoff_.count()) * 0.2 * random_()));
  std::chrono::milliseconds wait = std::min(backoff_ + jitter, options_.max_backoff);
  backoff_ = std::min(backoff_ * 2, options_.max_backoff);
  return wait;
}

Reflector::Step Reflector::Failed(std::string_view what) {
  ++api_errors_;
  log::Warning("watch cache {}: {}", options_.path, what);
  return Step::kFailed;
}

Result<HttpRequest> Reflector::Get(std::string path) const {
  HttpRequest request{"GET", std::move(path), "", "", "", options_.request_timeout};
  ASSIGN_OR_RETURN(request.bearer_token, BearerToken(config_));
  return request;
}

std::string Reflector::ListPath(std::string_view next) const {
  std::string path = options_.path + "?limit=" + std::to_string(options_.page_size);
  if (!options_.field_selector.empty()) {
    path += "&fieldSelector=" + QueryEscape(options_.field_selector);
  }
  if (!next.empty()) path += "&continue=" + QueryEscape(next);
  return path;
}

std::string Reflector::WatchPath() {
  auto timeout =
      static_cast<int64_t>(static_cast<double>(options_.watch_timeout.count()) * (1 + random_()));
  std::string path = options_.path + "?watch=true&allowWatchBookmarks=true&resourceVersion=" +
                     QueryEscape(resource_version_) + "&timeoutSeconds=" + std::to_string(timeout);
  if (!options_.field_selector.empty()) {
    path += "&fieldSelector=" + QueryEscape(options_.field_selector);
  }
  return path;
}

Reflector::Step Reflector::List(const std::stop_token& stop) {
  target_.DiscardStaged();
  std::string next;
  std::string resource_version;
  do {
    if (stop.stop_requested()) return Step::kStopped;
    Step step = ListPage(next, resource_version);
    if (step != Step::kProgress) return step;
  } while (!next.empty());
  target_.CommitStaged();
  resource_version_ = resource_version;
  if (lists_++ > 0) ++relists_;
  synced_ = true;
  return Step::kProgress;
}

// Stages one page's items; `next` becomes its continue token ("" on the last page).
Reflector::Step Reflector::ListPage(std::string& next, std::string& resource_version) {
  Result<HttpRequest> request = Get(ListPath(next));
  if (!request.ok()) return Failed(request.status().msg());
  Result<HttpResponse> response = transport_.Send(*request);
  if (!response.ok()) return Failed(response.status().msg());
  if (response->status != 200) {
    // 410 here is an expired continue token: the list starts over, after a pause.
    return Failed("LIST: HTTP " + std::to_string(response->status) + ": " +
                  ApiErrorMessage(response->body));
  }
  try {
    json page = ParseJson(response->body);
    const json& metadata = page.at("metadata");
    resource_version = metadata.value("resourceVersion", "");
    next = metadata.value("continue", "");
    for (const json& item : page.at("items")) {
      try {
        target_.Stage(item);
      } catch (const json::exception& e) {
        Failed(std::string("LIST: skipped an undecodable object: ") + e.what());
      }
    }
  } catch (const json::exception& e) {
    return Failed(std::string("LIST: cannot decode the answer: ") + e.what());
  }
  return Step::kProgress;
}

Reflector::Step Reflector::Watch(const std::stop_token& stop) {
  Result<HttpRequest> request = Get(WatchPath());
  if (!request.ok()) return Failed(request.status().msg());
  WatchState state;
  LineBuffer lines(kMaxWatchLine);
  auto on_data = [&](std::string_view chunk) {
    return lines.Append(chunk, [&](std::string_view line) { return HandleLine(line, state); });
  };
  Result<HttpResponse> response =
      transport_.Stream(*request, StreamControl{options_.idle_limit, stop}, on_data);
  if (stop.stop_requested()) return Step::kStopped;
  if (!response.ok()) return Failed(response.status().msg());
  if (response->status == 410) return Step::kGone;
  if (response->status != 200) {
    return Failed("WATCH: HTTP " + std::to_string(response->status) + ": " +
                  ApiErrorMessage(response->body));
  }
  if (lines.overflowed()) return Failed("WATCH: an event longer than the limit");
  if (state.ended_early) return state.outcome;
  return state.events > 0 ? Step::kProgress : Step::kQuiet;
}

// Applies one event. False ends the watch, with state.outcome saying what next.
bool Reflector::HandleLine(std::string_view line, WatchState& state) {
  Result<WatchEvent> event = ParseWatchEvent(line);
  state.ended_early = true;
  if (!event.ok()) {
    state.outcome = Failed(event.status().msg());
    return false;
  }
  if (event->type == WatchEventType::kError) {
    if (event->error_code == 410) {
      state.outcome = Step::kGone;
      return false;
    }
    state.outcome = Failed("WATCH: error event " + std::to_string(event->error_code) + ": " +
                           event->error_message);
    return false;
  }
  state.ended_early = false;
  try {
    if (event->type == WatchEventType::kDeleted) target_.Remove(event->object);
    if (event->type == WatchEventType::kAdded || event->type == WatchEventType::kModified) {
      target_.Put(event->object);
    }
    ++(event->type == WatchEventType::kBookmark ? bookmarks_ : events_);
  } catch (const json::exception& e) {
    Failed(std::string("WATCH: skipped an undecodable object: ") + e.what());
  }
  ++state.events;
  if (!event->resource_version.empty()) resource_version_ = event->resource_version;
  return true;
}

}  // namespace multus
