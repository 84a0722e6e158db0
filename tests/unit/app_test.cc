// multus::Run end to end with a fake executor and temp dirs: what kubelet sees (stdout, exit
// code) and what the plugins were asked to do (every ExecRequest).
#include "multus/app.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

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

struct Output {
  int exit_code = -1;
  std::string out;
  std::string err;
  json Json() const { return json::parse(out); }
};

std::string Delegate(const std::string& name, const std::string& type,
                     const std::string& version = "1.0.0") {
  return R"({"cniVersion":")" + version + R"(","name":")" + name + R"(","type":")" + type + R"("})";
}

class AppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* plugin : {"bridge", "macvlan", "ipvlan", "tuning", "other"}) {
      test::WriteExecutable(root_ / ("bin/" + std::string(plugin)));
    }
    pod_netns_.Create(netns_);
    executor_.SetHandler(FakeExecutor::LikePlugin());
    deps_.executor = &executor_;
    deps_.netns = &pod_netns_;
    deps_.clock = &clock_;
    deps_.configure_log = log_.configurer();
    deps_.readiness_timeout = std::chrono::milliseconds(3000);
    deps_.readiness_poll = std::chrono::milliseconds(1000);
  }

  // A multus config with `members` (raw JSON members, may be empty) and `delegates`.
  std::string Config(const std::vector<std::string>& delegates,
                     const std::string& version = "0.3.1", const std::string& members = "") {
    std::string list;
    for (const auto& d : delegates) list += (list.empty() ? "" : ",") + d;
    return R"({"cniVersion":")" + version + R"(","name":"multus-cni-network","type":"multus",)" +
           R"("binDir":")" + (root_ / "bin") + R"(","cniDir":")" + cni_dir() + R"(",)" + members +
           (members.empty() ? "" : ",") + R"("delegates":[)" + list + "]}";
  }
  std::string ThreeNets(const std::string& version = "0.3.1", const std::string& members = "") {
    return Config(
        {Delegate("net1", "bridge"), Delegate("net2", "macvlan"), Delegate("net3", "ipvlan")},
        version, members);
  }

  EnvMap Env(const std::string& command, const std::string& container_id = "cid1") {
    return {{"CNI_COMMAND", command},
            {"CNI_CONTAINERID", container_id},
            {"CNI_NETNS", netns_},
            {"CNI_IFNAME", "eth0"},
            {"CNI_PATH", "/nonexistent/cni"},
            {"CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=pod;K8S_POD_UID=uid"},
            {"PATH", "/usr/sbin:/usr/bin"}};
  }

  Output Run(const EnvMap& env, const std::string& stdin_data,
             const std::vector<std::string>& argv = {"multus"}) {
    Output output;
    output.exit_code = multus::Run(argv, env, stdin_data, output.out, output.err, deps_);
    return output;
  }

  // "ADD bridge eth0" for every request so far.
  std::vector<std::string> Calls() const {
    std::vector<std::string> calls;
    for (const ExecRequest& r : executor_.requests()) {
      calls.push_back(EnvValue(r, "CNI_COMMAND") + " " + PluginName(r) + " " +
                      EnvValue(r, "CNI_IFNAME"));
    }
    return calls;
  }

  std::string cni_dir() const { return root_ / "cni"; }
  std::string Scratch(const std::string& container_id = "cid1") const {
    return ScratchCachePath(cni_dir(), container_id);
  }
  std::string ResultCache(const std::string& net, const std::string& ifname) const {
    return ResultCachePath(cni_dir(), net, "cid1", ifname);
  }

  void ExpectError(const Output& output, int code, const std::string& msg_part,
                   const std::string& version) {
    EXPECT_EQ(output.exit_code, 1);
    ASSERT_FALSE(output.out.empty());
    EXPECT_EQ(output.out.back(), '\n');
    json error = output.Json();
    ASSERT_TRUE(error.is_object()) << output.out;
    EXPECT_EQ(error.size(), 4u) << output.out;
    EXPECT_EQ(error["cniVersion"], version) << output.out;
    EXPECT_EQ(error["code"], code) << output.out;
    ASSERT_TRUE(error["msg"].is_string());
    EXPECT_NE(error["msg"].get<std::string>().find(msg_part), std::string::npos) << output.out;
    EXPECT_TRUE(error["details"].is_string()) << output.out;
  }

  TempDir root_;
  const std::string netns_ = "/var/run/netns/cni-app-test";
  test::FakePodNetns pod_netns_;
  test::FakeClock clock_;
  test::CapturedLog log_;
  FakeExecutor executor_;
  Deps deps_;
};

TEST_F(AppTest, VersionPrintsTheSupportedVersions) {
  Output output = Run({{"CNI_COMMAND", "VERSION"}}, "");
  EXPECT_EQ(output.exit_code, 0);
  EXPECT_EQ(
      output.out,
      R"({"cniVersion":"1.1.0","supportedVersions":["0.1.0","0.2.0","0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]})"
      "\n");
  EXPECT_EQ(output.err, "");
  EXPECT_TRUE(executor_.requests().empty());
}

