#include "multus/delegate_runner.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "multus/cache.h"
#include "testing/fake_executor.h"
#include "testing/temp_dir.h"

namespace multus {
namespace {

using nlohmann::json;
using test::EnvCount;
using test::EnvValue;
using test::FakeExecutor;
using test::PluginName;
using test::TempDir;

TEST(ComposeCniArgsTest, IgnoreUnknownFirstThenPodKeysOnceThenTheRest) {
  struct Case {
    KeyValues runtime;
    KeyValues expected;
  };
  const Case cases[] = {
      {{}, {{"IgnoreUnknown", "1"}}},
      {{{"K8S_POD_NAME", "p"}, {"K8S_POD_NAMESPACE", "ns"}},
       {{"IgnoreUnknown", "1"}, {"K8S_POD_NAMESPACE", "ns"}, {"K8S_POD_NAME", "p"}}},
      {{{"IgnoreUnknown", "0"},
        {"K8S_POD_UID", "u"},
        {"Foo", "1"},
        {"K8S_POD_NAME", "p"},
        {"K8S_POD_NAME", "dup"},
        {"K8S_POD_INFRA_CONTAINER_ID", "c"},
        {"Foo", "2"},
        {"K8S_POD_NAMESPACE", "ns"},
        {"IgnoreUnknown", "1"},
        {"Bar", ""}},
       {{"IgnoreUnknown", "1"},
        {"K8S_POD_NAMESPACE", "ns"},
        {"K8S_POD_NAME", "p"},
        {"K8S_POD_INFRA_CONTAINER_ID", "c"},
        {"K8S_POD_UID", "u"},
        {"Foo", "1"},
        {"Bar", ""}}},
  };
  for (const Case& c : cases) EXPECT_EQ(ComposeCniArgs(c.runtime), c.expected);
}

const char kConf[] =
    R"({"cniVersion":"1.0.0","name":"br","type":"bridge","big":12345678901234567890})";
const char kList[] =
    R"({"cniVersion":"1.0.0","name":"chain","plugins":[{"type":"bridge"},{"type":"tuning"},{"type":"portmap","capabilities":{"portMappings":true}}]})";

class DelegateRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* plugin : {"bridge", "tuning", "portmap"}) test::WriteExecutable(bin_ / plugin);
  }

  Invocation MakeInvocation() {
    Invocation invocation;
    invocation.container_id = "cid1";
    invocation.netns = "/var/run/netns/pod";
    invocation.search_path = {bin_.path(), "/opt/other"};
    invocation.cni_args = ComposeCniArgs({{"K8S_POD_NAMESPACE", "ns"}, {"K8S_POD_NAME", "pod"}});
    invocation.base_env = {{"PATH", "/usr/bin:/bin"},  {"HOME", "/root"},
                           {"CNI_COMMAND", "VERSION"}, {"CNI_CONTAINERID", "stale"},
                           {"CNI_NETNS", "/stale"},    {"CNI_IFNAME", "stale0"},
                           {"CNI_PATH", "/stale/bin"}, {"CNI_ARGS", "Stale=1"}};
    invocation.cni_dir = cni_dir_.path();
    invocation.timeout = std::chrono::milliseconds(1234);
    return invocation;
  }

  PlannedDelegate Delegate(const std::string& config, const std::string& ifname = "net1") {
    PlannedDelegate delegate;
    delegate.display_name = "display";
    delegate.LoadConfig(config);
    delegate.ifname = ifname;
    return delegate;
  }

  std::string CachePath(const std::string& network, const std::string& ifname = "net1") {
    return ResultCachePath(cni_dir_.path(), network, "cid1", ifname);
  }

  // Commands and plugin names of every request, e.g. "ADD bridge".
  std::vector<std::string> Calls() const {
    std::vector<std::string> calls;
    for (const ExecRequest& request : executor_.requests()) {
      calls.push_back(EnvValue(request, "CNI_COMMAND") + " " + PluginName(request));
    }
    return calls;
  }

  TempDir bin_;
  TempDir cni_dir_;
  FakeExecutor executor_;
};

