// Hot-plug (multus-daemon's POST /delegate) with a fake executor and temp dirs: the request's
// validation, what the plugins are asked, and what the pod's plan records, including the pod's
// own DEL afterwards.
#include "multus/hotplug.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "multus/app.h"
#include "multus/cache.h"
#include "testing/captured_log.h"
#include "testing/fake_executor.h"
#include "testing/fake_platform.h"
#include "testing/temp_dir.h"

namespace multus {
namespace {

using nlohmann::json;
using test::EnvValue;
using test::Exists;
using test::FakeExecutor;
using test::PluginName;
using test::TempDir;

constexpr char kNetns[] = "/var/run/netns/cni-hotplug-test";
constexpr char kPodArgs[] = "K8S_POD_NAMESPACE=ns;K8S_POD_NAME=pod;K8S_POD_UID=uid";
constexpr char kMacvlan[] =
    R"({"cniVersion":"1.0.0","name":"macvlan-conf","type":"macvlan","master":"eth1",)"
    R"("capabilities":{"ips":true,"mac":true},"ipam":{"type":"static"}})";
constexpr char kAttributes[] =
    R"({"ips":["10.1.1.5/24"],"mac":"02:00:00:00:00:05","cni-args":{"vlan":"7"}})";

EnvMap DelegateEnv(const std::string& command, const std::string& ifname = "net5") {
  return {{"CNI_COMMAND", command},
          {"CNI_CONTAINERID", "cid1"},
          {"CNI_NETNS", kNetns},
          {"CNI_IFNAME", ifname},
          {"CNI_ARGS", kPodArgs}};
}

TEST(ParseHotplugRequestTest, RefusesBadInputWithItsCodeNamingTheProblem) {
  struct Case {
    std::string what;
    EnvMap env;
    std::string config;
    std::string attributes;
    int code;
    std::string msg_part;
  };
  EnvMap add = DelegateEnv("ADD");
  auto with = [&](const std::string& key, const std::string& value) {
    EnvMap env = add;
    env[key] = value;
    return env;
  };
  auto without = [&](const std::string& key) {
    EnvMap env = add;
    env.erase(key);
    return env;
  };
  const Case cases[] = {
      {"no command", without("CNI_COMMAND"), kMacvlan, "", 4, "has no CNI_COMMAND"},
      {"CHECK", with("CNI_COMMAND", "CHECK"), kMacvlan, "", 4,
       "does not support CNI_COMMAND CHECK"},
      {"no container", without("CNI_CONTAINERID"), kMacvlan, "", 4, "[CNI_CONTAINERID]"},
      {"bad container", with("CNI_CONTAINERID", "-x"), kMacvlan, "", 4, "containerID"},
      {"no ifname", without("CNI_IFNAME"), kMacvlan, "", 4, "[CNI_IFNAME]"},
      {"long ifname", with("CNI_IFNAME", "net0123456789abc"), kMacvlan, "", 4, "too long"},
      {"ifname with /", with("CNI_IFNAME", "a/b"), kMacvlan, "", 4, "contains /"},
      {"ADD without netns", without("CNI_NETNS"), kMacvlan, "", 4, "[CNI_NETNS]"},
      {"no pod name", with("CNI_ARGS", "K8S_POD_NAMESPACE=ns"), kMacvlan, "", 4, "K8S_POD_NAME"},
      {"unknown CNI_ARGS", with("CNI_ARGS", std::string(kPodArgs) + ";FOO=1"), kMacvlan, "", 4,
       "unknown args [FOO]"},
      {"no config", add, "", "", 7, "has no \"config\""},
      {"config not JSON", add, "{nope", "", 6, "/delegate config"},
      {"config without type", add, R"({"cniVersion":"1.0.0","name":"n"})", "", 7,
       "/delegate config"},
      {"multus itself", add, R"({"cniVersion":"1.0.0","name":"m","type":"multus-shim"})", "", 7,
       "is multus itself"},
      {"attributes not an object", add, kMacvlan, "[1]", 7,
       "invalid /delegate request: interfaceAttributes must be an object"},
      {"bad CIDR", add, kMacvlan, R"({"ips":["10.1.1.5/33"]})", 7,
       "invalid /delegate request: interfaceAttributes: invalid CIDR \"10.1.1.5/33\""},
      {"ips not a list", add, kMacvlan, R"({"ips":"10.1.1.5/24"})", 7,
       "\"ips\" must be a list of strings"},
      {"bad MAC", add, kMacvlan, R"({"mac":"02:00"})", 7, "invalid MAC address \"02:00\""},
      {"cni-args not an object", add, kMacvlan, R"({"cni-args":[1]})", 7,
       "\"cni-args\" must be an object"},
  };
  for (const Case& c : cases) {
    Result<HotplugRequest> parsed = ParseHotplugRequest(c.env, c.config, c.attributes);
    ASSERT_FALSE(parsed.ok()) << c.what;
    EXPECT_EQ(parsed.status().code(), c.code) << c.what << ": " << parsed.status().msg();
    EXPECT_NE(parsed.status().msg().find(c.msg_part), std::string::npos)
        << c.what << ": " << parsed.status().msg();
  }
}

TEST(ParseHotplugRequestTest, DelNeedsNoNetns) {
  EnvMap env = DelegateEnv("DEL");
  env.erase("CNI_NETNS");
  Result<HotplugRequest> parsed = ParseHotplugRequest(env, kMacvlan, "");
  ASSERT_TRUE(parsed.ok()) << parsed.status().msg();
  EXPECT_EQ(parsed->env.command, "DEL");
  EXPECT_EQ(parsed->env.netns, "");
}

TEST(ParseHotplugRequestTest, AttributesApplyAsASelectionElementsDo) {
  Result<HotplugRequest> parsed = ParseHotplugRequest(DelegateEnv("ADD"), kMacvlan, kAttributes);
  ASSERT_TRUE(parsed.ok()) << parsed.status().msg();
  const PlannedDelegate& delegate = parsed->delegate;
  EXPECT_EQ(parsed->env.path, "");  // no CNI_PATH: the daemon's binDir only
  EXPECT_EQ(parsed->k8s.pod_name, "pod");
  EXPECT_EQ(delegate.display_name, "macvlan-conf");
  EXPECT_EQ(delegate.ifname, "net5");
  EXPECT_FALSE(delegate.master);
  EXPECT_EQ(json::parse(delegate.capability_args),
            json::parse(R"({"ips":["10.1.1.5/24"],"mac":"02:00:00:00:00:05"})"));
  EXPECT_EQ(delegate.add_cni_args,
            (KeyValues{{"MAC", "02:00:00:00:00:05"}, {"IP", "10.1.1.5/24"}}));
  EXPECT_EQ(json::parse(delegate.conf.bytes)["args"], json::parse(R"({"cni":{"vlan":"7"}})"));
  // Unknown members are ignored, as upstream's decoder does; none at all is fine.
  parsed = ParseHotplugRequest(DelegateEnv("ADD"), kMacvlan, R"({"foo":1,"MAC":null})");
  ASSERT_TRUE(parsed.ok()) << parsed.status().msg();
  EXPECT_EQ(parsed->delegate.capability_args, "{}");
  EXPECT_TRUE(parsed->delegate.add_cni_args.empty());
  EXPECT_EQ(parsed->delegate.conf.bytes, kMacvlan);
}

class HotplugTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* plugin : {"bridge", "macvlan", "tuning"}) {
      test::WriteExecutable(root_ / ("bin/" + std::string(plugin)));
    }
    pod_netns_.Create(kNetns);
    executor_.SetHandler(FakeExecutor::LikePlugin());
    deps_.executor = &executor_;
    deps_.netns = &pod_netns_;
    deps_.clock = &clock_;
    conf_.cni_dir = root_ / "cni";
    conf_.bin_dir = root_ / "bin";
  }

  // The pod's own calls, as the runtime makes them through multus.
  std::string PodConfig() const {
    return R"({"cniVersion":"0.4.0","name":"multus-cni-network","type":"multus","binDir":")" +
           conf_.bin_dir + R"(","cniDir":")" + conf_.cni_dir +
           R"(","delegates":[{"cniVersion":"1.0.0","name":"cluster","type":"bridge"}]})";
  }
  int PodCall(const std::string& command) {
    EnvMap env = DelegateEnv(command, "eth0");
    env["CNI_PATH"] = "/nonexistent";
    env["CNI_ARGS"] = std::string("IgnoreUnknown=1;") + kPodArgs;
    std::string out;
    std::string err;
    int code = multus::Run({"multus"}, env, PodConfig(), out, err, deps_);
    EXPECT_EQ(code, 0) << out;
    return code;
  }

  Result<std::string> Hotplug(const std::string& command, const std::string& config = kMacvlan,
                              const std::string& attributes = "",
                              const std::string& ifname = "net5") {
    Result<HotplugRequest> parsed =
        ParseHotplugRequest(DelegateEnv(command, ifname), config, attributes);
    if (!parsed.ok()) return parsed.status();
    return RunHotplug(*parsed, conf_, {{"PATH", "/usr/bin"}}, deps_);
  }

  // "ADD macvlan net5" for every request so far.
  std::vector<std::string> Calls() const {
    std::vector<std::string> calls;
    for (const ExecRequest& r : executor_.requests()) {
      calls.push_back(EnvValue(r, "CNI_COMMAND") + " " + PluginName(r) + " " +
                      EnvValue(r, "CNI_IFNAME"));
    }
    return calls;
  }
  std::string Scratch() const { return ScratchCachePath(conf_.cni_dir, "cid1"); }
  std::string PlanText() const { return test::ReadFile(Scratch()); }
  std::vector<std::string> PlanIfnames() const {
    std::vector<std::string> names;
    json plan = json::parse(PlanText());
    for (const json& d : plan["delegates"]) names.push_back(d["ifname"]);
    return names;
  }
  std::string ResultCache(const std::string& net, const std::string& ifname) const {
    return ResultCachePath(conf_.cni_dir, net, "cid1", ifname);
  }
  // Every file under cniDir that names the container (plans, results, locks, markers).
  std::vector<std::string> LeftOf(const std::string& container_id) const {
    std::vector<std::string> left;
    for (const char* sub : {"", "/results", "/locks", "/failed"}) {
      if (!Exists(conf_.cni_dir + sub)) continue;
      for (const std::string& name : test::ListDir(conf_.cni_dir + sub)) {
        if (name.find(container_id) != std::string::npos) left.push_back(sub + ("/" + name));
      }
    }
    return left;
  }
  void FailWhen(const std::string& plugin, const std::string& command, const std::string& reply) {
    executor_.SetHandler([base = FakeExecutor::LikePlugin(), plugin, command,
                          reply](const ExecRequest& r) -> Result<ExecOutcome> {
      if (PluginName(r) == plugin && EnvValue(r, "CNI_COMMAND") == command) {
        return ExecOutcome{1, false, reply, ""};
      }
      return base(r);
    });
  }

  TempDir root_;
  test::FakePodNetns pod_netns_;
  test::FakeClock clock_;
  test::CapturedLog log_;
  FakeExecutor executor_;
  Deps deps_;
  NetConf conf_;
};