TEST_F(AppTest, NoCommandPrintsTheAboutTextOnStderr) {
  Output output = Run({{"PATH", "/usr/bin"}}, "");
  EXPECT_EQ(output.exit_code, 0);
  EXPECT_EQ(output.out, "");
  EXPECT_EQ(output.err,
            "meta-plugin that delegates to other CNI plugins\n"
            "CNI protocol versions supported: 0.1.0, 0.2.0, 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0\n");
}

TEST_F(AppTest, VersionFlagPrintsOnStdoutLikeUpstream) {
  for (const char* flag : {"--version", "-version", "-v"}) {
    Output output = Run(Env("ADD"), ThreeNets(), {"multus", flag});
    EXPECT_EQ(output.exit_code, 0) << flag;
    EXPECT_EQ(output.err, "") << flag;
    EXPECT_EQ(output.out.rfind("multus: version:0.1.0, commit:", 0), 0u) << output.out;
  }
  EXPECT_TRUE(executor_.requests().empty());
}

TEST_F(AppTest, HelpFlagPrintsUsageOnStdout) {
  for (const char* flag : {"--help", "-help", "-h"}) {
    Output output = Run(Env("ADD"), ThreeNets(), {"multus", flag});
    EXPECT_EQ(output.exit_code, 0) << flag;
    EXPECT_EQ(output.err, "") << flag;
    EXPECT_EQ(output.out.rfind("Usage: multus [--version | --help]\n", 0), 0u) << output.out;
    EXPECT_NE(output.out.find("CNI_COMMAND"), std::string::npos) << output.out;
  }
  EXPECT_TRUE(executor_.requests().empty());
}

TEST_F(AppTest, BadInvocationsPrintOneCniErrorAndRunNothing) {
  struct Error {
    std::string what;
    std::string key, value;  // env change ("" value erases)
    std::string stdin_data;
    int code;
    std::string msg_part;
    std::string version;  // of the error object
  };
  const std::string good = ThreeNets();
  // Errors found before the config is parsed still answer in the version stdin names (audit
  // finding 16); without a readable version, the newest.
  const Error errors[] = {
      {"unknown command", "CNI_COMMAND", "ADDD", good, 4, "unknown CNI_COMMAND: ADDD", "0.3.1"},
      {"no ifname", "CNI_IFNAME", "", good, 4, "required env variables [CNI_IFNAME] missing",
       "0.3.1"},
      {"long ifname", "CNI_IFNAME", "a234567890123456", good, 4, "interface name is too long",
       "0.3.1"},
      {"bad container id", "CNI_CONTAINERID", "../x", good, 4, "invalid characters in containerID",
       "0.3.1"},
      {"unknown CNI_ARGS", "CNI_ARGS", "Foo=bar", good, 4, "CNI_ARGS: unknown args [Foo]", "0.3.1"},
      {"no netns", "CNI_NETNS", "/nonexistent/netns", good, 4,
       "CNI_NETNS /nonexistent/netns does not exist", "0.3.1"},
      {"malformed json", "", "", "{not json", 6, "error unmarshall network config", "1.1.0"},
      {"empty stdin", "", "", "", 6, "error unmarshall network config", "1.1.0"},
      {"no name", "", "", R"({"cniVersion":"0.3.1","delegates":[{"name":"a","type":"bridge"}]})", 7,
       "missing network name", "0.3.1"},
      {"no delegates", "", "", R"({"cniVersion":"0.3.1","name":"m"})", 7,
       "at least one delegate/clusterNetwork must be specified", "0.3.1"},
      {"bad delegate", "", "", Config({R"({"name":"x"})"}), 7, "failed to load delegate 0 config",
       "0.3.1"},
      {"unsupported version", "", "", ThreeNets("9.9.9"), 1, "incompatible CNI versions", "9.9.9"},
  };
  for (const Error& e : errors) {
    SCOPED_TRACE(e.what);
    EnvMap env = Env("ADD");
    if (!e.key.empty()) {
      if (e.value.empty()) {
        env.erase(e.key);
      } else {
        env[e.key] = e.value;
      }
    }
    Output output = Run(env, e.stdin_data);
    ExpectError(output, e.code, e.msg_part, e.version);
  }
  EXPECT_TRUE(executor_.requests().empty());
  EXPECT_FALSE(Exists(Scratch()));
}

// Audit finding 15: a 100 MB stdin was parsed (2.3 GB, 102 s). Refused by size now.
TEST_F(AppTest, OversizedStdinIsRefusedBeforeParsing) {
  std::string huge = ThreeNets();
  huge.insert(huge.size() - 1, ",\"pad\":\"" + std::string(kMaxStdinBytes, 'x') + "\"");
  Output output = Run(Env("ADD"), huge);
  ExpectError(output, code::kInvalidConfig, "larger than 4 MiB", "1.1.0");
  EXPECT_TRUE(executor_.requests().empty());
}

