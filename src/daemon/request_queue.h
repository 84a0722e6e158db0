// A fixed pool of workers with a bounded queue: what bounds the CNI calls the daemon runs at
// once and the ones it keeps waiting. A full queue refuses at once instead of blocking.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace multus::daemon {

class RequestQueue {
 public:
  // `workers` threads (at least 1); at most `capacity` tasks wait for one.
  RequestQueue(size_t workers, size_t capacity);
  // Lets the running tasks finish, drops the waiting ones, joins the workers.
  ~RequestQueue();
  RequestQueue(const RequestQueue&) = delete;
  RequestQueue& operator=(const RequestQueue&) = delete;

  // Queues `task`; false (and `task` dropped) when `capacity` tasks already wait.
  bool TrySubmit(std::function<void()> task);

  size_t waiting() const;
  size_t running() const;
  // Blocks until nothing waits or runs, at most `timeout`. True when idle.
  bool WaitIdle(std::chrono::milliseconds timeout);

 private:
  void Work();

  const size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;  // a task arrived or the pool stops
  std::condition_variable idle_;  // a task ended
  std::deque<std::function<void()>> tasks_;
  size_t running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace multus::daemon