TEST_F(HotplugTest, AddRecordsTheNetworkInThePlanBeforeItsPluginRuns) {
  PodCall("ADD");
  executor_.Clear();
  std::vector<std::string> recorded_before_exec;
  executor_.SetHandler([&, base = FakeExecutor::LikePlugin()](const ExecRequest& r) {
    recorded_before_exec = PlanIfnames();
    return base(r);
  });
  Result<std::string> result = Hotplug("ADD", kMacvlan, kAttributes);
  ASSERT_TRUE(result.ok()) << result.status().msg();
  EXPECT_EQ(recorded_before_exec, (std::vector<std::string>{"eth0", "net5"}));
  EXPECT_EQ(PlanIfnames(), (std::vector<std::string>{"eth0", "net5"}));
  json plan = json::parse(PlanText());
  EXPECT_EQ(plan["delegates"][1]["name"], "macvlan-conf");
  EXPECT_EQ(plan["delegates"][1]["master"], false);
  EXPECT_EQ(plan["delegates"][1]["addCniArgs"],
            json::parse(R"([["MAC","02:00:00:00:00:05"],["IP","10.1.1.5/24"]])"));
  EXPECT_TRUE(Exists(ResultCache("macvlan-conf", "net5")));
  json reply = json::parse(*result);
  EXPECT_EQ(reply["cniVersion"], "1.0.0");
  EXPECT_EQ(reply["interfaces"][0]["name"], "net5");
}

