#include "multus/pod_networks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "testing/loaded_conf.h"
#include "testing/temp_dir.h"

namespace multus {
namespace {

using nlohmann::json;
using test::TempDir;
using test::WriteFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

using NsName = std::pair<std::string, std::string>;

std::string Conf(const std::string& name, const std::string& type = "macvlan") {
  return R"({"cniVersion":"0.4.0","name":")" + name + R"(","type":")" + type + R"("})";
}

// NADs in memory; records every Find.
class FakeNads : public NadLookup {
 public:
  void Add(const std::string& ns, const std::string& name, const std::string& config = "") {
    ResolvedNetwork network;
    network.display_name = ns + "/" + name;
    network.conf = test::Loaded(config.empty() ? Conf(name) : config);
    nads_[{ns, name}] = network;
  }
  void SetResource(const std::string& ns, const std::string& name, const std::string& resource) {
    nads_[{ns, name}].resource_name = resource;
  }
  void FailWith(Status status) { failure_ = std::move(status); }

  Result<std::optional<ResolvedNetwork>> Find(std::string_view ns, std::string_view name) override {
    calls.emplace_back(std::string(ns), std::string(name));
    if (!failure_.ok()) return failure_;
    auto it = nads_.find({std::string(ns), std::string(name)});
    if (it == nads_.end()) return std::optional<ResolvedNetwork>();
    return std::optional<ResolvedNetwork>(it->second);
  }

  std::vector<NsName> calls;

 private:
  std::map<NsName, ResolvedNetwork> nads_;
  Status failure_;
};

// A multus config whose `delegates` are bridge networks of these names, the first the cluster
// network.
NetConf StaticConf(const std::vector<std::string>& names) {
  NetConf conf;
  for (const std::string& name : names)
    conf.delegates.push_back(test::Loaded(Conf(name, "bridge")));
  return conf;
}

Pod MakePod(std::map<std::string, std::string> annotations, std::string ns = "ns") {
  return Pod{std::move(ns), "pod", "uid", std::move(annotations), false};
}

std::vector<std::string> Names(const std::vector<ResolvedNetwork>& networks) {
  std::vector<std::string> names;
  for (const ResolvedNetwork& n : networks) names.push_back(n.display_name);
  return names;
}

// ---- ResolvePodNetworks ----

class ResolvePodNetworksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    nads_.Add("ns", "macvlan");
    nads_.Add("ns", "sriov",
              R"({"cniVersion":"0.4.0","name":"sriov","type":"sriov","args":{"cni":{"keep":1}}})");
    nads_.Add("other", "bridge");
    nads_.Add("default", "global");
    nads_.Add("kube-system", "calico");
    nads_.Add("other", "calico");
  }
  Result<std::vector<ResolvedNetwork>> Apply(std::map<std::string, std::string> annotations) {
    return ResolvePodNetworks(conf_, MakePod(std::move(annotations)), nads_, devices_);
  }

  NetConf conf_ = StaticConf({"cluster", "extra"});
  FakeNads nads_;
  // Only read for NADs with a resourceName.
  DeviceAllocator devices_{"/nonexistent/multus-unit-test/kubelet_internal_checkpoint", "uid"};
};

const std::string kNetworks(kNetworksAnnotation);
const std::string kDefaultNetwork(kDefaultNetworkAnnotation);

TEST_F(ResolvePodNetworksTest, NoAnnotationsKeepsTheStaticNetworks) {
  Result<std::vector<ResolvedNetwork>> networks = Apply({});
  ASSERT_TRUE(networks.ok()) << networks.status().msg();
  EXPECT_THAT(Names(*networks), ElementsAre("cluster", "extra"));
  EXPECT_THAT(nads_.calls, IsEmpty());
}