TEST_F(AppTest, VerbsBelowTheirMinimumVersionAreIncompatible) {
  struct Error {
    std::string command, version;
  };
  const Error errors[] = {
      {"CHECK", "0.3.1"}, {"CHECK", "0.1.0"}, {"STATUS", "1.0.0"}, {"GC", "0.4.0"}};
  for (const Error& e : errors) {
    Output output = Run(Env(e.command), ThreeNets(e.version));
    ExpectError(output, code::kIncompatibleVersion, "config version does not allow " + e.command,
                e.version);
  }
  EXPECT_TRUE(executor_.requests().empty());
}

TEST_F(AppTest, AddRunsEveryDelegateInOrderAndReturnsTheMasterResult) {
  Output output = Run(Env("ADD"), ThreeNets("0.3.1"));
  ASSERT_EQ(output.exit_code, 0) << output.out;
  EXPECT_EQ(Calls(),
            (std::vector<std::string>{"ADD bridge eth0", "ADD macvlan net1", "ADD ipvlan net2"}));
  for (const ExecRequest& r : executor_.requests()) {
    EXPECT_EQ(EnvValue(r, "CNI_CONTAINERID"), "cid1");
    EXPECT_EQ(EnvValue(r, "CNI_NETNS"), netns_);
    EXPECT_EQ(EnvValue(r, "CNI_PATH"), (root_ / "bin") + ":/nonexistent/cni");
    EXPECT_EQ(EnvValue(r, "CNI_ARGS"),
              "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=pod;K8S_POD_UID=uid");
    EXPECT_EQ(EnvValue(r, "PATH"), "/usr/sbin:/usr/bin");
  }
  // The delegates answered 1.0.0; kubelet gets the master's result in the config's 0.3.1.
  json result = output.Json();
  EXPECT_EQ(result["cniVersion"], "0.3.1");
  ASSERT_EQ(result["ips"].size(), 1u);
  EXPECT_EQ(result["ips"][0]["address"], "10.0.1.2/24");
  EXPECT_EQ(result["ips"][0]["version"], "4");
  EXPECT_EQ(result["interfaces"][0]["name"], "eth0");
  EXPECT_TRUE(Exists(Scratch()));
  EXPECT_TRUE(Exists(ResultCache("net1", "eth0")));
  EXPECT_TRUE(Exists(ResultCache("net2", "net1")));
  EXPECT_TRUE(Exists(ResultCache("net3", "net2")));
}

TEST_F(AppTest, AddConvertsTheResultToEveryConfigVersion) {
  struct Case {
    std::string version;
    std::vector<std::string> keys;
  };
  const Case cases[] = {
      {"0.2.0", {"cniVersion", "ip4"}},
      {"0.4.0", {"cniVersion", "interfaces", "ips"}},
      {"1.1.0", {"cniVersion", "interfaces", "ips"}},
  };
  int n = 0;
  for (const Case& c : cases) {
    std::string cid = "conv" + std::to_string(++n);
    Output output = Run(Env("ADD", cid), Config({Delegate("net1", "bridge", "1.0.0")}, c.version));
    ASSERT_EQ(output.exit_code, 0) << output.out;
    json result = output.Json();
    EXPECT_EQ(result["cniVersion"], c.version);
    for (const auto& key : c.keys) EXPECT_TRUE(result.contains(key)) << c.version << " " << key;
  }
}

TEST_F(AppTest, FailedAddRollsBackInReverseOrder) {
  executor_.SetHandler(
      [base = FakeExecutor::LikePlugin()](const ExecRequest& r) -> Result<ExecOutcome> {
        if (PluginName(r) == "ipvlan" && EnvValue(r, "CNI_COMMAND") == "ADD") {
          return ExecOutcome{1, false, "", "failed to create ipvlan: operation not supported\n"};
        }
        return base(r);
      });
  Output output = Run(Env("ADD"), ThreeNets("0.4.0"));
  ExpectError(output, code::kDelegateFailed,
              "[ns/pod/uid:net3]: error adding container to network \"net3\"", "0.4.0");
  EXPECT_NE(output.Json()["msg"].get<std::string>().find(
                "failed to create ipvlan: operation not supported"),
            std::string::npos);
  EXPECT_EQ(Calls(),
            (std::vector<std::string>{"ADD bridge eth0", "ADD macvlan net1", "ADD ipvlan net2",
                                      "DEL ipvlan net2", "DEL macvlan net1", "DEL bridge eth0"}));
  // The added networks' DELs got their results as prevResult (0.4.0 and later).
  EXPECT_TRUE(json::parse(executor_.requests()[4].stdin_data).contains("prevResult"));
  EXPECT_TRUE(json::parse(executor_.requests()[5].stdin_data).contains("prevResult"));
  EXPECT_FALSE(Exists(Scratch()));
  EXPECT_FALSE(Exists(ResultCache("net1", "eth0")));
  EXPECT_FALSE(Exists(ResultCache("net2", "net1")));
}

