#include "multus/background_events.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace multus {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// PostEvent records the message, then holds until the test lets that many events through;
// messages listed in `refuse` fail.
class GatedApi : public KubeApi {
 public:
  Result<std::optional<Pod>> GetPod(std::string_view, std::string_view) override {
    return std::optional<Pod>();
  }
  Result<std::optional<Nad>> GetNad(std::string_view, std::string_view) override {
    return std::optional<Nad>();
  }
  Status SetPodAnnotation(std::string_view, std::string_view, std::string_view,
                          std::string_view) override {
    return OkStatus();
  }
  Status PostEvent(const Pod& pod, std::string_view, std::string_view reason,
                   std::string_view message) override {
    std::unique_lock<std::mutex> lock(mutex_);
    started_.push_back(pod.name + " " + std::string(reason) + ": " + std::string(message));
    threads_.push_back(std::this_thread::get_id());
    changed_.notify_all();
    changed_.wait(lock, [this] { return allowed_ >= started_.size(); });
    if (message == refuse_) return Status::TryAgainLater("POST events: HTTP 500");
    return OkStatus();
  }

  void Allow(size_t events) {
    std::lock_guard<std::mutex> lock(mutex_);
    allowed_ = events;
    changed_.notify_all();
  }
  void Refuse(std::string message) { refuse_ = std::move(message); }
  // Waits until `count` events have reached PostEvent.
  void AwaitStarted(size_t count) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return started_.size() >= count; });
  }
  std::vector<std::string> started() {
    std::lock_guard<std::mutex> lock(mutex_);
    return started_;
  }
  std::vector<std::thread::id> threads() {
    std::lock_guard<std::mutex> lock(mutex_);
    return threads_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  size_t allowed_ = 0;
  std::string refuse_;
  std::vector<std::string> started_;
  std::vector<std::thread::id> threads_;
};

const Pod kPod{"ns", "web", "uid-1", {}, false};

TEST(BackgroundEventsTest, PostReturnsWhileTheEventIsInFlightAndDrainWaitsForAllInOrder) {
  GatedApi api;
  BackgroundEvents events(api, kPod, /*own_thread=*/true);
  events.Post("Normal", "AddedInterface", "Add eth0");
  api.AwaitStarted(1);  // on its way, and held there: the caller goes on meanwhile
  events.Post("Normal", "AddedInterface", "Add net1");
  EXPECT_THAT(api.started(), ElementsAre("web AddedInterface: Add eth0"));

  api.Allow(2);
  events.Drain();
  EXPECT_THAT(api.started(),
              ElementsAre("web AddedInterface: Add eth0", "web AddedInterface: Add net1"));
  for (std::thread::id id : api.threads()) EXPECT_NE(id, std::this_thread::get_id());
}

TEST(BackgroundEventsTest, TheFirstFailureDropsTheRest) {
  GatedApi api;
  api.Refuse("Add eth0");
  api.Allow(10);
  BackgroundEvents events(api, kPod, /*own_thread=*/true);
  events.Post("Normal", "AddedInterface", "Add eth0");
  api.AwaitStarted(1);
  events.Post("Normal", "AddedInterface", "Add net1");
  events.Drain();
  events.Post("Normal", "AddedInterface", "Add net2");  // after Drain: dropped too
  EXPECT_THAT(api.started(), ElementsAre("web AddedInterface: Add eth0"));
}

TEST(BackgroundEventsTest, OnceDrainedPostSendsOnTheCallersThread) {
  GatedApi api;
  api.Allow(10);
  BackgroundEvents events(api, kPod, /*own_thread=*/true);
  events.Post("Normal", "AddedInterface", "Add eth0");
  events.Drain();
  events.Post("Normal", "AddedInterface", "Add net1");
  EXPECT_THAT(api.started(),
              ElementsAre("web AddedInterface: Add eth0", "web AddedInterface: Add net1"));
  EXPECT_NE(api.threads()[0], std::this_thread::get_id());
  EXPECT_EQ(api.threads()[1], std::this_thread::get_id());
}

TEST(BackgroundEventsTest, DiscardDropsWhatIsQueuedButLetsTheEventInFlightFinish) {
  GatedApi api;
  BackgroundEvents events(api, kPod, /*own_thread=*/true);
  events.Post("Normal", "AddedInterface", "Add eth0");
  api.AwaitStarted(1);
  events.Post("Normal", "AddedInterface", "Add net1");
  events.Discard();
  events.Post("Normal", "AddedInterface", "Add net2");
  api.Allow(10);
  events.Drain();
  EXPECT_THAT(api.started(), ElementsAre("web AddedInterface: Add eth0"));
}

TEST(BackgroundEventsTest, DestructionDrains) {
  GatedApi api;
  api.Allow(10);
  {
    BackgroundEvents events(api, kPod, /*own_thread=*/true);
    events.Post("Normal", "AddedInterface", "Add eth0");
    events.Post("Normal", "AddedInterface", "Add net1");
  }
  EXPECT_EQ(api.started().size(), 2u);
}

TEST(BackgroundEventsTest, WithoutAThreadPostSendsAtOnceAndStopsAfterAFailure) {
  GatedApi api;
  api.Allow(10);
  api.Refuse("Add net1");
  BackgroundEvents events(api, kPod, /*own_thread=*/false);
  events.Post("Normal", "AddedInterface", "Add eth0");
  EXPECT_THAT(api.started(), ElementsAre("web AddedInterface: Add eth0"));
  EXPECT_THAT(api.threads(), ElementsAre(std::this_thread::get_id()));
  events.Post("Normal", "AddedInterface", "Add net1");
  events.Post("Normal", "AddedInterface", "Add net2");
  EXPECT_EQ(api.started().size(), 2u);
}

TEST(BackgroundEventsTest, NothingPostedStartsNoThread) {
  GatedApi api;
  BackgroundEvents events(api, kPod, /*own_thread=*/true);
  events.Drain();
  EXPECT_THAT(api.started(), IsEmpty());
}

}  // namespace
}  // namespace multus