TEST_F(ResolvePodNetworksTest, TextFormAppendsEachNadInOrder) {
  Result<std::vector<ResolvedNetwork>> networks =
      Apply({{kNetworks, "macvlan, other/bridge@fast0 ,macvlan@eth9"}});
  ASSERT_TRUE(networks.ok()) << networks.status().msg();
  EXPECT_THAT(Names(*networks),
              ElementsAre("cluster", "extra", "ns/macvlan", "other/bridge", "ns/macvlan"));
  EXPECT_EQ((*networks)[2].ifname_request, "");
  EXPECT_EQ((*networks)[3].ifname_request, "fast0");
  EXPECT_EQ((*networks)[4].ifname_request, "eth9");
  EXPECT_EQ((*networks)[3].conf.bytes, Conf("bridge"));
  for (const ResolvedNetwork& n : *networks) {
    EXPECT_THAT(n.capability_overrides, IsEmpty());
    EXPECT_THAT(n.add_cni_args, IsEmpty());
    EXPECT_THAT(n.default_route, IsEmpty());
  }
  EXPECT_THAT(nads_.calls, ElementsAre(NsName{"ns", "macvlan"}, NsName{"other", "bridge"},
                                       NsName{"ns", "macvlan"}));
}

TEST_F(ResolvePodNetworksTest, JsonFormFieldsReachTheResolvedNetwork) {
  const std::string annotation = R"([{
      "name": "sriov", "interface": "net1",
      "ips": ["10.1.1.5/24", "fd00::5/64"],
      "mac": "02:00:00:00:00:01",
      "default-route": ["10.1.1.1"],
      "portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}],
      "bandwidth": {"ingressRate": 1000, "ingressBurst": 10, "egressRate": 2000, "egressBurst": 20},
      "cni-args": {"foo": "bar", "keep": 2},
      "infiniband-guid": "00:11:22:33:44:55:66:77",
      "deviceID": "0000:00:04.0"
    }, {"name": "macvlan", "namespace": "ns", "interfaceRequest": "old1"}])";
  Result<std::vector<ResolvedNetwork>> networks = Apply({{kNetworks, annotation}});
  ASSERT_TRUE(networks.ok()) << networks.status().msg();
  ASSERT_EQ(networks->size(), 4u);
  const ResolvedNetwork& sriov = (*networks)[2];
  EXPECT_EQ(sriov.display_name, "ns/sriov");
  EXPECT_EQ(sriov.ifname_request, "net1");
  std::vector<std::string> keys;
  for (const auto& [key, raw] : sriov.capability_overrides) keys.push_back(key);
  EXPECT_THAT(keys,
              ElementsAre("ips", "mac", "portMappings", "bandwidth", "infinibandGUID", "deviceID"));
  std::map<std::string, json> caps;
  for (const auto& [key, raw] : sriov.capability_overrides) caps[key] = json::parse(raw);
  EXPECT_EQ(caps["ips"], json({"10.1.1.5/24", "fd00::5/64"}));
  EXPECT_EQ(caps["mac"], "02:00:00:00:00:01");
  EXPECT_EQ(caps["portMappings"],
            json::parse(R"([{"hostPort":8080,"containerPort":80,"protocol":"tcp"}])"));
  EXPECT_EQ(
      caps["bandwidth"],
      json::parse(R"({"ingressRate":1000,"ingressBurst":10,"egressRate":2000,"egressBurst":20})"));
  EXPECT_EQ(caps["infinibandGUID"], "00:11:22:33:44:55:66:77");
  EXPECT_EQ(caps["deviceID"], "0000:00:04.0");
  EXPECT_THAT(sriov.add_cni_args,
              ElementsAre(Pair("MAC", "02:00:00:00:00:01"), Pair("IP", "10.1.1.5/24,fd00::5/64")));
  EXPECT_THAT(sriov.default_route, ElementsAre("10.1.1.1"));
  EXPECT_EQ(sriov.device_id, "0000:00:04.0");
  EXPECT_EQ(
      sriov.conf.bytes,
      R"({"cniVersion":"0.4.0","name":"sriov","type":"sriov","args":{"cni":{"keep":2,"foo":"bar"}}})");

  const ResolvedNetwork& macvlan = (*networks)[3];
  EXPECT_EQ(macvlan.ifname_request, "old1");
  EXPECT_THAT(macvlan.capability_overrides, IsEmpty());
  EXPECT_EQ(macvlan.conf.bytes, Conf("macvlan"));
  EXPECT_THAT(nads_.calls, ElementsAre(NsName{"ns", "sriov"}, NsName{"ns", "macvlan"}));
}