TEST_F(HotplugTest, AddRunsTheOneDelegateWithItsCapabilityArgsAndCniArgs) {
  PodCall("ADD");
  executor_.Clear();
  std::string conflist =
      R"({"cniVersion":"1.0.0","name":"chained","plugins":[)"
      R"({"type":"macvlan","master":"eth1","capabilities":{"ips":true,"mac":true}},)"
      R"({"type":"tuning","capabilities":{"portMappings":true}}]})";
  ASSERT_TRUE(Hotplug("ADD", conflist, kAttributes).ok());
  ASSERT_EQ(Calls(), (std::vector<std::string>{"ADD macvlan net5", "ADD tuning net5"}));
  for (const ExecRequest& r : executor_.requests()) {
    EXPECT_EQ(EnvValue(r, "CNI_CONTAINERID"), "cid1");
    EXPECT_EQ(EnvValue(r, "CNI_NETNS"), kNetns);
    EXPECT_EQ(EnvValue(r, "CNI_PATH"), conf_.bin_dir);  // the daemon's binDir alone
    EXPECT_EQ(EnvValue(r, "CNI_ARGS"),
              std::string("IgnoreUnknown=1;") + kPodArgs + ";MAC=02:00:00:00:00:05;IP=10.1.1.5/24");
    EXPECT_EQ(EnvValue(r, "PATH"), "/usr/bin");
    EXPECT_EQ(json::parse(r.stdin_data)["args"], json::parse(R"({"cni":{"vlan":"7"}})"));
  }
  // Only a plugin declaring a capability receives it.
  json macvlan = json::parse(executor_.requests()[0].stdin_data);
  EXPECT_EQ(macvlan["runtimeConfig"],
            json::parse(R"({"ips":["10.1.1.5/24"],"mac":"02:00:00:00:00:05"})"));
  EXPECT_FALSE(json::parse(executor_.requests()[1].stdin_data).contains("runtimeConfig"));
}