const char kResult1[] = R"({"cniVersion":"1.0.0","ips":[{"address":"10.1.0.2/24"}]})";
const char kResult2[] =
    R"({"cniVersion":"1.0.0","interfaces":[{"name":"net1"}],"ips":[{"address":"10.1.0.2/24","interface":0}]})";

TEST_F(DelegateRunnerTest, AddRunsTheConfWithTheCniEnvironment) {
  executor_.PushSuccess(kResult1);
  DelegateRunner runner(executor_, MakeInvocation());
  Result<DelegateResult> result = runner.Add(Delegate(kConf));
  ASSERT_TRUE(result.ok()) << result.status().msg();
  EXPECT_EQ(result->original, json::parse(kResult1));

  ASSERT_EQ(executor_.requests().size(), 1u);
  const ExecRequest& request = executor_.requests()[0];
  EXPECT_EQ(request.path, bin_ / "bridge");
  EXPECT_EQ(request.timeout, std::chrono::milliseconds(1234));
  EXPECT_EQ(request.stdin_data, kConf);  // name and cniVersion replaced by the same values
  const std::vector<std::string> expected_env = {
      "HOME=/root",
      "PATH=/usr/bin:/bin",
      "CNI_COMMAND=ADD",
      "CNI_CONTAINERID=cid1",
      "CNI_NETNS=/var/run/netns/pod",
      "CNI_IFNAME=net1",
      "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=pod",
      "CNI_PATH=" + bin_.path() + ":/opt/other",
  };
  EXPECT_EQ(request.env, expected_env);
}

TEST_F(DelegateRunnerTest, EveryCniVariableAppearsExactlyOnce) {
  executor_.SetHandler(FakeExecutor::LikePlugin());
  DelegateRunner runner(executor_, MakeInvocation());
  PlannedDelegate delegate = Delegate(kList);
  ASSERT_TRUE(runner.Add(delegate).ok());
  ASSERT_TRUE(runner.Check(delegate).ok());
  ASSERT_TRUE(runner.Del(delegate).ok());
  ASSERT_EQ(executor_.requests().size(), 9u);
  for (const ExecRequest& request : executor_.requests()) {
    for (const char* key : {"CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH",
                            "CNI_ARGS", "PATH"}) {
      EXPECT_EQ(EnvCount(request, key), 1) << key;
    }
    EXPECT_EQ(EnvValue(request, "CNI_CONTAINERID"), "cid1");
    EXPECT_EQ(EnvValue(request, "CNI_IFNAME"), "net1");
    EXPECT_EQ(EnvValue(request, "CNI_ARGS"),
              "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=pod");
  }
}

TEST_F(DelegateRunnerTest, AddSendsThePerNetworkCniArgsOnlyOnAdd) {
  executor_.SetHandler(FakeExecutor::LikePlugin());
  DelegateRunner runner(executor_, MakeInvocation());
  PlannedDelegate delegate = Delegate(kConf);
  delegate.add_cni_args = {{"MAC", "c2:b0:57:49:47:f1"}, {"IP", "10.2.0.9/24"}};
  ASSERT_TRUE(runner.Add(delegate).ok());
  ASSERT_TRUE(runner.Del(delegate).ok());
  EXPECT_EQ(
      EnvValue(executor_.requests()[0], "CNI_ARGS"),
      "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=pod;MAC=c2:b0:57:49:47:f1;IP=10.2.0.9/24");
  EXPECT_EQ(EnvValue(executor_.requests()[1], "CNI_ARGS"),
            "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=pod");
}