TEST_F(AppTest, FailedRollbackKeepsThePlanForTheRuntimesDel) {
  // ipvlan's ADD fails; the rollback DEL of macvlan (added before it) fails too.
  executor_.SetHandler(
      [base = FakeExecutor::LikePlugin()](const ExecRequest& r) -> Result<ExecOutcome> {
        if (PluginName(r) == "ipvlan" && EnvValue(r, "CNI_COMMAND") == "ADD")
          return ExecOutcome{1, false, R"({"code":11,"msg":"busy"})", ""};
        if (PluginName(r) == "macvlan" && EnvValue(r, "CNI_COMMAND") == "DEL")
          return ExecOutcome{1, false, R"({"code":11,"msg":"stuck"})", ""};
        return base(r);
      });
  Output output = Run(Env("ADD"), ThreeNets());
  ExpectError(output, 11, "error adding container to network \"net3\"", "0.3.1");
  ASSERT_TRUE(Exists(Scratch()));
  // The runtime's DEL finishes only the unfinished: not bridge (deleted), not ipvlan (its ADD
  // failed and the rollback already tried its DEL).
  executor_.Clear();
  executor_.SetHandler(FakeExecutor::LikePlugin());
  ASSERT_EQ(Run(Env("DEL"), ThreeNets()).exit_code, 0);
  EXPECT_EQ(Calls(), (std::vector<std::string>{"DEL macvlan net1"}));
  EXPECT_FALSE(Exists(Scratch()));
}

TEST_F(AppTest, AFailedAddWhoseOwnRollbackDelFailsLeavesNothingForTheRuntimesDel) {
  // macvlan's master is missing: its ADD and its DEL fail ("Link not found").
  executor_.SetHandler(
      [base = FakeExecutor::LikePlugin()](const ExecRequest& r) -> Result<ExecOutcome> {
        if (PluginName(r) == "macvlan")
          return ExecOutcome{1, false, R"({"code":999,"msg":"Link not found"})", ""};
        return base(r);
      });
  Output output = Run(Env("ADD"), ThreeNets());
  ExpectError(output, 999, "error adding container to network \"net2\"", "0.3.1");
  EXPECT_FALSE(Exists(Scratch()));
  executor_.Clear();
  ASSERT_EQ(Run(Env("DEL"), ThreeNets()).exit_code, 0);  // the first DEL already succeeds
  EXPECT_TRUE(Calls().empty());
}

TEST_F(AppTest, ADelThatKeepsFailingIsGivenUpAfterThreeAttempts) {
  ASSERT_EQ(Run(Env("ADD"), ThreeNets()).exit_code, 0);
  executor_.Clear();
  executor_.SetHandler(
      [base = FakeExecutor::LikePlugin()](const ExecRequest& r) -> Result<ExecOutcome> {
        if (PluginName(r) == "macvlan")
          return ExecOutcome{1, false, R"({"code":7,"msg":"gone"})", ""};
        return base(r);
      });
  // Attempt 1 runs every DEL; the others only retry macvlan; the third gives it up.
  ExpectError(Run(Env("DEL"), ThreeNets()), 7, "errors: ", "0.3.1");
  EXPECT_EQ(Calls(),
            (std::vector<std::string>{"DEL ipvlan net2", "DEL macvlan net1", "DEL bridge eth0"}));
  executor_.Clear();
  ExpectError(Run(Env("DEL"), ThreeNets()), 7, "gone", "0.3.1");
  EXPECT_EQ(Calls(), (std::vector<std::string>{"DEL macvlan net1"}));
  executor_.Clear();
  Output third = Run(Env("DEL"), ThreeNets());
  EXPECT_EQ(third.exit_code, 0) << third.out;
  EXPECT_EQ(Calls(), (std::vector<std::string>{"DEL macvlan net1"}));
  EXPECT_FALSE(Exists(Scratch()));
  // The give-up is an error line naming the network, the plugin and the attempts.
  EXPECT_TRUE(log_.Has("error", "after 3 attempts")) << log_.Dump();
  EXPECT_TRUE(log_.Has("error", "macvlan")) << log_.Dump();
  executor_.Clear();
  ASSERT_EQ(Run(Env("DEL"), ThreeNets()).exit_code, 0);  // idempotent afterwards
}

