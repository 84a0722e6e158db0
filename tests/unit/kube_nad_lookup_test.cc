#include "multus/kube_nad_lookup.h"

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "testing/fake_transport.h"

namespace multus {
namespace {

using nlohmann::json;

TEST(KubeNadLookupTest, FetchesEachDistinctNadOnce) {
  test::FakeTransport transport;
  json nad = {{"metadata", {{"name", "macvlan-conf"}}},
              {"spec", {{"config", R"({"cniVersion":"0.3.1","type":"macvlan"})"}}}};
  transport.Reply(200, nad.dump());
  transport.Reply(404, "");
  KubeConfig config;
  config.token = "t";
  KubeClient client(transport, config, RetryPolicy{}, [](std::chrono::milliseconds) {});
  NetConf conf;
  KubeNadLookup lookup(client, conf);
  for (int i = 0; i < 2; ++i) {
    Result<std::optional<ResolvedNetwork>> found = lookup.Find("ns", "macvlan-conf");
    ASSERT_TRUE(found.ok()) << found.status().msg();
    ASSERT_TRUE(found->has_value());
    EXPECT_EQ((*found)->display_name, "ns/macvlan-conf");
    EXPECT_EQ((*found)->conf.bytes,
              R"({"cniVersion":"0.3.1","type":"macvlan","name":"macvlan-conf"})");
    Result<std::optional<ResolvedNetwork>> absent = lookup.Find("ns", "absent");
    ASSERT_TRUE(absent.ok()) << absent.status().msg();
    EXPECT_FALSE(absent->has_value());
  }
  EXPECT_EQ(transport.requests().size(), 2u);
}

}  // namespace
}  // namespace multus
