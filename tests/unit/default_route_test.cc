#include "multus/default_route.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace multus {
namespace {

using nlohmann::json;

PlannedDelegate Delegate(std::string ifname, std::vector<std::string> default_route = {}) {
  PlannedDelegate delegate;
  delegate.display_name = ifname;
  delegate.ifname = std::move(ifname);
  delegate.default_route = std::move(default_route);
  return delegate;
}

bool operator==(const GatewayRequest& a, const GatewayRequest& b) {
  return a.ifname == b.ifname && a.gateway == b.gateway && a.ipv6 == b.ipv6;
}

TEST(DefaultRouteTest, GatewayRequestsComeFromTheDelegatesThatAskForThem) {
  NetworkPlan plan;
  plan.delegates = {Delegate("eth0"), Delegate("net1", {"10.1.1.1"}), Delegate("net2", {"fd00::1"}),
                    Delegate("net3")};
  std::vector<GatewayRequest> requests = GatewayRequests(plan);
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_TRUE((requests[0] == GatewayRequest{"net1", "10.1.1.1", false}));
  EXPECT_TRUE((requests[1] == GatewayRequest{"net2", "fd00::1", true}));

  NetworkPlan none;
  none.delegates = {Delegate("eth0"), Delegate("net1")};
  EXPECT_TRUE(GatewayRequests(none).empty());
}

// Rewrites and returns the result parsed back, failing the test on an error.
json Rewrite(const std::string& result, const std::string& ifname,
             const std::vector<GatewayRequest>& requests) {
  Result<json> rewritten = RewriteResultRoutes(json::parse(result), ifname, requests);
  EXPECT_TRUE(rewritten.ok()) << rewritten.status().msg();
  return rewritten.ok() ? *rewritten : json();
}

const GatewayRequest kV4OnNet1{"net1", "10.1.1.1", false};
const GatewayRequest kV6OnNet1{"net1", "fd00:1::1", true};

std::string Current(const std::string& version, const std::string& routes) {
  return R"({"cniVersion":")" + version +
         R"(","interfaces":[{"name":"eth0"}],"ips":[{"address":"10.0.0.5/24","gateway":"10.0.0.1"}],)" +
         R"("routes":)" + routes + R"(,"dns":{"nameservers":["10.96.0.10"]}})";
}

const char kMixedRoutes[] = R"([
  {"dst":"0.0.0.0/0","gw":"10.0.0.1"},
  {"dst":"10.96.0.0/12","gw":"10.0.0.1"},
  {"dst":"::/0","gw":"fd00::1"},
  {"dst":"::0/0","gw":"fd00::2"},
  {"dst":"fd00:96::/64"}
])";

TEST(DefaultRouteTest, RemovesOnlyTheRequestedFamilyOnOtherInterfaces) {
  for (const std::string version : {"0.3.1", "0.4.0", "1.0.0"}) {
    SCOPED_TRACE(version);
    json v4 = Rewrite(Current(version, kMixedRoutes), "eth0", {kV4OnNet1});
    EXPECT_EQ(v4["routes"], json::parse(R"([{"dst":"10.96.0.0/12","gw":"10.0.0.1"},
      {"dst":"::/0","gw":"fd00::1"},{"dst":"::0/0","gw":"fd00::2"},{"dst":"fd00:96::/64"}])"));
    EXPECT_EQ(v4["cniVersion"], version);
    EXPECT_EQ(v4["ips"], json::parse(R"([{"address":"10.0.0.5/24","gateway":"10.0.0.1"}])"));
    EXPECT_EQ(v4["dns"], json::parse(R"({"nameservers":["10.96.0.10"]})"));

    json v6 = Rewrite(Current(version, kMixedRoutes), "eth0", {kV6OnNet1});
    EXPECT_EQ(v6["routes"], json::parse(R"([{"dst":"0.0.0.0/0","gw":"10.0.0.1"},
      {"dst":"10.96.0.0/12","gw":"10.0.0.1"},{"dst":"fd00:96::/64"}])"));
  }
}

TEST(DefaultRouteTest, AddsTheRequestedGatewayOnTheRequestingInterfaceOnly) {
  for (const std::string version : {"0.3.1", "1.0.0"}) {
    SCOPED_TRACE(version);
    json net1 = Rewrite(Current(version, kMixedRoutes), "net1", {kV4OnNet1, kV6OnNet1});
    EXPECT_EQ(net1["routes"], json::parse(R"([{"dst":"10.96.0.0/12","gw":"10.0.0.1"},
      {"dst":"fd00:96::/64"},{"dst":"0.0.0.0/0","gw":"10.1.1.1"},{"dst":"::/0","gw":"fd00:1::1"}])"));

    // A result without routes gets them on the requesting interface.
    json bare = Rewrite(R"({"cniVersion":")" + version + R"(","ips":[]})", "net1", {kV4OnNet1});
    EXPECT_EQ(bare["routes"], json::parse(R"([{"dst":"0.0.0.0/0","gw":"10.1.1.1"}])"));
  }
}

