#include "multus/reflector.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "multus/kube_decode.h"
#include "multus/object_store.h"
#include "testing/fake_watch_transport.h"
#include "testing/temp_dir.h"

namespace multus {
namespace {

using std::chrono::milliseconds;
using test::EventLine;
using test::ListJson;
using test::PodJson;
using ::testing::ElementsAre;

const char kListPath[] = "/api/v1/pods?limit=500&fieldSelector=spec.nodeName%3Dnode1";

std::string WatchPath(std::string_view rv) {
  return "/api/v1/pods?watch=true&allowWatchBookmarks=true&resourceVersion=" + std::string(rv) +
         "&timeoutSeconds=300&fieldSelector=spec.nodeName%3Dnode1";
}

class ReflectorTest : public ::testing::Test {
 protected:
  ReflectorTest() { config_.token = "t"; }

  // Runs the reflector on this thread until the fake transport's script is played.
  void Run(double random = 0) {
    Reflector reflector(
        transport_, config_, PodReflectorOptions("node1"), pods_,
        [this](milliseconds d, const std::stop_token& stop) {
          waits_.push_back(d);
          if (on_wait_) on_wait_();
          return !stop.stop_requested();
        },
        [random] { return random; });
    reflector.Run(stop_.get_token());
    stats_ = reflector.stats();
    EXPECT_EQ(transport_.pending(), 0u);
  }

  // namespace/name=annotation a, for every pod of the store.
  std::vector<std::string> Pods(const std::vector<std::string>& keys) {
    std::vector<std::string> out;
    for (const std::string& key : keys) {
      size_t slash = key.find('/');
      std::optional<Pod> pod = pods_.Get(key.substr(0, slash), key.substr(slash + 1));
      out.push_back(pod ? key + "=" + pod->annotations["a"] : key + " missing");
    }
    return out;
  }