// Audit finding 18: a cached delegate whose config does not load was never deleted. Now it is
// a corrupt cache entry: given up at once (no DEL can run its plugin), the others deleted.
TEST_F(AppTest, ACachedDelegateWhoseConfigDoesNotLoadIsGivenUpAtOnce) {
  ASSERT_EQ(Run(Env("ADD"), ThreeNets()).exit_code, 0);
  nlohmann::json plan = nlohmann::json::parse(test::ReadFile(Scratch()));
  ASSERT_EQ(plan["delegates"].size(), 3u);
  plan["delegates"][1]["config"] = R"({"name":"net1"})";  // neither type nor plugins
  test::WriteFile(Scratch(), plan.dump(), 0600);
  executor_.Clear();
  Output output = Run(Env("DEL"), ThreeNets());
  EXPECT_EQ(output.exit_code, 0) << output.out;
  EXPECT_EQ(Calls(), (std::vector<std::string>{"DEL ipvlan net2", "DEL bridge eth0"}));
  EXPECT_FALSE(Exists(Scratch()));
}

// Run never reconfigures the process' logging itself: it asks Deps, once per call, with the
// config's settings (also when the call fails before the config is usable).
TEST_F(AppTest, LoggingIsConfiguredOnceThroughDepsWithTheConfigsSettings) {
  ASSERT_EQ(Run(Env("ADD"), ThreeNets("0.3.1", R"("logLevel":"debug","logToStderr":false)"))
                .exit_code,
            0);
  ASSERT_EQ(log_.configured().size(), 1u);
  EXPECT_EQ(log_.configured()[0].level, log::Level::kDebug);
  EXPECT_FALSE(log_.configured()[0].to_stderr);
  EXPECT_TRUE(log_.Has("verbose", "Add: ")) << log_.Dump();

  Output bad = Run(Env("ADD"), R"({"cniVersion":"0.4.0","logLevel":"error","delegates":3})");
  EXPECT_EQ(bad.exit_code, 1);
  ASSERT_EQ(log_.configured().size(), 2u);
  EXPECT_EQ(log_.configured()[1].level, log::Level::kError);
  EXPECT_TRUE(log_.Has("error", "code ")) << log_.Dump();
}

TEST_F(AppTest, ThePluginsErrorCodeReachesKubelet) {
  executor_.SetHandler([base = FakeExecutor::LikePlugin()](
                           const ExecRequest& r) -> Result<ExecOutcome> {
    if (PluginName(r) == "macvlan" && EnvValue(r, "CNI_COMMAND") == "ADD") {
      return ExecOutcome{
          1, false, R"({"cniVersion":"1.0.0","code":11,"msg":"no free IP","details":"pool"})", ""};
    }
    return base(r);
  });
  Output output = Run(Env("ADD"), ThreeNets());
  ExpectError(output, 11, "[ns/pod/uid:net2]: error adding container to network \"net2\"", "0.3.1");
  EXPECT_NE(output.Json()["msg"].get<std::string>().find("no free IP"), std::string::npos);
  EXPECT_EQ(output.Json()["details"], "pool");
  EXPECT_EQ(Calls(), (std::vector<std::string>{"ADD bridge eth0", "ADD macvlan net1",
                                               "DEL macvlan net1", "DEL bridge eth0"}));
}

TEST_F(AppTest, AddFailsAndRollsBackWhenAPluginExitsNonZeroWithCodeZero) {
  executor_.SetHandler(
      [base = FakeExecutor::LikePlugin()](const ExecRequest& r) -> Result<ExecOutcome> {
        if (PluginName(r) == "ipvlan" && EnvValue(r, "CNI_COMMAND") == "ADD") {
          return ExecOutcome{1, false, R"({"code":0,"msg":"weird plugin"})", ""};
        }
        return base(r);
      });
  Output output = Run(Env("ADD"), ThreeNets());
  EXPECT_EQ(output.exit_code, 1) << "stdout: " << output.out;
  EXPECT_FALSE(output.out.empty());
  EXPECT_EQ(Calls(),
            (std::vector<std::string>{"ADD bridge eth0", "ADD macvlan net1", "ADD ipvlan net2",
                                      "DEL ipvlan net2", "DEL macvlan net1", "DEL bridge eth0"}));
}

// DESIGN §6: "a failed ADD deletes what it added, in reverse order" -- also when the failure
// comes after the last delegate, while converting the master's result for kubelet.
TEST_F(AppTest, AddRollsBackWhenTheMasterResultCannotBeConverted) {
  executor_.SetHandler([base = FakeExecutor::LikePlugin()](
                           const ExecRequest& r) -> Result<ExecOutcome> {
    if (PluginName(r) == "bridge" && EnvValue(r, "CNI_COMMAND") == "ADD") {
      // A valid 1.0.0 result without any address cannot be expressed as 0.2.0.
      return ExecOutcome{0, false, R"({"cniVersion":"1.0.0","interfaces":[{"name":"eth0"}]})", ""};
    }
    return base(r);
  });
  Output output = Run(Env("ADD"), ThreeNets("0.2.0"));
  ExpectError(output, code::kIncompatibleVersion, "cannot convert result to 0.2.0", "0.2.0");
  EXPECT_EQ(Calls(),
            (std::vector<std::string>{"ADD bridge eth0", "ADD macvlan net1", "ADD ipvlan net2",
                                      "DEL ipvlan net2", "DEL macvlan net1", "DEL bridge eth0"}));
  EXPECT_FALSE(Exists(Scratch()));
  EXPECT_FALSE(Exists(ResultCache("net1", "eth0")));
}