TEST_F(ResolvePodNetworksTest, IpsWithoutMacGiveOnlyIp) {
  Result<std::vector<ResolvedNetwork>> networks =
      Apply({{kNetworks, R"([{"name":"macvlan","ips":["10.1.1.5/24"]}])"}});
  ASSERT_TRUE(networks.ok()) << networks.status().msg();
  EXPECT_THAT((*networks)[2].add_cni_args, ElementsAre(Pair("IP", "10.1.1.5/24")));
}

TEST_F(ResolvePodNetworksTest, DefaultNetworkReplacesTheClusterNetwork) {
  Result<std::vector<ResolvedNetwork>> networks =
      Apply({{kDefaultNetwork, "calico"}, {kNetworks, "macvlan"}});
  ASSERT_TRUE(networks.ok()) << networks.status().msg();
  EXPECT_THAT(Names(*networks), ElementsAre("kube-system/calico", "extra", "ns/macvlan"));
  EXPECT_THAT(nads_.calls, ElementsAre(NsName{"kube-system", "calico"}, NsName{"ns", "macvlan"}));

  Result<std::vector<ResolvedNetwork>> alone = ResolvePodNetworks(
      StaticConf({"cluster"}), MakePod({{kDefaultNetwork, "calico"}}), nads_, devices_);
  ASSERT_TRUE(alone.ok()) << alone.status().msg();
  EXPECT_THAT(Names(*alone), ElementsAre("kube-system/calico"));
}

TEST_F(ResolvePodNetworksTest, DefaultNetworkMustNameExactlyOneNetwork) {
  Result<std::vector<ResolvedNetwork>> networks = Apply({{kDefaultNetwork, "calico, macvlan"}});
  ASSERT_FALSE(networks.ok());
  EXPECT_EQ(networks.status().code(), code::kInvalidConfig);
  EXPECT_EQ(
      networks.status().msg(),
      "invalid v1.multus-cni.io/default-network annotation: it must name exactly one network");
  EXPECT_THAT(nads_.calls, IsEmpty());
}