  std::stop_source stop_;
  test::FakeWatchTransport transport_{stop_};
  KubeConfig config_;
  ObjectStore<Pod> pods_{DecodePod};
  std::vector<milliseconds> waits_;
  std::function<void()> on_wait_;  // runs inside each backoff wait
  ReflectorStats stats_;
};

TEST_F(ReflectorTest, ListsThenWatchesAndAppliesAddedModifiedDeleted) {
  transport_.Reply(200, ListJson({PodJson("ns", "a", "5"), PodJson("ns", "b", "6")}, "10"));
  transport_.Watch({EventLine("ADDED", PodJson("ns", "c", "11")) +
                    EventLine("MODIFIED", PodJson("ns", "a", "12", "2")) +
                    EventLine("DELETED", PodJson("ns", "b", "13"))});
  Run();
  EXPECT_THAT(Pods({"ns/a", "ns/b", "ns/c"}), ElementsAre("ns/a=2", "ns/b missing", "ns/c=1"));
  EXPECT_EQ(pods_.size(), 2u);
  EXPECT_TRUE(pods_.synced());
  EXPECT_EQ(pods_.Get("ns", "c")->uid, "uid-c");
  EXPECT_THAT(transport_.paths(), ElementsAre(kListPath, WatchPath("10"), WatchPath("13")));
  EXPECT_EQ(transport_.requests()[0].bearer_token, "t");
  EXPECT_EQ(transport_.requests()[1].bearer_token, "t");
  EXPECT_TRUE(stats_.synced);
  EXPECT_EQ(stats_.events, 3u);
  EXPECT_EQ(stats_.relists, 0u);
  EXPECT_EQ(stats_.api_errors, 0u);
  EXPECT_TRUE(waits_.empty());  // a watch that ended after events resumes at once
}

TEST_F(ReflectorTest, AppliesAnEventSplitAcrossChunks) {
  std::string line = EventLine("ADDED", PodJson("ns", "a", "11"));
  transport_.Reply(200, ListJson({}, "10"));
  transport_.Watch({line.substr(0, 7), line.substr(7, 30), line.substr(37, line.size() - 38), "\n",
                    "\n" + EventLine("ADDED", PodJson("ns", "b", "12"))});
  Run();
  EXPECT_THAT(Pods({"ns/a", "ns/b"}), ElementsAre("ns/a=1", "ns/b=1"));
  EXPECT_EQ(stats_.events, 2u);
  EXPECT_EQ(stats_.api_errors, 0u);
}

TEST_F(ReflectorTest, AppliesSeveralEventsInOneChunkAndAPartialOneAfterThem) {
  std::string third = EventLine("ADDED", PodJson("ns", "c", "13"));
  transport_.Reply(200, ListJson({}, "10"));
  transport_.Watch({EventLine("ADDED", PodJson("ns", "a", "11")) +
                        EventLine("ADDED", PodJson("ns", "b", "12")) + third.substr(0, 10),
                    third.substr(10)});
  Run();
  EXPECT_THAT(Pods({"ns/a", "ns/b", "ns/c"}), ElementsAre("ns/a=1", "ns/b=1", "ns/c=1"));
  EXPECT_EQ(transport_.paths().back(), WatchPath("13"));
}

TEST_F(ReflectorTest, ADroppedWatchResumesFromTheLastResourceVersionAfterABackoff) {
  transport_.Reply(200, ListJson({PodJson("ns", "a", "5")}, "10"));
  transport_.WatchBreaks({EventLine("MODIFIED", PodJson("ns", "a", "11", "2"))},
                         Status::TryAgainLater("connection reset"));
  transport_.WatchBreaks({}, Status::TryAgainLater("connection refused"));
  transport_.Watch({EventLine("ADDED", PodJson("ns", "b", "12"))});
  Run();
  EXPECT_THAT(transport_.paths(), ElementsAre(kListPath, WatchPath("10"), WatchPath("11"),
                                              WatchPath("11"), WatchPath("12")));
  EXPECT_THAT(Pods({"ns/a", "ns/b"}), ElementsAre("ns/a=2", "ns/b=1"));
  EXPECT_THAT(waits_, ElementsAre(milliseconds(500), milliseconds(1000)));
  EXPECT_EQ(stats_.api_errors, 2u);
  EXPECT_EQ(stats_.watch_restarts, 3u);  // the last watch was stopped, not restarted
  EXPECT_EQ(stats_.relists, 0u);
}

TEST_F(ReflectorTest, ABookmarkAdvancesTheResourceVersionWithoutChangingTheStore) {
  transport_.Reply(200, ListJson({PodJson("ns", "a", "5")}, "10"));
  transport_.Watch(
      {EventLine("BOOKMARK", R"({"kind":"Pod","metadata":{"resourceVersion":"42"}})")});
  transport_.Watch({});
  Run();
  EXPECT_THAT(transport_.paths(),
              ElementsAre(kListPath, WatchPath("10"), WatchPath("42"), WatchPath("42")));
  EXPECT_THAT(Pods({"ns/a"}), ElementsAre("ns/a=1"));
  EXPECT_EQ(pods_.size(), 1u);
  EXPECT_EQ(stats_.bookmarks, 1u);
  EXPECT_EQ(stats_.events, 0u);
  // An empty watch that ends at once is not progress: the next one waits.
  EXPECT_THAT(waits_, ElementsAre(milliseconds(500)));
}

TEST_F(ReflectorTest, AGoneErrorEventRelistsAndTheStoreBecomesTheNewList) {
  transport_.Reply(200, ListJson({PodJson("ns", "a", "5"), PodJson("ns", "b", "6")}, "10"));
  transport_.Watch({EventLine("ERROR", R"x({"kind":"Status","status":"Failure","code":410,)x"
                                       R"x("reason":"Expired","message":"too old (90)"})x")});
  // b was deleted and c added while the watch could not follow.
  transport_.Reply(200, ListJson({PodJson("ns", "a", "5"), PodJson("ns", "c", "80")}, "100"));
  transport_.Watch({});
  Run();
  EXPECT_THAT(transport_.paths(), ElementsAre(kListPath, WatchPath("10"), kListPath,
                                              WatchPath("100"), WatchPath("100")));
  EXPECT_THAT(Pods({"ns/a", "ns/b", "ns/c"}), ElementsAre("ns/a=1", "ns/b missing", "ns/c=1"));
  EXPECT_EQ(pods_.size(), 2u);
  EXPECT_EQ(stats_.relists, 1u);
  EXPECT_EQ(stats_.api_errors, 0u);
  EXPECT_THAT(waits_, ElementsAre(milliseconds(500)));  // only the empty last watch
}

TEST_F(ReflectorTest, AGoneAnswerToTheWatchRelists) {
  transport_.Reply(200, ListJson({PodJson("ns", "a", "5")}, "10"));
  transport_.WatchReply(410, R"({"kind":"Status","code":410,"message":"gone"})");
  transport_.Reply(200, ListJson({}, "20"));
  Run();
  EXPECT_THAT(transport_.paths(),
              ElementsAre(kListPath, WatchPath("10"), kListPath, WatchPath("20")));
  EXPECT_EQ(pods_.size(), 0u);
  EXPECT_EQ(stats_.relists, 1u);
}

TEST_F(ReflectorTest, ListsPageByPageWithTheContinueToken) {
  transport_.Reply(200, ListJson({PodJson("ns", "a", "5")}, "10", "tok/1="));
  transport_.Reply(200, ListJson({PodJson("ns", "b", "6")}, "10"));
  transport_.Watch({});
  Run();
  EXPECT_THAT(transport_.paths(),
              ElementsAre(kListPath, std::string(kListPath) + "&continue=tok%2F1%3D",
                          WatchPath("10"), WatchPath("10")));
  EXPECT_THAT(Pods({"ns/a", "ns/b"}), ElementsAre("ns/a=1", "ns/b=1"));
}

TEST_F(ReflectorTest, AFailedSecondPageKeepsTheStoreAndListsAgainFromTheStart) {
  transport_.Reply(200, ListJson({PodJson("ns", "a", "5")}, "10", "tok"));
  transport_.Reply(410, R"({"kind":"Status","code":410,"message":"continue token expired"})");
  transport_.Reply(200, ListJson({PodJson("ns", "b", "6")}, "11"));
  transport_.Watch({});
  Run();
  EXPECT_THAT(transport_.paths(), ElementsAre(kListPath, std::string(kListPath) + "&continue=tok",
                                              kListPath, WatchPath("11"), WatchPath("11")));
  // The half list was dropped: only the complete one is in the store.
  EXPECT_THAT(Pods({"ns/a", "ns/b"}), ElementsAre("ns/a missing", "ns/b=1"));
  EXPECT_EQ(stats_.api_errors, 1u);
}

TEST_F(ReflectorTest, BacksOffExponentiallyWithJitterUpToTheCapAndResetsAfterSuccess) {
  for (int i = 0; i < 4; ++i) transport_.Reply(500, R"({"message":"etcd is sad"})");
  transport_.Fail(Status::TryAgainLater("connection refused"));
  transport_.Reply(0, "nothing answered");
  for (int i = 0; i < 3; ++i) transport_.Reply(503, "");
  transport_.Reply(200, ListJson({}, "10"));
  transport_.WatchReply(500, "");
  Run(/*random=*/0.5);
  // 10% jitter at random 0.5; the cap (30 s) holds jitter included.
  EXPECT_THAT(waits_, ElementsAre(milliseconds(550), milliseconds(1100), milliseconds(2200),
                                  milliseconds(4400), milliseconds(8800), milliseconds(17600),
                                  milliseconds(30000), milliseconds(30000), milliseconds(30000),
                                  milliseconds(550)));
  EXPECT_EQ(stats_.api_errors, 10u);
  EXPECT_TRUE(stats_.synced);
}

TEST_F(ReflectorTest, AnUndecodableLineEndsTheWatchWhichResumesFromTheLastGoodVersion) {
  transport_.Reply(200, ListJson({}, "10"));
  transport_.Watch({EventLine("ADDED", PodJson("ns", "a", "11")) + "<html>proxy error</html>\n" +
                    EventLine("ADDED", PodJson("ns", "b", "12"))});
  transport_.Watch({EventLine("ADDED", PodJson("ns", "b", "12"))});
  Run();
  EXPECT_THAT(transport_.paths(),
              ElementsAre(kListPath, WatchPath("10"), WatchPath("11"), WatchPath("12")));
  EXPECT_THAT(Pods({"ns/a", "ns/b"}), ElementsAre("ns/a=1", "ns/b=1"));
  EXPECT_EQ(stats_.api_errors, 1u);
}

TEST_F(ReflectorTest, AnObjectWithoutMetadataIsSkippedAndCounted) {
  transport_.Reply(200, ListJson({R"({"kind":"Pod"})", PodJson("ns", "a", "5")}, "10"));
  transport_.Watch({EventLine("ADDED", R"({"kind":"Pod","metadata":"x"})") +
                    EventLine("ADDED", PodJson("ns", "b", "11"))});
  Run();
  EXPECT_THAT(Pods({"ns/a", "ns/b"}), ElementsAre("ns/a=1", "ns/b=1"));
  EXPECT_EQ(stats_.api_errors, 2u);
}

TEST_F(ReflectorTest, RereadsTheTokenFileForEveryRequest) {
  test::TempDir dir;
  config_.token_file = dir / "token";
  test::WriteFile(config_.token_file, "one\n");
  on_wait_ = [&] { test::WriteFile(config_.token_file, "two\n"); };
  transport_.Reply(500, "");
  transport_.Reply(200, ListJson({}, "10"));
  transport_.Watch({});
  Run();
  std::vector<std::string> tokens;
  for (const HttpRequest& request : transport_.requests()) tokens.push_back(request.bearer_token);
  EXPECT_THAT(tokens, ElementsAre("one", "two", "two", "two"));
}

TEST_F(ReflectorTest, AnUnreadableTokenFileIsAnErrorWithBackoff) {
  config_.token_file = "/nonexistent/token";
  on_wait_ = [&] {
    if (waits_.size() == 2) stop_.request_stop();
  };
  Run();
  EXPECT_TRUE(transport_.paths().empty());
  EXPECT_THAT(waits_, ElementsAre(milliseconds(500), milliseconds(1000)));
  EXPECT_EQ(stats_.api_errors, 2u);
  EXPECT_FALSE(stats_.synced);
}

TEST(ReflectorThreadTest, StartAndStopFromAnotherThreadAbortTheHangingWatch) {
  test::FakeWatchTransport transport;
  transport.Reply(200, ListJson({PodJson("ns", "a", "5")}, "10"));
  transport.WatchHangs({EventLine("ADDED", PodJson("ns", "b", "11"))});
  KubeConfig config;
  ObjectStore<Pod> pods(DecodePod);
  Reflector reflector(transport, config, PodReflectorOptions("node1"), pods);
  reflector.Start();
  EXPECT_TRUE(pods.WaitFor("ns", "b", std::chrono::seconds(20)).has_value());
  reflector.Stop();  // returns only once the thread is joined
  EXPECT_TRUE(reflector.synced());
  EXPECT_EQ(reflector.stats().watch_restarts, 0u);
  EXPECT_EQ(transport.paths().size(), 2u);
}

}  // namespace
}  // namespace multus
