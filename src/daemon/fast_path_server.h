// The daemon's side of the multus plugin's fast path (docs/thick-mode.md, "The fast path"):
// the Kubernetes API subset the plugin uses, under kFastPathPrefix, answered from the watch
// cache. Events are accepted at once and posted in the background, so a plugin's result never
// waits for them.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "http_message.h"
#include "multus/kube_api.h"

namespace multus::daemon {

class FastPathServer {
 public:
  // `api` (the cache's) must outlive this object; `ready`: whether the cache is synced.
  FastPathServer(KubeApi& api, std::function<bool()> ready);
  ~FastPathServer();  // posts no more events; those still queued are dropped (best effort)

  // nullopt when `request` is not for the fast path.
  std::optional<HttpResponse> Handle(const HttpRequest& request);

 private:
  struct Event {
    Pod pod;
    std::string type, reason, message;
  };
  HttpResponse QueueEvent(const std::string& body);
  void PostEvents();

  KubeApi& api_;
  std::function<bool()> ready_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Event> events_;
  bool stopping_ = false;
  std::thread poster_;
};

}  // namespace multus::daemon