TEST_F(HotplugTest, AddAnswersA100ResultWhateverTheDelegatesVersion) {
  PodCall("ADD");
  Result<std::string> result =
      Hotplug("ADD", R"({"cniVersion":"0.3.1","name":"old","type":"bridge"})", "", "net7");
  ASSERT_TRUE(result.ok()) << result.status().msg();
  json reply = json::parse(*result);
  EXPECT_EQ(reply["cniVersion"], "1.0.0");
  EXPECT_FALSE(reply["ips"][0].contains("version"));
}

TEST_F(HotplugTest, AddRefusesAnInterfaceNameAlreadyInThePlanAndChangesNothing) {
  PodCall("ADD");
  ASSERT_TRUE(Hotplug("ADD").ok());
  std::string before = PlanText();
  executor_.Clear();
  for (const std::string ifname : {"eth0", "net5"}) {
    Result<std::string> refused = Hotplug("ADD", kMacvlan, "", ifname);
    ASSERT_FALSE(refused.ok()) << ifname;
    EXPECT_EQ(refused.status().code(), code::kInvalidConfig);
    EXPECT_NE(
        refused.status().msg().find("[ns/pod/uid]: network \"macvlan-conf\": interface name \"" +
                                    ifname + "\" is already used by network"),
        std::string::npos)
        << refused.status().msg();
  }
  EXPECT_TRUE(Calls().empty());
  EXPECT_EQ(PlanText(), before);
}

TEST_F(HotplugTest, AddRefusesAnInterfaceThatExistsInThePodAndChangesNothing) {
  PodCall("ADD");
  std::string before = PlanText();
  pod_netns_.Create(kNetns, {"lo", "eth0", "net5"});
  executor_.Clear();
  Result<std::string> refused = Hotplug("ADD");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), code::kInvalidConfig);
  EXPECT_NE(refused.status().msg().find("net5 already exists in"), std::string::npos);
  EXPECT_TRUE(Calls().empty());
  EXPECT_EQ(PlanText(), before);
}

TEST_F(HotplugTest, AddRefusesAMissingPluginOrNetnsAndChangesNothing) {
  PodCall("ADD");
  std::string before = PlanText();
  executor_.Clear();
  Result<std::string> refused =
      Hotplug("ADD", R"({"cniVersion":"1.0.0","name":"x","type":"nosuch"})");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), code::kInvalidConfig);
  EXPECT_NE(refused.status().msg().find("failed to find plugin \"nosuch\""), std::string::npos);
  pod_netns_.Remove(kNetns);
  refused = Hotplug("ADD");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), code::kInvalidEnv);
  EXPECT_TRUE(Calls().empty());
  EXPECT_EQ(PlanText(), before);
}