TEST_F(AppTest, AddRefusesAnInterfaceThatAlreadyExistsInThePod) {
  EnvMap env = Env("ADD");
  env["CNI_IFNAME"] = "lo";  // every network namespace has one
  Output output = Run(env, ThreeNets());
  ExpectError(output, code::kInvalidConfig, "network \"net1\": interface name lo already exists",
              "0.3.1");
  EXPECT_TRUE(executor_.requests().empty());
  EXPECT_FALSE(Exists(Scratch()));
}

TEST_F(AppTest, AddValidationFailureRunsNothing) {
  struct Error {
    std::string what;
    std::string config;
    int code;
    std::string msg_part;
  };
  const Error errors[] = {
      {"missing binary",
       Config({Delegate("net1", "bridge"), Delegate("net2", "macvlan"), Delegate("net3", "sriov")}),
       7, "network \"net3\": failed to find plugin \"sriov\""},
      {"missing binary in a defaultNetworks file",
       Config({}, "0.3.1",
              R"("clusterNetwork":")" + (root_ / "net.d/10-cluster.conf") +
                  R"(","defaultNetworks":[")" + (root_ / "net.d/20-extra.conf") + "\"]"),
       7, "network \"extra\": failed to find plugin \"sriov\""},
      {"missing clusterNetwork file",
       Config({}, "0.3.1", R"("clusterNetwork":")" + (root_ / "net.d/missing.conf") + "\""), 7,
       "failed to get clusterNetwork: cannot find network: "},
  };
  test::WriteFile(root_ / "net.d/10-cluster.conf", Delegate("cluster", "bridge"));
  test::WriteFile(root_ / "net.d/20-extra.conf", Delegate("extra", "sriov"));
  for (const Error& e : errors) {
    SCOPED_TRACE(e.what);
    Output output = Run(Env("ADD"), e.config);
    ExpectError(output, e.code, e.msg_part, "0.3.1");
    EXPECT_NE(output.Json()["msg"].get<std::string>().find("[ns/pod/uid]"), std::string::npos);
  }
  EXPECT_TRUE(executor_.requests().empty());
  EXPECT_FALSE(Exists(Scratch()));
}

TEST_F(AppTest, DelUsesTheCachedPlanNotTheCurrentConfig) {
  ASSERT_EQ(Run(Env("ADD"), ThreeNets("0.4.0")).exit_code, 0);
  executor_.Clear();
  // The admin has since changed the config: DEL must still undo what ADD did.
  Output output = Run(Env("DEL"), Config({Delegate("changed", "other")}, "0.4.0"));
  ASSERT_EQ(output.exit_code, 0) << output.out;
  EXPECT_EQ(output.out, "");
  EXPECT_EQ(Calls(),
            (std::vector<std::string>{"DEL ipvlan net2", "DEL macvlan net1", "DEL bridge eth0"}));
  for (const ExecRequest& r : executor_.requests()) {
    EXPECT_TRUE(json::parse(r.stdin_data).contains("prevResult")) << r.stdin_data;
  }
  EXPECT_FALSE(Exists(Scratch()));
  EXPECT_FALSE(Exists(ResultCache("net1", "eth0")));
}

TEST_F(AppTest, DelTwiceSucceeds) {
  ASSERT_EQ(Run(Env("ADD"), ThreeNets()).exit_code, 0);
  Output first = Run(Env("DEL"), ThreeNets());
  Output second = Run(Env("DEL"), ThreeNets());
  EXPECT_EQ(first.exit_code, 0) << first.out;
  EXPECT_EQ(second.exit_code, 0) << second.out;
  EXPECT_EQ(second.out, "");
  EXPECT_FALSE(Exists(Scratch()));
}

TEST_F(AppTest, DelWithoutCacheFallsBackToTheStaticConfig) {
  EnvMap env = Env("DEL", "never-added");
  env.erase("CNI_NETNS");  // the sandbox is already gone
  Output output = Run(env, ThreeNets());
  ASSERT_EQ(output.exit_code, 0) << output.out;
  EXPECT_EQ(Calls(),
            (std::vector<std::string>{"DEL ipvlan net2", "DEL macvlan net1", "DEL bridge eth0"}));
  for (const ExecRequest& r : executor_.requests()) {
    EXPECT_EQ(EnvValue(r, "CNI_CONTAINERID"), "never-added");
    EXPECT_EQ(EnvValue(r, "CNI_NETNS"), "");
  }
}

