#include "multus/cached_kube_api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "multus/kube_decode.h"
#include "multus/reflector.h"
#include "testing/fake_kube_api.h"
#include "testing/fake_watch_transport.h"

namespace multus {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using test::EventLine;
using test::ListJson;
using test::PodJson;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

json NadJson(std::string_view name, std::string_view config) {
  return {{"metadata", {{"namespace", "ns"}, {"name", name}}}, {"spec", {{"config", config}}}};
}

class CachedKubeApiTest : public ::testing::Test {
 protected:
  CachedKubeApi Make(milliseconds pod_wait) {
    return CachedKubeApi(
        pods_, nads_,
        [this] {
          ++clients_;
          return std::shared_ptr<KubeApi>(std::shared_ptr<void>(), &live_);  // not owned
        },
        pod_wait);
  }
  // A first LIST of these pods.
  void SyncPods(const std::vector<std::string>& names) {
    for (const std::string& name : names) pods_.Stage(json::parse(PodJson("ns", name, "1")));
    pods_.CommitStaged();
  }
  void SyncNads(const std::vector<json>& items) {
    for (const json& item : items) nads_.Stage(item);
    nads_.CommitStaged();
  }

  ObjectStore<Pod> pods_{DecodePod};
  ObjectStore<Nad> nads_{DecodeNad};
  test::FakeKubeApi live_;
  std::atomic<int> clients_{0};
};

TEST_F(CachedKubeApiTest, APodInTheStoreIsAnsweredWithoutAnyRequest) {
  SyncPods({"a", "b"});
  CachedKubeApi api = Make(milliseconds(1000));
  Result<std::optional<Pod>> pod = api.GetPod("ns", "a");
  ASSERT_TRUE(pod.ok()) << pod.status().msg();
  ASSERT_TRUE(pod->has_value());
  EXPECT_EQ((*pod)->uid, "uid-a");
  EXPECT_EQ((*pod)->annotations.at("a"), "1");
  EXPECT_THAT(live_.calls(), IsEmpty());
  EXPECT_EQ(clients_, 0);
}

TEST_F(CachedKubeApiTest, AMissingPodIsAwaitedBrieflyThenAskedOfTheApi) {
  SyncPods({"a"});
  live_.AddPod(Pod{"ns", "new", "uid-new", {}, false});
  CachedKubeApi api = Make(milliseconds(20));
  Result<std::optional<Pod>> pod = api.GetPod("ns", "new");
  ASSERT_TRUE(pod.ok()) << pod.status().msg();
  ASSERT_TRUE(pod->has_value());
  EXPECT_EQ((*pod)->uid, "uid-new");
  EXPECT_FALSE(api.GetPod("ns", "nowhere")->has_value());
  EXPECT_THAT(live_.calls(), ElementsAre("GetPod ns/new", "GetPod ns/nowhere"));
}

TEST_F(CachedKubeApiTest, APodArrivingWhileAwaitedIsAnsweredFromTheStore) {
  SyncPods({});
  CachedKubeApi api = Make(milliseconds(60000));
  std::jthread watch([this] {
    std::this_thread::sleep_for(milliseconds(50));
    pods_.Put(json::parse(PodJson("ns", "late", "2")));
  });
  Result<std::optional<Pod>> pod = api.GetPod("ns", "late");
  ASSERT_TRUE(pod.ok()) << pod.status().msg();
  ASSERT_TRUE(pod->has_value());
  EXPECT_EQ((*pod)->uid, "uid-late");
  EXPECT_THAT(live_.calls(), IsEmpty());
}

TEST_F(CachedKubeApiTest, BeforeTheFirstListAMissIsAskedOfTheApiAtOnce) {
  live_.AddPod(Pod{"ns", "a", "uid-a", {}, false});
  CachedKubeApi api = Make(milliseconds(3600 * 1000));  // would hang the test if awaited
  Result<std::optional<Pod>> pod = api.GetPod("ns", "a");
  ASSERT_TRUE(pod.ok()) << pod.status().msg();
  EXPECT_TRUE(pod->has_value());
  EXPECT_THAT(live_.calls(), ElementsAre("GetPod ns/a"));
}

TEST_F(CachedKubeApiTest, NadsComeFromTheStoreElseFromTheApi) {
  SyncNads({NadJson("macvlan", R"({"type":"macvlan"})")});
  // Created after the list, not yet seen by the watch.
  live_.AddNad(Nad{"ns", "fresh", R"({"type":"bridge"})", {}});
  CachedKubeApi api = Make(milliseconds(1000));
  Result<std::optional<Nad>> hit = api.GetNad("ns", "macvlan");
  ASSERT_TRUE(hit.ok() && hit->has_value());
  EXPECT_EQ((*hit)->config, R"({"type":"macvlan"})");
  EXPECT_THAT(live_.calls(), IsEmpty());
  Result<std::optional<Nad>> fresh = api.GetNad("ns", "fresh");
  ASSERT_TRUE(fresh.ok() && fresh->has_value());
  EXPECT_EQ((*fresh)->config, R"({"type":"bridge"})");
  Result<std::optional<Nad>> missing = api.GetNad("other", "macvlan");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  EXPECT_THAT(live_.calls(), ElementsAre("GetNad ns/fresh", "GetNad other/macvlan"));
}

TEST_F(CachedKubeApiTest, WritesGoToTheApi) {
  SyncPods({"a"});
  CachedKubeApi api = Make(milliseconds(1000));
  EXPECT_TRUE(api.SetPodAnnotation("ns", "a", "k", "v").ok());
  EXPECT_TRUE(api.PostEvent(*pods_.Get("ns", "a"), "Normal", "AddedInterface", "eth0").ok());
  EXPECT_THAT(live_.calls(), ElementsAre("SetPodAnnotation ns/a k=v",
                                         "PostEvent ns/a Normal AddedInterface: eth0"));
  EXPECT_EQ(clients_, 2);
}

TEST_F(CachedKubeApiTest, ManyThreadsReadWhileTheWatchAppliesEvents) {
  constexpr int kPods = 10;
  constexpr int kEvents = 2000;
  std::stop_source stop = test::FakeWatchTransport::NewStopSource();
  test::FakeWatchTransport transport(stop);
  std::vector<std::string> items;
  for (int i = 0; i < kPods; ++i) items.push_back(PodJson("ns", "p" + std::to_string(i), "1"));
  transport.Reply(200, ListJson(items, "1"));
  std::vector<std::string> chunks;
  for (int i = 0; i < kEvents; ++i) {
    std::string name = "p" + std::to_string(i % kPods);
    chunks.push_back(
        EventLine("MODIFIED", PodJson("ns", name, std::to_string(i + 2), std::to_string(i))));
  }
  transport.Watch(std::move(chunks));
  Reflector reflector(transport, KubeConfig{}, PodReflectorOptions("node1"), pods_);
  std::atomic<bool> done{false};
  std::jthread watch([&] {
    reflector.Run(stop.get_token());
    done = true;
  });
  ASSERT_TRUE(pods_.WaitFor("ns", "p9", std::chrono::seconds(30)).has_value());
  CachedKubeApi api = Make(milliseconds(1000));
  std::atomic<int> bad{0};
  std::vector<std::jthread> readers;
  for (int t = 0; t < 8; ++t) {
    readers.emplace_back([&, t] {
      for (int i = 0; !done || i < 200; ++i) {
        Result<std::optional<Pod>> pod = api.GetPod("ns", "p" + std::to_string((i + t) % kPods));
        if (!pod.ok() || !pod->has_value() || (*pod)->annotations.count("a") == 0) ++bad;
      }
    });
  }
  readers.clear();  // joins
  watch.join();
  EXPECT_EQ(bad, 0);
  EXPECT_THAT(live_.calls(), IsEmpty());
  EXPECT_EQ(reflector.stats().events, static_cast<uint64_t>(kEvents));
  EXPECT_EQ(pods_.Get("ns", "p9")->annotations.at("a"), std::to_string(kEvents - 1));
}

}  // namespace
}  // namespace multus
