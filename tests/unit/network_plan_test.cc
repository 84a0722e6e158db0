#include "multus/network_plan.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "multus/cni_env.h"
#include "multus/delegate_runner.h"
#include "multus/net_conf.h"
#include "multus/network_source.h"
#include "testing/loaded_conf.h"
#include "testing/temp_dir.h"

namespace multus {
namespace {

// A named default config: GCC 12 at -O3 reports a false maybe-uninitialized on a temporary.
const NetConf& DefaultConf() {
  static const NetConf conf;
  return conf;
}

using test::TempDir;
using test::WriteExecutable;
using test::WriteFile;

ResolvedNetwork Network(const std::string& display_name, const std::string& config,
                        const std::string& ifname_request = "") {
  ResolvedNetwork network;
  network.display_name = display_name;
  network.conf = test::Loaded(config);
  network.ifname_request = ifname_request;
  return network;
}

// A network shown as `name`; its config's own name is the part after any '/' (a NAD's).
ResolvedNetwork Net(const std::string& name, const std::string& ifname_request = "",
                    const std::string& type = "bridge") {
  std::string conf_name = name.substr(name.rfind('/') + 1);
  return Network(name,
                 R"({"cniVersion":"1.0.0","name":")" + conf_name + R"(","type":")" + type + R"("})",
                 ifname_request);
}

CniEnv Env() {
  CniEnv env;
  env.command = "ADD";
  env.container_id = "cid";
  env.netns = "/var/run/netns/pod";
  env.ifname = "eth0";
  return env;
}

K8sArgs Pod() {
  K8sArgs k8s;
  k8s.pod_namespace = "ns";
  k8s.pod_name = "pod";
  k8s.pod_uid = "uid";
  return k8s;
}

std::vector<std::string> Ifnames(const NetworkPlan& plan) {
  std::vector<std::string> out;
  for (const auto& delegate : plan.delegates) out.push_back(delegate.ifname);
  return out;
}

TEST(BuildPlanTest, NamesInterfacesEth0ThenNetIndex) {
  struct Case {
    std::vector<ResolvedNetwork> networks;
    std::vector<std::string> ifnames;
  };
  const Case cases[] = {
      {{Net("a")}, {"eth0"}},
      {{Net("a"), Net("b"), Net("c")}, {"eth0", "net1", "net2"}},
      // Explicit names still use up their index.
      {{Net("a"), Net("b", "macvlan1"), Net("c")}, {"eth0", "macvlan1", "net2"}},
      {{Net("a"), Net("b", "net2"), Net("c")}, {"eth0", "net2", "net2"}},  // ValidatePlan's job
      {{Net("a", "pod0"), Net("b")}, {"pod0", "net1"}},
  };
  for (const Case& c : cases) {
    NetworkPlan plan = BuildPlan(c.networks, DefaultConf(), Env(), Pod()).value();
    EXPECT_EQ(Ifnames(plan), c.ifnames);
  }
}

TEST(BuildPlanTest, UsesCniIfnameForTheClusterNetwork) {
  CniEnv env = Env();
  env.ifname = "ens3";
  NetworkPlan plan = BuildPlan({Net("a"), Net("b")}, DefaultConf(), env, Pod()).value();
  EXPECT_EQ(Ifnames(plan), (std::vector<std::string>{"ens3", "net1"}));
}

TEST(BuildPlanTest, CarriesPodConfigsAndCapabilityArgs) {
  NetConf conf;
  conf.runtime_config = R"({"portMappings":[{"hostPort":8080,"containerPort":80}]})";
  std::vector<ResolvedNetwork> networks = {Net("a"), Net("ns/b")};
  NetworkPlan plan = BuildPlan(networks, conf, Env(), Pod()).value();
  EXPECT_EQ(plan.container_id, "cid");
  EXPECT_EQ(plan.netns, "/var/run/netns/pod");
  EXPECT_EQ(plan.pod_namespace, "ns");
  EXPECT_EQ(plan.pod_name, "pod");
  EXPECT_EQ(plan.pod_uid, "uid");
  ASSERT_EQ(plan.delegates.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(plan.delegates[i].display_name, networks[i].display_name);
    EXPECT_EQ(plan.delegates[i].conf.bytes, networks[i].conf.bytes);
    EXPECT_EQ(plan.delegates[i].capability_args, conf.runtime_config);
    EXPECT_TRUE(plan.delegates[i].add_cni_args.empty());
  }
  EXPECT_TRUE(plan.delegates[0].master);
  EXPECT_FALSE(plan.delegates[1].master);
}

TEST(BuildPlanTest, AFailedCapabilityMergeFailsThePlanNamingTheNetwork) {
  NetConf conf;
  conf.runtime_config = "[1]";  // ParseNetConf never lets this through; BuildPlan must not hide it
  ResolvedNetwork secondary = Net("ns/b");
  secondary.capability_overrides = {{"mac", R"("c2:11:22:33:44:55")"}};
  Result<NetworkPlan> plan = BuildPlan({Net("a"), secondary}, conf, Env(), Pod());
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().msg().rfind("network \"ns/b\" capability args", 0), 0u)
      << plan.status().msg();
}

class ValidatePlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteExecutable(bin_ / "bridge");
    WriteExecutable(bin_ / "tuning");
    WriteExecutable(extra_ / "macvlan");
    std::filesystem::create_directories(bin_ / "dir-not-a-plugin");
  }
  NetworkPlan Plan(const std::vector<ResolvedNetwork>& networks) {
    return BuildPlan(networks, DefaultConf(), Env(), Pod()).value();
  }
  std::vector<std::string> Path() const { return {bin_.path(), extra_.path()}; }

  TempDir bin_;
  TempDir extra_;
};

