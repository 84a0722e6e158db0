#include "multus/watch_cache.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "testing/fake_kube_api.h"
#include "testing/fake_watch_transport.h"

namespace multus {
namespace {

using test::ListJson;
using test::PodJson;
using ::testing::IsEmpty;

TEST(WatchCacheTest, ACachedPodKeepsOnlyTheAnnotationsMultusReads) {
  nlohmann::json object = {
      {"metadata",
       {{"namespace", "ns"},
        {"name", "p"},
        {"uid", "u"},
        {"annotations",
         {{"k8s.v1.cni.cncf.io/networks", "net1"},
          {"v1.multus-cni.io/default-network", "other"},
          {"kubernetes.io/config.source", "file"},
          {"kubectl.kubernetes.io/last-applied-configuration", std::string(20000, 'x')},
          {"k8s.v1.cni.cncf.io/network-status", "[]"}}}}}};
  Pod pod = DecodeCachedPod(object);
  EXPECT_EQ(pod.uid, "u");
  EXPECT_TRUE(pod.is_static);
  std::vector<std::string> keys;
  for (const auto& [key, value] : pod.annotations) keys.push_back(key);
  EXPECT_THAT(keys,
              ::testing::ElementsAre("k8s.v1.cni.cncf.io/networks", "kubernetes.io/config.source",
                                     "v1.multus-cni.io/default-network"));
}

TEST(WatchCacheTest, ListsPodsOfTheNodeAndAllNadsThenAnswersFromThem) {
  test::FakeWatchTransport transport;
  // Which reflector asks first is up to the threads: both lists answer both.
  std::string both =
      ListJson({PodJson("ns", "a", "5"),
                R"({"metadata":{"namespace":"ns","name":"macvlan"},"spec":{"config":"{}"}})"},
               "10");
  transport.Reply(200, both);
  transport.Reply(200, both);
  transport.WatchHangs({});
  transport.WatchHangs({});
  KubeConfig config;
  WatchCache cache(transport, config, "node1");
  cache.Start();
  ASSERT_TRUE(cache.nads().WaitFor("ns", "macvlan", std::chrono::seconds(30)).has_value());
  ASSERT_TRUE(cache.pods().WaitFor("ns", "a", std::chrono::seconds(30)).has_value());
  test::FakeKubeApi live;
  CachedKubeApi api =
      cache.Api([&] { return std::shared_ptr<KubeApi>(std::shared_ptr<void>(), &live); });
  EXPECT_TRUE(api.GetPod("ns", "a")->has_value());
  EXPECT_EQ((*api.GetNad("ns", "macvlan"))->config, "{}");
  EXPECT_THAT(live.calls(), IsEmpty());
  cache.Stop();
  EXPECT_TRUE(cache.synced());
  EXPECT_EQ(cache.pod_stats().relists + cache.nad_stats().relists, 0u);
  std::vector<std::string> paths = transport.paths();
  EXPECT_EQ(std::count(paths.begin(), paths.end(),
                       "/api/v1/pods?limit=500&fieldSelector=spec.nodeName%3Dnode1"),
            1);
  EXPECT_EQ(std::count(paths.begin(), paths.end(),
                       "/apis/k8s.cni.cncf.io/v1/network-attachment-definitions?limit=500"),
            1);
}

}  // namespace
}  // namespace multus
