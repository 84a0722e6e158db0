// The Kubernetes events of one ADD. Each delegate's AddedInterface is queued as soon as the
// delegate succeeds; on a thread of its own, its round trip then overlaps the delegates still
// to run instead of following the status write: with N networks, N of the N+1 events leave the
// ADD's critical path.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "multus/kube_api.h"
#include "multus/kube_objects.h"

namespace multus {

class BackgroundEvents {
 public:
  // `own_thread` false: Post sends at once, on the caller's thread (KubeAccess says when: the
  // plugin's fast path, whose daemon posts in the background, and multus-daemon's calls
  // through its watch cache).
  BackgroundEvents(KubeApi& api, Pod pod, bool own_thread);
  ~BackgroundEvents();
  BackgroundEvents(const BackgroundEvents&) = delete;
  BackgroundEvents& operator=(const BackgroundEvents&) = delete;

  // Best effort, like every event: after the first failure (the apiserver is struggling, and
  // the pod must not wait for it) the rest are dropped, and logged at verbose level. Once
  // drained, sends at once on the caller's thread.
  void Post(std::string type, std::string reason, std::string message);
  // Returns when every queued event is sent or dropped: the one in flight and those behind it
  // each take at most the client's event timeout.
  void Drain();
  // The ADD is being rolled back: drops the events not yet sent and any posted later. The one
  // in flight, if any, completes on its own (Drain, or the destructor, waits for it).
  void Discard();

 private:
  struct Event {
    std::string type, reason, message;
  };
  void Send(const Event& event);
  bool StartThread();  // with mutex_ held
  void Run();

  KubeApi& api_;
  const Pod pod_;
  const bool own_thread_;
  std::mutex mutex_;
  std::condition_variable queued_;
  std::deque<Event> queue_;
  bool drained_ = false;    // the thread is done: Post sends on the caller's thread
  bool discarded_ = false;  // by Discard or by a failure: nothing more is sent
  std::thread thread_;      // started by the first Post
};

}  // namespace multus