TEST_F(DelegateRunnerTest, AddChainsAConflistAndCachesTheFinalResult) {
  const std::string r3 =
      R"({"cniVersion":"1.0.0","interfaces":[{"name":"net1"}],"ips":[{"address":"10.1.0.2/24","interface":0}],"dns":{}})";
  executor_.PushSuccess(kResult1);
  executor_.PushSuccess(kResult2);
  executor_.PushSuccess(r3);
  DelegateRunner runner(executor_, MakeInvocation());
  PlannedDelegate delegate = Delegate(kList);
  delegate.capability_args =
      R"({"portMappings":[{"hostPort":8080,"containerPort":80}],"ips":["1.2.3.4/24"]})";
  Result<DelegateResult> result = runner.Add(delegate);
  ASSERT_TRUE(result.ok()) << result.status().msg();
  EXPECT_EQ(result->original, json::parse(r3));

  EXPECT_EQ(Calls(), (std::vector<std::string>{"ADD bridge", "ADD tuning", "ADD portmap"}));
  std::vector<json> stdins;
  for (const ExecRequest& request : executor_.requests())
    stdins.push_back(json::parse(request.stdin_data));
  EXPECT_EQ(executor_.requests()[0].stdin_data,
            R"({"type":"bridge","name":"chain","cniVersion":"1.0.0"})");
  EXPECT_EQ(stdins[1]["prevResult"], json::parse(kResult1));
  EXPECT_EQ(stdins[2]["prevResult"], json::parse(kResult2));
  EXPECT_FALSE(stdins[1].contains("runtimeConfig"));
  EXPECT_EQ(stdins[2]["runtimeConfig"],
            json::parse(R"({"portMappings":[{"hostPort":8080,"containerPort":80}]})"));

  std::string cache = test::ReadFile(CachePath("chain"));
  Result<CachedResult> cached = ParseCachedResult(cache);
  ASSERT_TRUE(cached.ok()) << cache;
  EXPECT_EQ(json::parse(cached->result), json::parse(r3));
  EXPECT_EQ(cached->config, kList);
  EXPECT_EQ(cached->ifname, "net1");
  EXPECT_EQ(cached->container_id, "cid1");
  EXPECT_EQ(cached->network_name, "chain");
}

TEST_F(DelegateRunnerTest, AddKeepsThePluginsOwnErrorCode) {
  struct Case {
    ExecOutcome outcome;
    int code;
    std::string message;  // full
    std::string details;
  };
  const Case cases[] = {
      {{1, false, R"({"cniVersion":"1.0.0","code":11,"msg":"try later","details":"busy"})",
        "noise"},
       11,
       "plugin type=\"bridge\" name=\"br\" failed (add): try later",
       "busy"},
      {{1, false, R"({"code":7,"msg":"bad config"})", ""},
       7,
       "plugin type=\"bridge\" name=\"br\" failed (add): bad config",
       ""},
      {{1, false, "", "could not allocate IP\n"},
       code::kDelegateFailed,
       "plugin type=\"bridge\" name=\"br\" failed (add): netplugin failed: \"could not allocate "
       "IP\"",
       ""},
      {{1, false, "plain text on stdout", ""},
       code::kDelegateFailed,
       "plugin type=\"bridge\" name=\"br\" failed (add): netplugin failed: \"plain text on "
       "stdout\"",
       ""},
      {{2, false, "", ""},
       code::kDelegateFailed,
       "plugin type=\"bridge\" name=\"br\" failed (add): netplugin failed with no error message: "
       "exit status 2",
       ""},
      {{-1, true, "", ""},
       code::kTryAgainLater,
       "plugin type=\"bridge\" name=\"br\" failed (add): plugin \"bridge\" did not finish within "
       "1s and was killed",
       ""},
  };
  for (const Case& c : cases) {
    FakeExecutor executor;
    executor.Push(c.outcome);
    DelegateRunner runner(executor, MakeInvocation());
    Result<DelegateResult> result = runner.Add(Delegate(kConf));
    ASSERT_FALSE(result.ok()) << c.message;
    EXPECT_EQ(result.status().code(), c.code) << c.message;
    EXPECT_EQ(result.status().msg(), c.message);
    EXPECT_EQ(result.status().details(), c.details);
    EXPECT_FALSE(test::Exists(CachePath("br")));
  }
}