TEST_F(ValidatePlanTest, AcceptsAPlanWhosePluginsExist) {
  ResolvedNetwork chain = Network(
      "chain",
      R"({"cniVersion":"1.0.0","name":"chain","plugins":[{"type":"bridge"},{"type":"tuning"}]})");
  EXPECT_TRUE(ValidatePlan(Plan({Net("a"), Net("b", "", "macvlan"), chain}), Path()).ok());
}

TEST_F(ValidatePlanTest, ReportsTheBinaryItFoundForEachPluginType) {
  ResolvedNetwork chain = Network(
      "chain",
      R"({"cniVersion":"1.0.0","name":"chain","plugins":[{"type":"bridge"},{"type":"tuning"}]})");
  PluginPaths found;
  ASSERT_TRUE(ValidatePlan(Plan({Net("b", "", "macvlan"), chain}), Path(), &found).ok());
  EXPECT_EQ(found, (PluginPaths{{"bridge", bin_ / "bridge"},
                                {"macvlan", extra_ / "macvlan"},
                                {"tuning", bin_ / "tuning"}}));
}

TEST_F(ValidatePlanTest, RejectsInvalidInterfaceNames) {
  struct Error {
    std::string ifname;
    std::string message;
  };
  const Error errors[] = {
      {"a234567890123456",
       "network \"b\" interface \"a234567890123456\": interface name is too long"},
      {"..", "network \"b\" interface \"..\": interface name is . or .."},
      {"a/b",
       "network \"b\" interface \"a/b\": interface name contains / or : or whitespace characters"},
      {"a:b",
       "network \"b\" interface \"a:b\": interface name contains / or : or whitespace characters"},
      {"a b",
       "network \"b\" interface \"a b\": interface name contains / or : or whitespace characters"},
  };
  for (const Error& e : errors) {
    Status status = ValidatePlan(Plan({Net("a"), Net("b", e.ifname)}), Path());
    EXPECT_EQ(status.code(), code::kInvalidEnv) << e.ifname;
    EXPECT_EQ(status.msg(), e.message);
  }
}