TEST(DefaultRouteTest, DropsRoutesWhenNothingIsLeft) {
  json result =
      Rewrite(Current("1.0.0", R"([{"dst":"0.0.0.0/0","gw":"10.0.0.1"}])"), "eth0", {kV4OnNet1});
  EXPECT_FALSE(result.contains("routes")) << result.dump();
  EXPECT_TRUE(result.contains("ips"));

  json untouched = Rewrite(Current("0.3.1", "[]"), "eth0", {kV4OnNet1});
  EXPECT_FALSE(untouched.contains("routes")) << untouched.dump();
}

TEST(DefaultRouteTest, WithoutRequestsEveryRouteIsKept) {
  json result = Rewrite(Current("1.0.0", kMixedRoutes), "eth0", {});
  EXPECT_EQ(result["routes"], json::parse(kMixedRoutes));
}

const char kLegacy[] = R"({"cniVersion":"0.2.0",
  "ip4":{"ip":"10.0.0.5/24","gateway":"10.0.0.1","routes":[{"dst":"0.0.0.0/0"},{"dst":"10.96.0.0/12","gw":"10.0.0.1"}]},
  "ip6":{"ip":"fd00::5/64","routes":[{"dst":"::/0","gw":"fd00::1"},{"dst":"fd00:96::/64"}]},
  "dns":{}})";

TEST(DefaultRouteTest, LegacyResultsRewriteRoutesPerFamily) {
  json other = Rewrite(kLegacy, "eth0", {kV4OnNet1});
  EXPECT_EQ(other["ip4"]["routes"], json::parse(R"([{"dst":"10.96.0.0/12","gw":"10.0.0.1"}])"));
  EXPECT_EQ(other["ip4"]["ip"], "10.0.0.5/24");
  EXPECT_EQ(other["ip6"], json::parse(kLegacy)["ip6"]);

  json own = Rewrite(kLegacy, "net1", {kV4OnNet1, kV6OnNet1});
  EXPECT_EQ(own["ip4"]["routes"],
            json::parse(
                R"([{"dst":"10.96.0.0/12","gw":"10.0.0.1"},{"dst":"0.0.0.0/0","gw":"10.1.1.1"}])"));
  EXPECT_EQ(own["ip6"]["routes"],
            json::parse(R"([{"dst":"fd00:96::/64"},{"dst":"::/0","gw":"fd00:1::1"}])"));

  json v6_only = Rewrite(kLegacy, "eth0", {kV6OnNet1});
  EXPECT_EQ(v6_only["ip4"], json::parse(kLegacy)["ip4"]);
  EXPECT_EQ(v6_only["ip6"]["routes"], json::parse(R"([{"dst":"fd00:96::/64"}])"));
}

TEST(DefaultRouteTest, LegacyResultDropsRoutesWhenNothingIsLeft) {
  const std::string result =
      R"({"cniVersion":"0.2.0","ip4":{"ip":"10.0.0.5/24","routes":[{"dst":"0.0.0.0/0","gw":"10.0.0.1"}]},"dns":{}})";
  json rewritten = Rewrite(result, "eth0", {kV4OnNet1});
  EXPECT_EQ(rewritten["ip4"]["ip"], "10.0.0.5/24");
  EXPECT_FALSE(rewritten["ip4"].contains("routes")) << rewritten.dump();

  // A family without routes is left as it was.
  const std::string no_routes = R"({"cniVersion":"0.2.0","ip4":{"ip":"10.0.0.5/24"},"dns":{}})";
  json unchanged = Rewrite(no_routes, "eth0", {kV4OnNet1});
  EXPECT_EQ(unchanged, json::parse(no_routes));
}

TEST(DefaultRouteTest, MalformedRoutesAreCode6) {
  Result<json> rewritten = RewriteResultRoutes(
      json::parse(R"({"cniVersion":"1.0.0","routes":[{"dst":5}]})"), "eth0", {kV4OnNet1});
  ASSERT_FALSE(rewritten.ok());
  EXPECT_EQ(rewritten.status().code(), code::kDecode);
  EXPECT_EQ(rewritten.status().msg().rfind("cannot rewrite routes of a result: ", 0), 0u);
}

}  // namespace
}  // namespace multus