// libcni turns any non-zero exit into an error, whatever "code" the plugin printed; a
// printed code 0 must not make a failed plugin look like a success.
TEST_F(DelegateRunnerTest, APluginExitingNonZeroFailsEvenWithErrorCodeZero) {
  executor_.PushFailure(1, R"({"code":0,"msg":"weird plugin"})");
  DelegateRunner runner(executor_, MakeInvocation());
  Result<DelegateResult> added = runner.Add(Delegate(kConf));
  ASSERT_FALSE(added.ok());
  EXPECT_NE(added.status().code(), code::kOk) << added.status().msg();
  EXPECT_NE(added.status().msg().find("weird plugin"), std::string::npos);

  executor_.SetHandler(FakeExecutor::LikePlugin());
  ASSERT_TRUE(runner.Add(Delegate(kConf)).ok());
  executor_.PushFailure(1, R"({"code":0,"msg":"weird plugin"})");
  Status deleted = runner.Del(Delegate(kConf));
  EXPECT_FALSE(deleted.ok()) << "a failed DEL was reported as success";
  EXPECT_TRUE(test::Exists(CachePath("br"))) << "the result cache was removed after a failed DEL";
}

TEST_F(DelegateRunnerTest, AddFailsWhenThePluginCannotStartOrAnswersGarbage) {
  executor_.Push(Status::IoFailure("fork failed"));
  DelegateRunner runner(executor_, MakeInvocation());
  Result<DelegateResult> result = runner.Add(Delegate(kConf));
  EXPECT_EQ(result.status().code(), code::kIoFailure);
  EXPECT_EQ(result.status().msg(), "plugin type=\"bridge\" name=\"br\" failed (add): fork failed");

  executor_.PushSuccess("not json");
  result = runner.Add(Delegate(kConf));
  EXPECT_EQ(result.status().code(), code::kDecode);
  EXPECT_EQ(result.status().msg().rfind("plugin type=\"bridge\" returned a bad result", 0), 0u)
      << result.status().msg();
  EXPECT_FALSE(test::Exists(CachePath("br")));
}

TEST_F(DelegateRunnerTest, AddStopsAtTheFirstFailingPluginOfAChain) {
  executor_.PushSuccess(kResult1);
  executor_.PushFailure(1, R"({"code":4,"msg":"no such link"})");
  DelegateRunner runner(executor_, MakeInvocation());
  Result<DelegateResult> result = runner.Add(Delegate(kList));
  EXPECT_EQ(result.status().code(), 4);
  EXPECT_EQ(Calls(), (std::vector<std::string>{"ADD bridge", "ADD tuning"}));
  EXPECT_FALSE(test::Exists(CachePath("chain")));
}

// ValidatePlan found it already in this call: run from there, without searching again.
TEST_F(DelegateRunnerTest, AddRunsAPluginFoundEarlierInTheCallFromWhereItWasFound) {
  TempDir elsewhere;
  test::WriteExecutable(elsewhere / "macvlan");
  executor_.PushSuccess(kResult1);
  Invocation invocation = MakeInvocation();
  invocation.found_plugins = {{"macvlan", elsewhere / "macvlan"}};
  DelegateRunner runner(executor_, std::move(invocation));
  ASSERT_TRUE(runner.Add(Delegate(R"({"cniVersion":"1.0.0","name":"m","type":"macvlan"})")).ok());
  ASSERT_EQ(executor_.requests().size(), 1u);
  EXPECT_EQ(executor_.requests()[0].path, elsewhere / "macvlan");
}

TEST_F(DelegateRunnerTest, AddRefusesAPluginMissingFromTheSearchPath) {
  DelegateRunner runner(executor_, MakeInvocation());
  Result<DelegateResult> result =
      runner.Add(Delegate(R"({"cniVersion":"1.0.0","name":"m","type":"macvlan"})"));
  EXPECT_EQ(result.status().code(), code::kInvalidConfig);
  EXPECT_NE(result.status().msg().find("failed to find plugin \"macvlan\""), std::string::npos);
  EXPECT_TRUE(executor_.requests().empty());
}