// Audit finding 2: a NAD name up to 253 bytes made the result cache's file name exceed
// NAME_MAX after the delegates ran, and every DEL failed. Now refused before any plugin runs.
TEST_F(ValidatePlanTest, RejectsANetworkNameTooLongForItsResultCacheFile) {
  std::string long_name(253, 'n');
  Status status = ValidatePlan(Plan({Net("a"), Net(long_name)}), Path());
  EXPECT_EQ(status.code(), code::kInvalidConfig);
  EXPECT_NE(status.msg().find("is too long (253 bytes)"), std::string::npos) << status.msg();
  EXPECT_NE(status.details().find("at most"), std::string::npos) << status.details();
  std::string fits(100, 'n');
  EXPECT_TRUE(ValidatePlan(Plan({Net("a"), Net(fits)}), Path()).ok());
}

TEST_F(ValidatePlanTest, RejectsDuplicateInterfaceNames) {
  struct Error {
    std::vector<ResolvedNetwork> networks;
    std::string message;
  };
  const Error errors[] = {
      {{Net("a"), Net("b", "eth0")}, "network \"b\": interface name \"eth0\" is used twice"},
      {{Net("a"), Net("b", "net2"), Net("c")},
       "network \"c\": interface name \"net2\" is used twice"},
  };
  for (const Error& e : errors) {
    Status status = ValidatePlan(Plan(e.networks), Path());
    EXPECT_EQ(status.code(), code::kInvalidConfig);
    EXPECT_EQ(status.msg(), e.message);
  }
}

TEST_F(ValidatePlanTest, RejectsAMissingPluginBinary) {
  struct Error {
    ResolvedNetwork network;
    std::string message;  // prefix
  };
  const Error errors[] = {
      {Net("b", "", "ipvlan"), "network \"b\": failed to find plugin \"ipvlan\" in path ["},
      {Net("b", "", "dir-not-a-plugin"),
       "network \"b\": failed to find plugin \"dir-not-a-plugin\""},
      {Network(
           "chain",
           R"({"cniVersion":"1.0.0","name":"chain","plugins":[{"type":"bridge"},{"type":"sbr"}]})"),
       "network \"chain\": failed to find plugin \"sbr\""},
  };
  for (const Error& e : errors) {
    Status status = ValidatePlan(Plan({Net("a"), e.network}), Path());
    EXPECT_EQ(status.code(), code::kInvalidConfig) << e.network.conf.bytes;
    EXPECT_EQ(status.msg().rfind(e.message, 0), 0u) << status.msg();
  }
  Status status = ValidatePlan(Plan({Net("a"), Net("b", "", "ipvlan")}), Path());
  EXPECT_NE(status.msg().find(bin_.path() + ":" + extra_.path()), std::string::npos)
      << status.msg();
}

TEST_F(ValidatePlanTest, RejectsAnUnloadableConfigNamingTheNetwork) {
  // Only a cached plan can hold a config that does not load.
  NetworkPlan plan = Plan({Net("a"), Net("ns/bad")});
  plan.delegates[1].LoadConfig(R"({"cniVersion":"1.0.0","name":"bad","type":"../bridge"})");
  Status status = ValidatePlan(plan, Path());
  EXPECT_EQ(status.code(), code::kInvalidConfig);
  EXPECT_EQ(status.msg().rfind("network \"ns/bad\": invalid plugin name", 0), 0u) << status.msg();
}

TEST_F(ValidatePlanTest, FindPluginSearchesInOrder) {
  WriteExecutable(extra_ / "bridge");
  Result<std::string> found = FindPlugin("bridge", Path());
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found, bin_ / "bridge");
  found = FindPlugin("macvlan", {"", bin_.path(), extra_.path()});
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found, extra_ / "macvlan");
  EXPECT_EQ(FindPlugin("../bridge", Path()).status().code(), code::kInvalidConfig);
  EXPECT_EQ(FindPlugin("", Path()).status().code(), code::kInvalidConfig);
  EXPECT_EQ(FindPlugin("bridge", {}).status().code(), code::kInvalidConfig);
}

}  // namespace
}  // namespace multus