TEST_F(HotplugTest, AddRefusesAContainerMultusDidNotAddAndLeavesNothing) {
  Result<std::string> refused = Hotplug("ADD");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), code::kUnknownContainer);
  EXPECT_NE(refused.status().msg().find("container cid1 has no multus cache"), std::string::npos)
      << refused.status().msg();
  EXPECT_TRUE(Calls().empty());
  EXPECT_TRUE(LeftOf("cid1").empty()) << LeftOf("cid1").front();
}

TEST_F(HotplugTest, AFailedAddIsRolledBackAndLeavesThePlanAsItWas) {
  PodCall("ADD");
  std::string before = PlanText();
  executor_.Clear();
  FailWhen("macvlan", "ADD", R"({"code":11,"msg":"no master"})");
  Result<std::string> failed = Hotplug("ADD");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), 11);
  EXPECT_NE(failed.status().msg().find(
                "[ns/pod/uid]: error adding container to network \"macvlan-conf\""),
            std::string::npos)
      << failed.status().msg();
  EXPECT_NE(failed.status().msg().find("no master"), std::string::npos);
  EXPECT_EQ(Calls(), (std::vector<std::string>{"ADD macvlan net5", "DEL macvlan net5"}));
  EXPECT_EQ(PlanText(), before);
  EXPECT_FALSE(Exists(ResultCache("macvlan-conf", "net5")));
  // Its DEL failing too changes nothing: the failed network counts as done.
  executor_.Clear();
  executor_.SetHandler([](const ExecRequest&) -> Result<ExecOutcome> {
    return ExecOutcome{1, false, R"({"code":7,"msg":"Link not found"})", ""};
  });
  ASSERT_FALSE(Hotplug("ADD").ok());
  EXPECT_EQ(Calls(), (std::vector<std::string>{"ADD macvlan net5", "DEL macvlan net5"}));
  EXPECT_EQ(PlanText(), before);
  EXPECT_TRUE(log_.Has("error", "hot-plug rollback DEL failed")) << log_.Dump();
}

TEST_F(HotplugTest, DelRemovesTheNetworkWithTheConfigItWasAddedWith) {
  PodCall("ADD");
  ASSERT_TRUE(Hotplug("ADD", kMacvlan, kAttributes).ok());
  executor_.Clear();
  // The request's config differs from the recorded one: the recorded one is deleted.
  Result<std::string> deleted =
      Hotplug("DEL", R"({"cniVersion":"1.0.0","name":"other","type":"bridge"})");
  ASSERT_TRUE(deleted.ok()) << deleted.status().msg();
  EXPECT_EQ(*deleted, "");
  ASSERT_EQ(Calls(), (std::vector<std::string>{"DEL macvlan net5"}));
  json stdin_data = json::parse(executor_.requests()[0].stdin_data);
  EXPECT_EQ(stdin_data["name"], "macvlan-conf");
  EXPECT_EQ(stdin_data["prevResult"]["interfaces"][0]["name"], "net5");
  EXPECT_EQ(stdin_data["runtimeConfig"]["mac"], "02:00:00:00:00:05");
  // DEL sends no IP=/MAC= (ADD only).
  EXPECT_EQ(EnvValue(executor_.requests()[0], "CNI_ARGS"),
            std::string("IgnoreUnknown=1;") + kPodArgs);
  EXPECT_EQ(PlanIfnames(), (std::vector<std::string>{"eth0"}));
  EXPECT_FALSE(Exists(ResultCache("macvlan-conf", "net5")));
}

TEST_F(HotplugTest, ASecondDelSucceedsAfterOneAttemptWithTheRequestsConfig) {
  PodCall("ADD");
  ASSERT_TRUE(Hotplug("ADD").ok());
  ASSERT_TRUE(Hotplug("DEL").ok());
  std::string before = PlanText();
  executor_.Clear();
  FailWhen("macvlan", "DEL", R"({"code":7,"msg":"Link not found"})");
  Result<std::string> again = Hotplug("DEL");
  ASSERT_TRUE(again.ok()) << again.status().msg();
  EXPECT_EQ(Calls(), (std::vector<std::string>{"DEL macvlan net5"}));
  EXPECT_EQ(PlanText(), before);
  EXPECT_TRUE(log_.Has("error", "giving up DEL of network \"macvlan-conf\"")) << log_.Dump();
}

