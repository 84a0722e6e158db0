#include "multus/plan_cache.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "multus/base64.h"
#include "multus/json_parse.h"

namespace multus {
namespace {

using nlohmann::json;

NetworkPlan SamplePlan() {
  NetworkPlan plan;
  plan.container_id = "3f2a9c";
  plan.netns = "/var/run/netns/cni-1234";
  plan.pod_namespace = "default";
  plan.pod_name = "web-0";
  plan.pod_uid = "9a3e-77";
  PlannedDelegate master;
  master.display_name = "cbr0";
  // Key order, whitespace and a number beyond double precision must survive verbatim.
  master.LoadConfig(
      "{ \"type\": \"bridge\", \"name\": \"cbr0\",\n  \"cniVersion\": \"0.3.1\", "
      "\"big\": 12345678901234567890, \"f\": 1.10 }");
  master.ifname = "eth0";
  master.master = true;
  plan.delegates.push_back(master);
  PlannedDelegate second;
  second.display_name = "default/macvlan-conf";
  second.LoadConfig(R"({"cniVersion":"1.0.0","name":"mv","plugins":[{"type":"macvlan"}]})");
  second.ifname = "net1";
  second.capability_args = R"({"mac":"c2:11:22:33:44:55","ips":["10.1.1.5/24"]})";
  second.add_cni_args = {{"MAC", "c2:11:22:33:44:55"}, {"IP", "10.1.1.5/24"}};
  second.default_route = {"10.1.1.1"};
  second.device_id = "0000:03:00.1";
  second.resource_name = "intel.com/sriov";
  plan.delegates.push_back(second);
  return plan;
}

void ExpectSamePlan(const NetworkPlan& got, const NetworkPlan& want) {
  EXPECT_EQ(got.container_id, want.container_id);
  EXPECT_EQ(got.netns, want.netns);
  EXPECT_EQ(got.pod_namespace, want.pod_namespace);
  EXPECT_EQ(got.pod_name, want.pod_name);
  EXPECT_EQ(got.pod_uid, want.pod_uid);
  ASSERT_EQ(got.delegates.size(), want.delegates.size());
  for (size_t i = 0; i < got.delegates.size(); ++i) {
    SCOPED_TRACE("delegate " + std::to_string(i));
    const auto& g = got.delegates[i];
    const auto& w = want.delegates[i];
    EXPECT_EQ(g.display_name, w.display_name);
    EXPECT_EQ(g.conf.bytes, w.conf.bytes);
    EXPECT_EQ(g.conf.name, w.conf.name);
    EXPECT_EQ(g.conf_error.code(), w.conf_error.code());
    EXPECT_EQ(g.ifname, w.ifname);
    EXPECT_EQ(g.master, w.master);
    EXPECT_EQ(json::parse(g.capability_args), json::parse(w.capability_args));
    EXPECT_EQ(g.add_cni_args, w.add_cni_args);
    EXPECT_EQ(g.default_route, w.default_route);
    EXPECT_EQ(g.device_id, w.device_id);
    EXPECT_EQ(g.resource_name, w.resource_name);
    EXPECT_EQ(g.del_done, w.del_done);
    EXPECT_EQ(g.del_failures, w.del_failures);
  }
}

TEST(CachePlanTest, RoundTripKeepsEverythingAndConfigBytesExactly) {
  const NetworkPlan plan = SamplePlan();
  const std::string text = SerializePlan(plan);
  auto parsed = ParsePlanCache(text, "other", "/other", "eth9");
  ASSERT_TRUE(parsed.ok()) << parsed.status().msg();
  ExpectSamePlan(*parsed, plan);
  EXPECT_NE(parsed->delegates[0].conf.bytes.find("12345678901234567890"), std::string::npos);
}

TEST(CachePlanTest, TeardownStateRoundTripsAndIsOmittedWhenUnset) {
  NetworkPlan plan = SamplePlan();
  plan.delegates[0].del_done = true;
  plan.delegates[1].del_failures = 2;
  const std::string text = SerializePlan(plan);
  const json doc = json::parse(text);
  EXPECT_EQ(doc["delegates"][0]["delDone"], true);
  EXPECT_FALSE(doc["delegates"][0].contains("delFailures"));
  EXPECT_EQ(doc["delegates"][1]["delFailures"], 2);
  EXPECT_FALSE(doc["delegates"][1].contains("delDone"));
  auto parsed = ParsePlanCache(text, "", "", "eth0");
  ASSERT_TRUE(parsed.ok()) << parsed.status().msg();
  ExpectSamePlan(*parsed, plan);
  for (const char* bad : {R"("delFailures":-1)", R"("delFailures":"2")", R"("delDone":1)"}) {
    json broken = doc;
    json member = json::parse(std::string("{") + bad + "}");
    broken["delegates"][1].update(member);
    auto refused = ParsePlanCache(broken.dump(), "", "", "eth0");
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_EQ(refused.status().code(), code::kCorruptCache) << bad;
  }
}

TEST(CachePlanTest, SerializedFormIsTheDocumentedOne) {
  const json doc = json::parse(SerializePlan(SamplePlan()));
  EXPECT_EQ(doc["kind"], "multusPlanV1");
  EXPECT_EQ(doc["containerId"], "3f2a9c");
  EXPECT_EQ(doc["netns"], "/var/run/netns/cni-1234");
  EXPECT_EQ(doc["pod"], json::parse(R"({"namespace":"default","name":"web-0","uid":"9a3e-77"})"));
  const json& d0 = doc["delegates"][0];
  EXPECT_EQ(d0["name"], "cbr0");
  EXPECT_EQ(d0["ifname"], "eth0");
  EXPECT_EQ(d0["master"], true);
  EXPECT_TRUE(d0["config"].is_string());
  EXPECT_EQ(d0["capabilityArgs"], json::object());
  EXPECT_EQ(d0["addCniArgs"], json::array());
  EXPECT_FALSE(d0.contains("defaultRoute"));
  EXPECT_FALSE(d0.contains("deviceID"));
  EXPECT_FALSE(d0.contains("resourceName"));
  const json& d1 = doc["delegates"][1];
  EXPECT_EQ(d1["capabilityArgs"]["mac"], "c2:11:22:33:44:55");
  EXPECT_EQ(d1["addCniArgs"], json::parse(R"([["MAC","c2:11:22:33:44:55"],["IP","10.1.1.5/24"]])"));
  EXPECT_EQ(d1["defaultRoute"], json::parse(R"(["10.1.1.1"])"));
  EXPECT_EQ(d1["deviceID"], "0000:03:00.1");
  EXPECT_EQ(d1["resourceName"], "intel.com/sriov");
}

TEST(CachePlanTest, ConfigBytesThatAreNotUtf8SurviveViaBase64) {
  NetworkPlan plan = SamplePlan();
  plan.delegates[1].LoadConfig(std::string("{\"name\":\"x\xff\"}"));
  auto parsed = ParsePlanCache(SerializePlan(plan), "", "", "eth0");
  ASSERT_TRUE(parsed.ok()) << parsed.status().msg();
  EXPECT_EQ(parsed->delegates[1].conf.bytes, plan.delegates[1].conf.bytes);
  EXPECT_FALSE(parsed->delegates[1].conf_error.ok())
      << "a config that does not load keeps its error";
}

TEST(CachePlanTest, MissingContainerIdAndNetnsAreFilledFromArguments) {
  auto parsed = ParsePlanCache(
      R"({"kind":"multusPlanV1","delegates":[{"ifname":"eth0","config":"{}","master":true}]})",
      "cid7", "/proc/7/ns/net", "eth0");
  ASSERT_TRUE(parsed.ok()) << parsed.status().msg();
  EXPECT_EQ(parsed->container_id, "cid7");
  EXPECT_EQ(parsed->netns, "/proc/7/ns/net");
  EXPECT_EQ(parsed->delegates[0].capability_args, "{}");
  EXPECT_TRUE(parsed->delegates[0].master);
}

// ---- upstream multus v4 scratch cache ----

std::string UpstreamSample() {
  const std::string master_conf =
      R"({"cniVersion":"0.3.1","name":"k8s-pod-network","plugins":[{"type":"calico","mtu":1440,"ipam":{"type":"calico-ipam"}}]})";
  const std::string macvlan_conf =
      R"({"cniVersion":"0.3.1","name":"macvlan-conf","type":"macvlan","master":"eth1","ipam":{"type":"static"},"capabilities":{"ips":true,"mac":true}})";
  const std::string sriov_conf =
      R"({"cniVersion":"0.3.1","name":"sriov-net","type":"sriov","big":12345678901234567890})";
  json doc = json::array();
  doc.push_back({{"Conf", {{"cniVersion", ""}}},
                 {"ConfList", json::parse(master_conf)},
                 {"Name", "k8s-pod-network"},
                 {"IsFilterV4Gateway", false},
                 {"IsFilterV6Gateway", false},
                 {"Bytes", Base64Encode(master_conf)}});
  doc.push_back({{"Conf", json::parse(macvlan_conf)},
                 {"ConfList", {{"cniVersion", ""}}},
                 {"Name", "default/macvlan-conf"},
                 {"ifnameRequest", "macvlan1"},
                 {"macRequest", "c2:b0:57:49:47:f1"},
                 {"ipRequest", {"10.1.1.101/24", "fd00::101/64"}},
                 {"default-route", {"10.1.1.1"}},
                 {"IsFilterV4Gateway", true},
                 {"IsFilterV6Gateway", false},
                 {"Bytes", Base64Encode(macvlan_conf)}});
  doc.push_back({{"Conf", {{"cniVersion", "0.3.1"}, {"name", "sriov-net"}, {"type", "sriov"}}},
                 {"ConfList", {{"cniVersion", ""}}},
                 {"Name", "kube-system/sriov-net"},
                 {"deviceID", "0000:03:02.3"},
                 {"resourceName", "intel.com/intel_sriov_netdevice"},
                 {"IsFilterV4Gateway", false},
                 {"IsFilterV6Gateway", false},
                 {"Bytes", Base64Encode(sriov_conf)}});
  return doc.dump();
}

TEST(CacheUpstreamTest, ReadsV4ScratchCacheAndRecomputesIfnames) {
  auto parsed = ParsePlanCache(UpstreamSample(), "cid-up", "/var/run/netns/x", "eth0");
  ASSERT_TRUE(parsed.ok()) << parsed.status().msg();
  const NetworkPlan& plan = *parsed;
  EXPECT_EQ(plan.container_id, "cid-up");
  EXPECT_EQ(plan.netns, "/var/run/netns/x");
  EXPECT_EQ(plan.pod_namespace, "");
  EXPECT_EQ(plan.pod_name, "");
  EXPECT_EQ(plan.pod_uid, "");
  ASSERT_EQ(plan.delegates.size(), 3u);

  const auto& m = plan.delegates[0];
  EXPECT_TRUE(m.master);
  EXPECT_EQ(m.ifname, "eth0");
  EXPECT_EQ(m.display_name, "k8s-pod-network");
  EXPECT_EQ(
      m.conf.bytes,
      R"({"cniVersion":"0.3.1","name":"k8s-pod-network","plugins":[{"type":"calico","mtu":1440,"ipam":{"type":"calico-ipam"}}]})");
  EXPECT_EQ(json::parse(m.capability_args), json::object());
  EXPECT_TRUE(m.add_cni_args.empty());

  const auto& mv = plan.delegates[1];
  EXPECT_FALSE(mv.master);
  EXPECT_EQ(mv.ifname, "macvlan1");  // explicit request still uses up index 1
  EXPECT_EQ(mv.display_name, "default/macvlan-conf");
  EXPECT_EQ(json::parse(mv.capability_args),
            json::parse(R"({"mac":"c2:b0:57:49:47:f1","ips":["10.1.1.101/24","fd00::101/64"]})"));
  EXPECT_EQ(mv.default_route, std::vector<std::string>{"10.1.1.1"});
  EXPECT_EQ(mv.add_cni_args,
            (KeyValues{{"MAC", "c2:b0:57:49:47:f1"}, {"IP", "10.1.1.101/24,fd00::101/64"}}));

  const auto& sr = plan.delegates[2];
  EXPECT_EQ(sr.ifname, "net2");
  EXPECT_EQ(sr.display_name, "kube-system/sriov-net");
  EXPECT_EQ(
      sr.conf.bytes,
      R"({"cniVersion":"0.3.1","name":"sriov-net","type":"sriov","big":12345678901234567890})");
  EXPECT_EQ(sr.device_id, "0000:03:02.3");
  EXPECT_EQ(sr.resource_name, "intel.com/intel_sriov_netdevice");
  EXPECT_EQ(json::parse(sr.capability_args), json::parse(R"({"deviceID":"0000:03:02.3"})"));
}

TEST(CacheUpstreamTest, ExplicitIfnameRequestAppliesToTheMasterToo) {
  const std::string conf = R"({"cniVersion":"0.4.0","name":"c","type":"bridge"})";
  json doc = json::array({{{"Name", "c"}, {"ifnameRequest", "pod0"}, {"Bytes", Base64Encode(conf)}},
                          {{"Bytes", Base64Encode(conf)}}});
  auto parsed = ParsePlanCache(doc.dump(), "cid", "", "eth0");
  ASSERT_TRUE(parsed.ok()) << parsed.status().msg();
  EXPECT_EQ(parsed->delegates[0].ifname, "pod0");
  EXPECT_EQ(parsed->delegates[1].ifname, "net1");
  // No `Name`: the CNI name from the config structs is not there either, so it stays empty.
  EXPECT_EQ(parsed->delegates[1].display_name, "");
}

TEST(CacheUpstreamTest, NameFallsBackToTheCniName) {
  const std::string conf = R"({"name":"x","type":"bridge"})";
  json doc = json::array({{{"Conf", {{"name", "x"}}}, {"Bytes", Base64Encode(conf)}}});
  auto parsed = ParsePlanCache(doc.dump(), "cid", "", "eth0");
  ASSERT_TRUE(parsed.ok()) << parsed.status().msg();
  EXPECT_EQ(parsed->delegates[0].display_name, "x");
}

// ---- corrupt scratch caches ----

TEST(CacheCorruptTest, BadScratchCachesAreCode101) {
  const std::string good = Base64Encode("{}");
  struct Case {
    std::string bytes;
    std::string msg_part;
  } errors[] = {
      {"", "not valid JSON"},
      {"{\"kind\":", "not valid JSON"},
      {"[]", "delegate list is empty"},
      {"null", "got null"},
      {"42", "got number"},
      {"\"text\"", "got string"},
      {"[42]", "delegates[0]: is not an object"},
      {R"([{"Name":"a"}])", "\"Bytes\" is missing"},
      {R"([{"Name":"a","Bytes":null}])", "\"Bytes\" is missing"},
      {R"([{"Name":"a","Bytes":7}])", "\"Bytes\" must be a base64 string"},
      {R"([{"Name":"a","Bytes":"e30"}])", "invalid base64"},
      {R"([{"Name":"a","Bytes":"e3!="}])", "invalid base64"},
      {R"([{"Bytes":")" + good + R"("},{"Bytes":"%%%%"}])", "delegates[1]"},
      {R"([{"Bytes":")" + good + R"(","ipRequest":"10.0.0.1"}])", "\"ipRequest\""},
      {R"([{"Bytes":")" + good + R"(","ifnameRequest":5}])", "\"ifnameRequest\" must be a string"},
      {"{}", "\"kind\" is missing"},
      {R"({"kind":"multusPlanV9","delegates":[]})", "unknown kind \"multusPlanV9\""},
      {R"({"kind":"cniCacheV1"})", "unknown kind \"cniCacheV1\""},
      {R"({"kind":"multusPlanV1"})", "\"delegates\" is missing"},
      {R"({"kind":"multusPlanV1","delegates":{}})", "\"delegates\" must be an array"},
      {R"({"kind":"multusPlanV1","delegates":[]})", "\"delegates\" is empty"},
      {R"({"kind":"multusPlanV1","delegates":[{"config":"{}"}]})", "\"ifname\" is missing"},
      {R"({"kind":"multusPlanV1","delegates":[{"ifname":"","config":"{}"}]})",
       "\"ifname\" is empty"},
      {R"({"kind":"multusPlanV1","delegates":[{"ifname":"eth0"}]})", "\"config\" is missing"},
      {R"({"kind":"multusPlanV1","delegates":[{"ifname":"eth0","config":{}}]})",
       "\"config\" must be a string"},
      {R"({"kind":"multusPlanV1","delegates":[{"ifname":"eth0","config":"{}","master":"yes"}]})",
       "\"master\" must be a boolean"},
      {R"({"kind":"multusPlanV1","delegates":[{"ifname":"eth0","config":"{}","capabilityArgs":[]}]})",
       "\"capabilityArgs\" must be an object"},
      {R"({"kind":"multusPlanV1","delegates":[{"ifname":"eth0","config":"{}","addCniArgs":[["a"]]}]})",
       "\"addCniArgs\" must be an array of [key, value] pairs"},
      {R"({"kind":"multusPlanV1","pod":"x","delegates":[{"ifname":"eth0","config":"{}"}]})",
       "\"pod\" must be an object"},
  };
  for (const Case& c : errors) {
    SCOPED_TRACE(c.bytes);
    auto parsed = ParsePlanCache(c.bytes, "cid", "", "eth0");
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().code(), code::kCorruptCache);
    EXPECT_NE(parsed.status().msg().find(c.msg_part), std::string::npos) << parsed.status().msg();
  }
}

// Fuzz findings (tests/fuzz/crashes/*-deep-*): capability args and results that pass the input
// depth limit sit a few levels deeper once wrapped in our caches, which then did not load, so
// DEL could not release what ADD made. Our own files are read with a little more room.
std::string NestedArrays(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(CacheDepthTest, WhatPassedTheInputLimitReadsBackFromThePlanCache) {
  const std::string deep = NestedArrays(kMaxJsonDepth - 1);
  NetworkPlan plan = SamplePlan();
  plan.delegates[1].capability_args = R"({"bandwidth":{"x":)" + deep + "}}";
  auto parsed = ParsePlanCache(SerializePlan(plan), "other", "/other", "eth9");
  ASSERT_TRUE(parsed.ok()) << parsed.status().msg();
  ExpectSamePlan(*parsed, plan);
}

}  // namespace
}  // namespace multus