TEST_F(DelegateRunnerTest, DelRunsPluginsInReverseWithTheCachedResultAndRemovesTheCache) {
  executor_.SetHandler(FakeExecutor::LikePlugin());
  DelegateRunner runner(executor_, MakeInvocation());
  PlannedDelegate delegate = Delegate(kList);
  Result<DelegateResult> added = runner.Add(delegate);
  ASSERT_TRUE(added.ok());
  ASSERT_TRUE(test::Exists(CachePath("chain")));
  executor_.Clear();

  ASSERT_TRUE(runner.Del(delegate).ok());
  EXPECT_EQ(Calls(), (std::vector<std::string>{"DEL portmap", "DEL tuning", "DEL bridge"}));
  for (const ExecRequest& request : executor_.requests()) {
    EXPECT_EQ(json::parse(request.stdin_data)["prevResult"], added->original);
  }
  EXPECT_FALSE(test::Exists(CachePath("chain")));

  // Idempotent: a second DEL has no cache, hence no prevResult, and still succeeds.
  executor_.Clear();
  ASSERT_TRUE(runner.Del(delegate).ok());
  ASSERT_EQ(executor_.requests().size(), 3u);
  for (const ExecRequest& request : executor_.requests()) {
    EXPECT_FALSE(json::parse(request.stdin_data).contains("prevResult"));
  }
}

TEST_F(DelegateRunnerTest, DelSendsNoPrevResultBelowZeroFourZero) {
  const std::string conf = R"({"cniVersion":"0.3.1","name":"old","type":"bridge"})";
  executor_.SetHandler(FakeExecutor::LikePlugin());
  DelegateRunner runner(executor_, MakeInvocation());
  ASSERT_TRUE(runner.Add(Delegate(conf)).ok());
  ASSERT_TRUE(test::Exists(CachePath("old")));
  ASSERT_TRUE(runner.Del(Delegate(conf)).ok());
  ASSERT_EQ(executor_.requests().size(), 2u);
  EXPECT_EQ(executor_.requests()[1].stdin_data, conf);
  EXPECT_FALSE(test::Exists(CachePath("old")));
}

TEST_F(DelegateRunnerTest, DelFailureKeepsTheCache) {
  executor_.SetHandler(FakeExecutor::LikePlugin());
  DelegateRunner runner(executor_, MakeInvocation());
  ASSERT_TRUE(runner.Add(Delegate(kConf)).ok());
  executor_.PushFailure(1, R"({"code":5,"msg":"io"})");
  Status deleted = runner.Del(Delegate(kConf));
  EXPECT_EQ(deleted.code(), code::kIoFailure);
  EXPECT_EQ(deleted.msg(), "plugin type=\"bridge\" name=\"br\" failed (del): io");
  EXPECT_TRUE(test::Exists(CachePath("br")));
}

TEST_F(DelegateRunnerTest, CheckRunsPluginsInOrderWithTheCachedResult) {
  executor_.SetHandler(FakeExecutor::LikePlugin());
  DelegateRunner runner(executor_, MakeInvocation());
  PlannedDelegate delegate = Delegate(kList);
  Result<DelegateResult> added = runner.Add(delegate);
  ASSERT_TRUE(added.ok());
  executor_.Clear();
  ASSERT_TRUE(runner.Check(delegate).ok());
  EXPECT_EQ(Calls(), (std::vector<std::string>{"CHECK bridge", "CHECK tuning", "CHECK portmap"}));
  for (const ExecRequest& request : executor_.requests()) {
    EXPECT_EQ(json::parse(request.stdin_data)["prevResult"], added->original);
  }
  executor_.Clear();
  executor_.PushFailure(1, R"({"code":3,"msg":"missing"})");
  EXPECT_EQ(runner.Check(delegate).code(), 3);
}