TEST_F(HotplugTest, ARecordedNetworksFailingDelIsRetriedThenGivenUpAtTheThird) {
  PodCall("ADD");
  ASSERT_TRUE(Hotplug("ADD").ok());
  executor_.Clear();
  FailWhen("macvlan", "DEL", R"({"code":7,"msg":"gone"})");
  for (int attempt = 1; attempt <= 2; ++attempt) {
    Result<std::string> failed = Hotplug("DEL");
    ASSERT_FALSE(failed.ok()) << attempt;
    EXPECT_EQ(failed.status().code(), 7);
    EXPECT_EQ(PlanIfnames(), (std::vector<std::string>{"eth0", "net5"}));
    EXPECT_EQ(json::parse(PlanText())["delegates"][1]["delFailures"], attempt);
  }
  Result<std::string> third = Hotplug("DEL");
  EXPECT_TRUE(third.ok()) << third.status().msg();
  EXPECT_EQ(PlanIfnames(), (std::vector<std::string>{"eth0"}));
  EXPECT_FALSE(Exists(ResultCache("macvlan-conf", "net5")));
  EXPECT_EQ(Calls().size(), 3u);
  EXPECT_TRUE(log_.Has("error", "after 3 attempts")) << log_.Dump();
}

TEST_F(HotplugTest, DelRefusesThePodsClusterNetwork) {
  PodCall("ADD");
  std::string before = PlanText();
  executor_.Clear();
  Result<std::string> refused = Hotplug("DEL", kMacvlan, "", "eth0");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), code::kInvalidConfig);
  EXPECT_NE(refused.status().msg().find("eth0 is the pod's cluster network"), std::string::npos);
  EXPECT_TRUE(Calls().empty());
  EXPECT_EQ(PlanText(), before);
}

TEST_F(HotplugTest, DelOfAContainerWithoutPlanRunsOnceAndLeavesNothing) {
  FailWhen("macvlan", "DEL", R"({"code":7,"msg":"gone"})");
  Result<std::string> deleted = Hotplug("DEL");
  EXPECT_TRUE(deleted.ok()) << deleted.status().msg();
  EXPECT_EQ(Calls(), (std::vector<std::string>{"DEL macvlan net5"}));
  EXPECT_TRUE(LeftOf("cid1").empty()) << LeftOf("cid1").front();
}

TEST_F(HotplugTest, ThePodsDelAlsoDeletesAHotPluggedNetworkAndLeavesNothing) {
  PodCall("ADD");
  ASSERT_TRUE(Hotplug("ADD", kMacvlan, kAttributes).ok());
  executor_.Clear();
  PodCall("DEL");
  EXPECT_EQ(Calls(), (std::vector<std::string>{"DEL macvlan net5", "DEL bridge eth0"}));
  EXPECT_TRUE(LeftOf("cid1").empty()) << LeftOf("cid1").front();
}

TEST_F(HotplugTest, APodOfUpstreamMultusIsRefusedAndItsCacheKept) {
  // Upstream's cache names no interface: element 0 would take the request's CNI_IFNAME.
  std::string upstream =
      R"([{"Conf":{"cniVersion":"1.0.0","name":"cluster","type":"bridge"},"Name":"cluster",)"
      R"("Bytes":"eyJjbmlWZXJzaW9uIjoiMS4wLjAiLCJuYW1lIjoiY2x1c3RlciIsInR5cGUiOiJicmlkZ2UifQ=="}])";
  test::WriteFile(Scratch(), upstream, 0600);
  Result<std::string> refused = Hotplug("ADD");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), code::kUnknownContainer);
  EXPECT_NE(refused.status().msg().find("set up by upstream multus"), std::string::npos);
  ASSERT_TRUE(Hotplug("DEL").ok());
  EXPECT_EQ(Calls(), (std::vector<std::string>{"DEL macvlan net5"}));  // not the cluster's
  EXPECT_EQ(PlanText(), upstream);
}

TEST_F(HotplugTest, ACorruptPlanIsCode101AndKept) {
  test::WriteFile(Scratch(), "{not json", 0600);
  for (const char* command : {"ADD", "DEL"}) {
    Result<std::string> failed = Hotplug(command);
    ASSERT_FALSE(failed.ok()) << command;
    EXPECT_EQ(failed.status().code(), code::kCorruptCache) << command;
  }
  EXPECT_TRUE(Calls().empty());
  EXPECT_EQ(PlanText(), "{not json");
}

}  // namespace
}  // namespace multus
