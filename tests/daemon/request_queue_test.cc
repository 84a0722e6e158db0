#include "request_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

namespace multus::daemon {
namespace {

// A task that blocks until the gate opens.
struct Gate {
  std::mutex mutex;
  std::condition_variable cv;
  bool open = false;
  std::atomic<int> started{0};
  std::function<void()> Task() {
    return [this] {
      ++started;
      std::unique_lock<std::mutex> lock(mutex);
      cv.wait(lock, [this] { return open; });
    };
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mutex);
    open = true;
    cv.notify_all();
  }
};

TEST(RequestQueueTest, RefusesAtOnceWhenWorkersAndQueueAreFull) {
  Gate gate;
  RequestQueue queue(2, 1);
  EXPECT_TRUE(queue.TrySubmit(gate.Task()));
  EXPECT_TRUE(queue.TrySubmit(gate.Task()));
  EXPECT_TRUE(queue.TrySubmit(gate.Task()));  // waits
  EXPECT_FALSE(queue.TrySubmit(gate.Task()));
  EXPECT_FALSE(queue.WaitIdle(std::chrono::milliseconds(10)));
  gate.Open();
  EXPECT_TRUE(queue.WaitIdle(std::chrono::seconds(10)));
  EXPECT_EQ(gate.started, 3);
  EXPECT_TRUE(queue.TrySubmit(gate.Task()));
  EXPECT_TRUE(queue.WaitIdle(std::chrono::seconds(10)));
}

TEST(RequestQueueTest, ZeroCapacityRunsOnlyWhatTheWorkersCanTake) {
  Gate gate;
  RequestQueue queue(1, 0);
  EXPECT_TRUE(queue.TrySubmit(gate.Task()));
  EXPECT_FALSE(queue.TrySubmit(gate.Task()));
  gate.Open();
  EXPECT_TRUE(queue.WaitIdle(std::chrono::seconds(10)));
  EXPECT_EQ(queue.running(), 0u);
  EXPECT_EQ(queue.waiting(), 0u);
}

TEST(RequestQueueTest, DestructionDropsWaitingTasks) {
  Gate gate;
  std::atomic<int> ran{0};
  std::thread opener;
  {
    RequestQueue queue(1, 5);
    EXPECT_TRUE(queue.TrySubmit(gate.Task()));
    while (gate.started == 0) std::this_thread::yield();
    EXPECT_TRUE(queue.TrySubmit([&ran] { ++ran; }));
    EXPECT_EQ(queue.waiting(), 1u);
    opener = std::thread([&gate] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      gate.Open();
    });
  }
  opener.join();
  EXPECT_EQ(ran, 0);
}

}  // namespace
}  // namespace multus::daemon