TEST_F(DelegateRunnerTest, CheckIsSkippedBelowZeroFourZeroAndWithDisableCheck) {
  const std::string configs[] = {
      R"({"cniVersion":"0.3.1","name":"old","type":"bridge"})",
      R"({"name":"ancient","type":"bridge"})",
      R"({"cniVersion":"1.0.0","name":"nocheck","disableCheck":true,"plugins":[{"type":"bridge"}]})",
  };
  DelegateRunner runner(executor_, MakeInvocation());
  for (const std::string& config : configs) {
    EXPECT_TRUE(runner.Check(Delegate(config)).ok()) << config;
  }
  EXPECT_TRUE(executor_.requests().empty());
}

TEST_F(DelegateRunnerTest, CheckWithoutACachedResultIsUnknownContainer) {
  DelegateRunner runner(executor_, MakeInvocation());
  Status checked = runner.Check(Delegate(kConf));
  EXPECT_EQ(checked.code(), code::kUnknownContainer);
  EXPECT_EQ(checked.msg(), "no cached result for network \"br\" interface net1");
  EXPECT_TRUE(executor_.requests().empty());
}

TEST_F(DelegateRunnerTest, StatusAsksOnlyOneOneZeroPlugins) {
  DelegateRunner runner(executor_, MakeInvocation());
  EXPECT_TRUE(runner.PluginStatus(Delegate(kConf)).ok());
  EXPECT_TRUE(executor_.requests().empty());
  const std::string conf =
      R"({"cniVersion":"1.1.0","name":"new","plugins":[{"type":"bridge"},{"type":"tuning"}]})";
  executor_.PushSuccess("");
  executor_.PushFailure(1, R"({"code":50,"msg":"not available"})");
  Status status = runner.PluginStatus(Delegate(conf));
  EXPECT_EQ(status.code(), code::kPluginNotAvailable);
  EXPECT_EQ(Calls(), (std::vector<std::string>{"STATUS bridge", "STATUS tuning"}));
  EXPECT_EQ(EnvCount(executor_.requests()[0], "CNI_CONTAINERID"), 0);
  EXPECT_EQ(EnvCount(executor_.requests()[0], "CNI_IFNAME"), 0);
}

TEST_F(DelegateRunnerTest, GcPassesValidAttachmentsToEveryPlugin) {
  const std::string conf =
      R"({"cniVersion":"1.1.0","name":"new","plugins":[{"type":"bridge"},{"type":"tuning"}]})";
  const std::string valid = R"([{"containerID":"c1","ifname":"eth0"}])";
  executor_.PushFailure(1, R"({"code":11,"msg":"later"})");  // GC continues past errors
  DelegateRunner runner(executor_, MakeInvocation());
  Status status = runner.Gc(Delegate(conf), valid);
  EXPECT_EQ(status.code(), 11);
  EXPECT_EQ(Calls(), (std::vector<std::string>{"GC bridge", "GC tuning"}));
  for (const ExecRequest& request : executor_.requests()) {
    json in = json::parse(request.stdin_data);
    EXPECT_EQ(in["cni.dev/valid-attachments"], json::parse(valid));
    EXPECT_EQ(EnvCount(request, "CNI_ARGS"), 0);
    EXPECT_EQ(EnvCount(request, "CNI_NETNS"), 0);
    EXPECT_EQ(EnvValue(request, "CNI_PATH"), bin_.path() + ":/opt/other");
  }
  executor_.Clear();
  EXPECT_TRUE(runner.Gc(Delegate(kConf), valid).ok());  // 1.0.0: no GC
  EXPECT_TRUE(
      runner
          .Gc(Delegate(
                  R"({"cniVersion":"1.1.0","name":"n","disableGC":true,"plugins":[{"type":"bridge"}]})"),
              valid)
          .ok());
  EXPECT_TRUE(executor_.requests().empty());
}

}  // namespace
}  // namespace multus
