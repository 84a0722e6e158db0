#include "request_queue.h"

namespace multus::daemon {

RequestQueue::RequestQueue(size_t workers, size_t capacity) : capacity_(capacity) {
  if (workers == 0) workers = 1;
  for (size_t i = 0; i < workers; ++i) workers_.emplace_back([this] { Work(); });
}

RequestQueue::~RequestQueue() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    tasks_.clear();
  }
  wake_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

bool RequestQueue::TrySubmit(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || tasks_.size() >= capacity_ + (workers_.size() - running_)) return false;
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
  return true;
}

size_t RequestQueue::waiting() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return tasks_.size();
}

size_t RequestQueue::running() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return running_;
}

bool RequestQueue::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  return idle_.wait_for(lock, timeout, [this] { return tasks_.empty() && running_ == 0; });
}

void RequestQueue::Work() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
    if (stopping_) return;
    std::function<void()> task = std::move(tasks_.front());
    tasks_.pop_front();
    ++running_;
    lock.unlock();
    task();
    lock.lock();
    --running_;
    idle_.notify_all();
  }
}

}  // namespace multus::daemon