TEST_F(ResolvePodNetworksTest, NamespaceIsolationRules) {
  conf_.namespace_isolation = true;
  struct Case {
    std::string label;
    std::map<std::string, std::string> annotations;
    std::vector<std::string> names;
  };
  const Case cases[] = {
      {"own namespace", {{kNetworks, "macvlan"}}, {"cluster", "extra", "ns/macvlan"}},
      {"explicit own namespace", {{kNetworks, "ns/macvlan"}}, {"cluster", "extra", "ns/macvlan"}},
      {"global namespace", {{kNetworks, "default/global"}}, {"cluster", "extra", "default/global"}},
      {"default-network from multusNamespace",
       {{kDefaultNetwork, "calico"}},
       {"kube-system/calico", "extra"}},
      {"default-network explicit multusNamespace",
       {{kDefaultNetwork, "kube-system/calico"}},
       {"kube-system/calico", "extra"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    Result<std::vector<ResolvedNetwork>> networks = Apply(c.annotations);
    ASSERT_TRUE(networks.ok()) << networks.status().msg();
    EXPECT_EQ(Names(*networks), c.names);
  }
}

TEST_F(ResolvePodNetworksTest, NamespaceIsolationRefusesCrossNamespaceBeforeAnyFetch) {
  conf_.namespace_isolation = true;
  struct Error {
    std::map<std::string, std::string> annotations;
    std::string message;
  };
  const Error errors[] = {
      {{{kNetworks, "macvlan, other/bridge"}},
       "namespace isolation enabled, k8s.v1.cni.cncf.io/networks annotation violates permission, "
       "pod is "
       "in namespace ns but refers to target namespace other"},
      {{{kNetworks, R"([{"name":"bridge","namespace":"other"}])"}},
       "namespace isolation enabled, k8s.v1.cni.cncf.io/networks annotation violates permission, "
       "pod is "
       "in namespace ns but refers to target namespace other"},
      {{{kDefaultNetwork, "other/calico"}},
       "namespace isolation enabled, v1.multus-cni.io/default-network annotation violates "
       "permission, "
       "pod is in namespace ns but refers to target namespace other"},
  };
  for (const Error& e : errors) {
    nads_.calls.clear();
    Result<std::vector<ResolvedNetwork>> networks = Apply(e.annotations);
    ASSERT_FALSE(networks.ok());
    EXPECT_EQ(networks.status().code(), code::kInvalidConfig);
    EXPECT_EQ(networks.status().msg(), e.message);
    EXPECT_THAT(networks.status().details(), HasSubstr("globalNamespaces"));
    EXPECT_THAT(nads_.calls, IsEmpty());
  }
  // Without isolation the same references are fine.
  conf_.namespace_isolation = false;
  EXPECT_TRUE(Apply({{kNetworks, "other/bridge"}}).ok());
  EXPECT_TRUE(Apply({{kDefaultNetwork, "other/calico"}}).ok());
}

TEST_F(ResolvePodNetworksTest, MissingNadIsCode7NamingIt) {
  Result<std::vector<ResolvedNetwork>> networks = Apply({{kNetworks, "macvlan, nope@net5"}});
  ASSERT_FALSE(networks.ok());
  EXPECT_EQ(networks.status().code(), code::kInvalidConfig);
  EXPECT_EQ(networks.status().msg(),
            "cannot find a network-attachment-definition (nope) in namespace (ns)");

  Result<std::vector<ResolvedNetwork>> default_missing = Apply({{kDefaultNetwork, "gone"}});
  ASSERT_FALSE(default_missing.ok());
  EXPECT_EQ(default_missing.status().code(), code::kInvalidConfig);
  EXPECT_EQ(default_missing.status().msg(),
            "cannot find a network-attachment-definition (gone) in namespace (kube-system)");
}

TEST_F(ResolvePodNetworksTest, LookupFailureIsPassedThrough) {
  nads_.FailWith(Status::TryAgainLater("apiserver down"));
  Result<std::vector<ResolvedNetwork>> networks = Apply({{kNetworks, "macvlan"}});
  ASSERT_FALSE(networks.ok());
  EXPECT_EQ(networks.status().code(), code::kTryAgainLater);
  EXPECT_EQ(networks.status().msg(), "apiserver down");
}

TEST_F(ResolvePodNetworksTest, TwoDefaultGatewaysOfOneFamilyAreRefusedAsEcmp) {
  Result<std::vector<ResolvedNetwork>> networks = Apply(
      {{kNetworks,
        R"([{"name":"macvlan","default-route":["10.1.1.1"]},{"name":"sriov","default-route":["10.2.2.1"]}])"}});
  ASSERT_FALSE(networks.ok());
  EXPECT_EQ(networks.status().code(), code::kInvalidConfig);
  EXPECT_EQ(networks.status().msg(), "multus does not support ECMP for default-route");

  Result<std::vector<ResolvedNetwork>> one_per_family = Apply(
      {{kNetworks,
        R"([{"name":"macvlan","default-route":["10.1.1.1"]},{"name":"sriov","default-route":["fd00::1"]}])"}});
  ASSERT_TRUE(one_per_family.ok()) << one_per_family.status().msg();
  EXPECT_THAT((*one_per_family)[2].default_route, ElementsAre("10.1.1.1"));
  EXPECT_THAT((*one_per_family)[3].default_route, ElementsAre("fd00::1"));
}

TEST_F(ResolvePodNetworksTest, NetworksOfOneResourceGetDistinctDevices) {
  TempDir dir;
  WriteFile(dir / "checkpoint",
            R"({"Data":{"PodDeviceEntries":[{"PodUID":"uid","ResourceName":"intel.com/sriov",
      "DeviceIDs":{"0":["0000:00:04.0","0000:00:05.0"]}}]}})");
  DeviceAllocator devices(dir / "checkpoint", "uid");
  nads_.SetResource("ns", "sriov", "intel.com/sriov");
  Result<std::vector<ResolvedNetwork>> networks = ResolvePodNetworks(
      StaticConf({"cluster"}), MakePod({{kNetworks, "sriov, sriov@net9"}}), nads_, devices);
  ASSERT_TRUE(networks.ok()) << networks.status().msg();
  ASSERT_EQ(networks->size(), 3u);
  std::vector<std::string> ids;
  for (size_t i = 1; i < 3; ++i) {
    const ResolvedNetwork& n = (*networks)[i];
    ids.push_back(n.device_id);
    json config = json::parse(n.conf.bytes);
    EXPECT_EQ(config["deviceID"], n.device_id);
    EXPECT_EQ(config["pciBusID"], n.device_id);
    EXPECT_EQ(config["args"]["cni"]["keep"], 1);
  }
  EXPECT_THAT(ids, ElementsAre("0000:00:04.0", "0000:00:05.0"));

  Result<std::vector<ResolvedNetwork>> too_many =
      ResolvePodNetworks(StaticConf({"cluster"}), MakePod({{kNetworks, "sriov"}}), nads_, devices);
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.status().code(), code::kInvalidConfig);
  EXPECT_EQ(too_many.status().msg(),
            "network ns/sriov: no device of resource intel.com/sriov left for this network");
}