TEST_F(AppTest, DelWithAVanishedNetnsGivesPluginsAnEmptyNetns) {
  ASSERT_EQ(Run(Env("ADD"), ThreeNets()).exit_code, 0);
  pod_netns_.Remove(netns_);
  executor_.Clear();
  ASSERT_EQ(Run(Env("DEL"), ThreeNets()).exit_code, 0);
  ASSERT_EQ(executor_.requests().size(), 3u);
  for (const ExecRequest& r : executor_.requests()) EXPECT_EQ(EnvValue(r, "CNI_NETNS"), "");
}

TEST_F(AppTest, DelFailureReportsEveryErrorAndStillTriesEveryNetwork) {
  ASSERT_EQ(Run(Env("ADD"), ThreeNets()).exit_code, 0);
  executor_.Clear();
  executor_.SetHandler([](const ExecRequest& r) -> Result<ExecOutcome> {
    if (PluginName(r) == "macvlan")
      return ExecOutcome{1, false, R"({"code":5,"msg":"m broke"})", ""};
    if (PluginName(r) == "bridge") return ExecOutcome{1, false, "", "b broke"};
    return ExecOutcome{0, false, "", ""};
  });
  Output output = Run(Env("DEL"), ThreeNets());
  ExpectError(output, 5, "errors: ", "0.3.1");
  std::string msg = output.Json()["msg"];
  EXPECT_NE(msg.find("m broke"), std::string::npos) << msg;
  EXPECT_NE(msg.find("b broke"), std::string::npos) << msg;
  EXPECT_EQ(Calls(),
            (std::vector<std::string>{"DEL ipvlan net2", "DEL macvlan net1", "DEL bridge eth0"}));
  EXPECT_TRUE(Exists(Scratch()));  // kept, with the failures counted, for the retries
}

TEST_F(AppTest, RetryDeleteOnErrorKeepsThePlanWhenDelFails) {
  const std::string config = ThreeNets("0.3.1", R"("retryDeleteOnError":true)");
  ASSERT_EQ(Run(Env("ADD"), config).exit_code, 0);
  executor_.PushFailure(1, R"({"code":11,"msg":"later"})");
  Output output = Run(Env("DEL"), config);
  ExpectError(output, 11, "later", "0.3.1");
  EXPECT_TRUE(Exists(Scratch()));
  ASSERT_EQ(Run(Env("DEL"), config).exit_code, 0);
  EXPECT_FALSE(Exists(Scratch()));
}

TEST_F(AppTest, CorruptCacheIsReportedAndKept) {
  test::WriteFile(Scratch(), "{ this is not a plan", 0600);
  for (const char* command : {"DEL", "CHECK"}) {
    Output output = Run(Env(command), ThreeNets("0.4.0"));
    ExpectError(output, code::kCorruptCache, "[ns/pod/uid]", "0.4.0");
    EXPECT_EQ(test::ReadFile(Scratch()), "{ this is not a plan") << command;
  }
  EXPECT_TRUE(executor_.requests().empty());
}

TEST_F(AppTest, CheckChecksEveryCachedNetwork) {
  ASSERT_EQ(Run(Env("ADD"), ThreeNets("1.0.0")).exit_code, 0);
  executor_.Clear();
  Output output = Run(Env("CHECK"), ThreeNets("1.0.0"));
  ASSERT_EQ(output.exit_code, 0) << output.out;
  EXPECT_EQ(output.out, "");
  EXPECT_EQ(Calls(), (std::vector<std::string>{"CHECK bridge eth0", "CHECK macvlan net1",
                                               "CHECK ipvlan net2"}));
  for (const ExecRequest& r : executor_.requests()) {
    EXPECT_TRUE(json::parse(r.stdin_data).contains("prevResult"));
  }
}

TEST_F(AppTest, CheckWithoutAddIsUnknownContainer) {
  Output output = Run(Env("CHECK"), ThreeNets("1.0.0"));
  ExpectError(output, code::kUnknownContainer, "no multus cache for container cid1", "1.0.0");
  EXPECT_TRUE(executor_.requests().empty());
}

TEST_F(AppTest, CheckFailureNamesTheNetwork) {
  ASSERT_EQ(Run(Env("ADD"), ThreeNets("1.0.0")).exit_code, 0);
  executor_.Clear();
  executor_.SetHandler([](const ExecRequest& r) -> Result<ExecOutcome> {
    if (PluginName(r) == "macvlan")
      return ExecOutcome{1, false, R"({"code":3,"msg":"link gone"})", ""};
    return ExecOutcome{0, false, "", ""};
  });
  Output output = Run(Env("CHECK"), ThreeNets("1.0.0"));
  ExpectError(output, 3, "network \"net2\" interface net1", "1.0.0");
}

TEST_F(AppTest, AddWaitsForTheReadinessFile) {
  const std::string ready = root_ / "ready/flannel";
  clock_.OnSleep([&] {
    if (clock_.slept().size() == 2) test::WriteFile(ready, "");
  });
  Output output =
      Run(Env("ADD"), ThreeNets("0.3.1", R"("readinessindicatorfile":")" + ready + "\""));
  ASSERT_EQ(output.exit_code, 0) << output.out;
  EXPECT_EQ(clock_.slept(), (std::vector<std::chrono::milliseconds>(2, std::chrono::milliseconds(1000))));
  EXPECT_EQ(executor_.requests().size(), 3u);
}

