#include "multus/background_events.h"

#include <system_error>

#include "multus/log.h"

namespace multus {

BackgroundEvents::BackgroundEvents(KubeApi& api, Pod pod, bool own_thread)
    : api_(api), pod_(std::move(pod)), own_thread_(own_thread) {}

BackgroundEvents::~BackgroundEvents() { Drain(); }

void BackgroundEvents::Post(std::string type, std::string reason, std::string message) {
  Event event{std::move(type), std::move(reason), std::move(message)};
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (discarded_) return;
    if (own_thread_ && !drained_) {
      queue_.push_back(std::move(event));
      if (thread_.joinable() || StartThread()) {
        queued_.notify_one();
        return;
      }
      queue_.pop_back();  // no thread: sent here after all
    }
  }
  Send(event);
}

// Started by the first Post rather than up front: an ADD that posts nothing never pays for it.
// A node out of threads (a pids limit) gets its events on the caller's thread instead.
bool BackgroundEvents::StartThread() {
  try {
    thread_ = std::thread([this] { Run(); });
    return true;
  } catch (const std::system_error& e) {
    log::Verbose("events posted without a thread of their own: {}", e.what());
    drained_ = true;
    return false;
  }
}

void BackgroundEvents::Drain() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    drained_ = true;
    queued_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

void BackgroundEvents::Discard() {
  std::lock_guard<std::mutex> lock(mutex_);
  queue_.clear();
  discarded_ = true;
  drained_ = true;
  queued_.notify_one();
}

void BackgroundEvents::Send(const Event& event) {
  Status posted = api_.PostEvent(pod_, event.type, event.reason, event.message);
  if (posted.ok()) return;
  log::Verbose("events not posted: {}", posted.msg());
  std::lock_guard<std::mutex> lock(mutex_);
  discarded_ = true;
  queue_.clear();
}

void BackgroundEvents::Run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    queued_.wait(lock, [this] { return !queue_.empty() || drained_; });
    if (queue_.empty()) return;
    Event event = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    Send(event);
    lock.lock();
  }
}

}  // namespace multus