TEST_F(ResolvePodNetworksTest, BadAnnotationIsCode7AndNothingIsFetched) {
  struct Error {
    std::map<std::string, std::string> annotations;
    std::string prefix;
  };
  const Error errors[] = {
      {{{kNetworks, "Bad_Name"}}, "invalid k8s.v1.cni.cncf.io/networks annotation: "},
      {{{kNetworks, "macvlan, sriov@this-name-is-too-long"}},
       "invalid k8s.v1.cni.cncf.io/networks annotation: "},
      {{{kNetworks, R"([{"name":"macvlan"},{"name":"sriov","mac":"zz"}])"}},
       "invalid k8s.v1.cni.cncf.io/networks annotation: "},
      {{{kNetworks, R"([{"name":"macvlan"}, )"}},
       "invalid k8s.v1.cni.cncf.io/networks annotation: "},
      {{{kDefaultNetwork, "calico"}, {kNetworks, "macvlan,,"}},
       "invalid k8s.v1.cni.cncf.io/networks annotation: "},
      {{{kDefaultNetwork, "Not/Valid"}, {kNetworks, "macvlan"}},
       "invalid v1.multus-cni.io/default-network annotation: "},
  };
  for (const Error& e : errors) {
    SCOPED_TRACE(e.annotations.rbegin()->second);
    nads_.calls.clear();
    Result<std::vector<ResolvedNetwork>> networks = Apply(e.annotations);
    ASSERT_FALSE(networks.ok());
    EXPECT_EQ(networks.status().code(), code::kInvalidConfig);
    EXPECT_EQ(networks.status().msg().substr(0, e.prefix.size()), e.prefix)
        << networks.status().msg();
    EXPECT_THAT(nads_.calls, IsEmpty());
  }
}

}  // namespace
}  // namespace multus