TEST_F(AppTest, AddGivesUpOnTheReadinessFileWithTryAgainLater) {
  const std::string ready = root_ / "never";
  Output output =
      Run(Env("ADD"), ThreeNets("0.3.1", R"("readinessindicatorfile":")" + ready + "\""));
  ExpectError(output, code::kTryAgainLater, "still waiting for readinessindicatorfile @ " + ready,
              "0.3.1");
  EXPECT_EQ(clock_.slept().size(), 3u);  // 3 s timeout, 1 s poll
  EXPECT_TRUE(executor_.requests().empty());
  EXPECT_FALSE(Exists(Scratch()));
}

TEST_F(AppTest, DelDoesNotWaitForTheReadinessFile) {
  const std::string config =
      ThreeNets("0.3.1", R"("readinessindicatorfile":")" + (root_ / "never") + "\"");
  Output output = Run(Env("DEL"), config);
  EXPECT_EQ(output.exit_code, 0) << output.out;
  EXPECT_TRUE(clock_.slept().empty());
  EXPECT_EQ(executor_.requests().size(), 3u);
}

TEST_F(AppTest, StatusAsksTheClusterNetworkOnly) {
  const std::string config =
      Config({Delegate("net1", "bridge", "1.1.0"), Delegate("net2", "macvlan", "1.1.0")}, "1.1.0");
  Output output = Run(Env("STATUS"), config);
  ASSERT_EQ(output.exit_code, 0) << output.out;
  ASSERT_EQ(executor_.requests().size(), 1u);
  EXPECT_EQ(EnvValue(executor_.requests()[0], "CNI_COMMAND"), "STATUS");
  EXPECT_EQ(PluginName(executor_.requests()[0]), "bridge");

  executor_.PushFailure(1, R"({"code":50,"msg":"not ready"})");
  output = Run(Env("STATUS"), config);
  ExpectError(output, code::kPluginNotAvailable, "not ready", "1.1.0");
}

TEST_F(AppTest, GcDeletesContainersTheRuntimeNoLongerKnows) {
  const std::string base =
      Config({Delegate("net1", "bridge", "1.1.0"), Delegate("net2", "macvlan", "1.1.0")}, "1.1.0");
  ASSERT_EQ(Run(Env("ADD", "stale"), base).exit_code, 0);
  ASSERT_EQ(Run(Env("ADD", "live"), base).exit_code, 0);
  executor_.Clear();
  const std::string gc =
      Config({Delegate("net1", "bridge", "1.1.0"), Delegate("net2", "macvlan", "1.1.0")}, "1.1.0",
             R"("cni.dev/valid-attachments":[{"containerID":"live","ifname":"eth0"},)"
             R"({"containerID":"live","ifname":"net1"}])");
  EnvMap env = {{"CNI_COMMAND", "GC"}, {"CNI_PATH", "/nonexistent/cni"}};
  Output output = Run(env, gc);
  ASSERT_EQ(output.exit_code, 0) << output.out;
  std::vector<std::string> dels;
  for (const ExecRequest& r : executor_.requests()) {
    if (EnvValue(r, "CNI_COMMAND") == "DEL") {
      EXPECT_EQ(EnvValue(r, "CNI_CONTAINERID"), "stale");
      dels.push_back(PluginName(r) + " " + EnvValue(r, "CNI_IFNAME"));
    }
  }
  EXPECT_EQ(dels, (std::vector<std::string>{"macvlan net1", "bridge eth0"}));
  ASSERT_FALSE(executor_.requests().empty());
  const ExecRequest& last = executor_.requests().back();
  EXPECT_EQ(EnvValue(last, "CNI_COMMAND"), "GC");
  EXPECT_EQ(PluginName(last), "bridge");
  EXPECT_FALSE(Exists(Scratch("stale")));
  EXPECT_TRUE(Exists(Scratch("live")));
}

TEST(ErrorJsonTest, HasTheFourCniErrorMembersIndentedWithANewline) {
  std::string text = ErrorJson(Status(7, "bad \"config\"", "fix it"), "0.4.0");
  EXPECT_EQ(json::parse(text), json({{"cniVersion", "0.4.0"},
                                     {"code", 7},
                                     {"msg", "bad \"config\""},
                                     {"details", "fix it"}}));
  EXPECT_EQ(text.rfind("{\n    \"", 0), 0u) << text;
  EXPECT_EQ(text.back(), '\n');
  // Invalid UTF-8 in a plugin's message must not make the error itself unprintable.
  std::string bad = ErrorJson(Status(100, std::string("bad \xff byte")), "1.0.0");
  EXPECT_EQ(json::parse(bad)["code"], 100);
}

}  // namespace
}  // namespace multus
