// RunShim with a fake daemon and a fake clock: the exact request, the result conversion, error
// propagation, the bounded readiness wait, and DEL when the daemon is down.
#include "shim.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "multus/base64.h"
#include "shim_log.h"
#include "testing/fake_daemon.h"
#include "testing/temp_dir.h"

namespace multus::shim {
namespace {

using ::multus::test::FakeDaemon;
using multus::test::TempDir;
using multus::test::WriteFile;
using nlohmann::json;
using std::chrono::milliseconds;

constexpr char kContainer[] = "0123456789abcdef";

class RecordingLogger : public Logger {
 public:
  void Configure(const LogSettings& settings) override { settings_ = settings; }
  void Write(LogLevel level, std::string_view message) override {
    if (level <= settings_.level) lines.emplace_back(message);
  }
  bool Has(std::string_view part) const {
    for (const std::string& line : lines) {
      if (line.find(part) != std::string::npos) return true;
    }
    return false;
  }
  std::vector<std::string> lines;

 private:
  LogSettings settings_;
};

struct Output {
  int exit_code = -1;
  std::string out;
  std::string err;
  json Json() const { return json::parse(out); }
};

class ShimTest : public ::testing::Test {
 protected:
  ShimTest() {
    deps_.client = &daemon_;
    deps_.log = &log_;
    deps_.now = [this] { return now_; };
    deps_.sleep = [this](milliseconds d) {
      now_ += d;
      slept_ += d;
    };
  }

  std::map<std::string, std::string> Env(const std::string& command) {
    return {{"CNI_COMMAND", command},
            {"CNI_CONTAINERID", kContainer},
            {"CNI_NETNS", "/var/run/netns/pod"},
            {"CNI_IFNAME", "eth0"},
            {"CNI_PATH", "/opt/cni/bin"},
            {"CNI_ARGS", "K8S_POD_NAME=p;K8S_POD_NAMESPACE=ns"},
            {"PATH", "/usr/bin"}};
  }

  std::string Conf(const std::string& extra = "") {
    return R"({"cniVersion":"1.0.0","name":"multus-cni-network","type":"multus-shim",)"
           R"("cniDir":")" +
           dir_.path() + "\"" + extra + "}";
  }

  Output Run(const std::string& command, const std::string& conf) {
    return RunWith(Env(command), conf);
  }
  Output RunWith(const std::map<std::string, std::string>& env, const std::string& conf) {
    Output o;
    o.exit_code = RunShim({"multus-shim"}, env, conf, o.out, o.err, deps_);
    return o;
  }

  static UnixHttpReply Reply(int status, std::string body) {
    return UnixHttpReply{status, std::move(body)};
  }

  TempDir dir_;
  FakeDaemon daemon_;
  RecordingLogger log_;
  ShimDeps deps_;
  std::chrono::steady_clock::time_point now_{};
  milliseconds slept_{0};
};

constexpr char kResult100[] = R"({"cniVersion":"1.0.0",
  "interfaces":[{"name":"eth0","mac":"0a:58:0a:f4:00:05","sandbox":"/var/run/netns/pod"}],
  "ips":[{"interface":0,"address":"10.244.0.5/24","gateway":"10.244.0.1"}],
  "routes":[{"dst":"0.0.0.0/0"}],"dns":{}})";

TEST_F(ShimTest, AddPostsTheWholeEnvAndTheBase64ConfigToCni) {
  daemon_.On("/cni", [](const UnixHttpRequest&) {
    return Reply(200, std::string(R"({"Result":)") + kResult100 + "}");
  });
  const std::string conf = Conf();
  Output o = Run("ADD", conf);
  ASSERT_EQ(o.exit_code, 0) << o.out;
  ASSERT_EQ(daemon_.requests.size(), 2u);
  EXPECT_EQ(daemon_.requests[0].method, "GET");
  EXPECT_EQ(daemon_.requests[0].path, "/readyz");
  const UnixHttpRequest& cni = daemon_.requests[1];
  EXPECT_EQ(cni.socket_path, "/run/multus/multus.sock");
  EXPECT_EQ(cni.method, "POST");
  EXPECT_EQ(cni.path, "/cni");
  EXPECT_EQ(cni.timeout, std::chrono::seconds(300));
  json body = json::parse(cni.body);
  EXPECT_EQ(body.size(), 2u);
  EXPECT_EQ(body["env"], json(Env("ADD")));
  EXPECT_EQ(body["config"], Base64Encode(conf));
}

TEST_F(ShimTest, AddPrintsTheResultConvertedToTheConfigVersion) {
  daemon_.On("/cni", [](const UnixHttpRequest&) {
    return Reply(200, std::string(R"({"Result":)") + kResult100 + "}");
  });
  Output o = Run("ADD", R"({"cniVersion":"0.3.1","cniDir":")" + dir_.path() + "\"}");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  json result = o.Json();
  EXPECT_EQ(result["cniVersion"], "0.3.1");
  EXPECT_EQ(result["ips"][0]["version"], "4");
  EXPECT_EQ(result["ips"][0]["address"], "10.244.0.5/24");
  // 4-space indentation, as the Go library prints.
  EXPECT_NE(o.out.find("\n    \"cniVersion\""), std::string::npos) << o.out;
}

TEST_F(ShimTest, AddKeepsTheResultVersionWhenTheConfigHasTheSame) {
  daemon_.On("/cni", [](const UnixHttpRequest&) {
    return Reply(200, std::string(R"({"result":)") + kResult100 + "}");  // Go: any case
  });
  Output o = Run("ADD", Conf());
  ASSERT_EQ(o.exit_code, 0) << o.out;
  EXPECT_EQ(o.Json(), json::parse(kResult100));
}

TEST_F(ShimTest, AddWithoutResultInTheReplyIsCode6) {
  daemon_.On("/cni", [](const UnixHttpRequest&) { return Reply(200, "{}"); });
  Output o = Run("ADD", Conf());
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(o.Json()["code"], 6);
}

TEST_F(ShimTest, PropagatesTheDaemonsCniErrorWithItsCode) {
  daemon_.On("/cni", [](const UnixHttpRequest&) {
    return Reply(400, R"({"cniVersion":"1.0.0","code":7,"msg":"bad NAD","details":"fix it"})"
                      "\n");
  });
  Output o = Run("ADD", Conf());
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(o.Json(), json::parse(R"({"cniVersion":"1.0.0","code":7,"msg":"bad NAD",
                                      "details":"fix it"})"));
  EXPECT_TRUE(log_.Has("bad NAD (code 7: fix it)"));
}

TEST_F(ShimTest, APlainTextErrorBodyBecomesCode999WithTheText) {
  daemon_.On("/cni", [](const UnixHttpRequest&) { return Reply(500, "boom\n"); });
  Output o = Run("CHECK", Conf());
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(o.Json()["code"], 999);
  EXPECT_EQ(o.Json()["msg"], "multus-daemon answered HTTP 500: boom");
}

TEST_F(ShimTest, CheckGcAndStatusForwardAndPrintNothing) {
  for (const char* command : {"CHECK", "GC", "STATUS"}) {
    SCOPED_TRACE(command);
    daemon_.requests.clear();
    Output o = Run(command, R"({"cniVersion":"1.1.0","cniDir":")" + dir_.path() + "\"}");
    EXPECT_EQ(o.exit_code, 0) << o.out;
    EXPECT_EQ(o.out, "");
    EXPECT_EQ(daemon_.Count("/readyz"), 1);
    EXPECT_EQ(daemon_.Count("/cni"), 1);
  }
}

TEST_F(ShimTest, WaitsForReadyzPollingEvery100ms) {
  int probes = 0;
  daemon_.On("/readyz", [&](const UnixHttpRequest&) {
    return ++probes < 6 ? Result<UnixHttpReply>(Status::TryAgainLater("no socket"))
                        : Result<UnixHttpReply>(Reply(200, ""));
  });
  Output o = Run("CHECK", Conf());
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_EQ(daemon_.Count("/readyz"), 6);
  EXPECT_EQ(daemon_.Count("/cni"), 1);
  EXPECT_EQ(slept_, milliseconds(500));
}

TEST_F(ShimTest, ACallTheDaemonDidNotTakeIsSentAgainOnceItIsReady) {
  // A daemon restarting under the call: first draining (503), then gone, then back.
  int calls = 0;
  daemon_.On("/cni", [&calls](const UnixHttpRequest&) -> Result<UnixHttpReply> {
    if (++calls == 1) {
      return Reply(503, R"({"cniVersion":"1.0.0","code":11,"msg":"shutting down"})");
    }
    if (calls == 2) return Status::TryAgainLater("cannot connect: No such file or directory");
    return Reply(200, std::string(R"({"Result":)") + kResult100 + "}");
  });
  Output o = Run("ADD", Conf());
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_EQ(o.Json()["ips"][0]["address"], "10.244.0.5/24");
  EXPECT_EQ(daemon_.Count("/cni"), 3);
  EXPECT_EQ(daemon_.Count("/readyz"), 3);
  EXPECT_TRUE(log_.Has("multus-daemon did not take ADD (HTTP 503); waiting for it again"));
}

TEST_F(ShimTest, ACallTheDaemonKeepsRefusingFailsWithinTheReadinessBound) {
  daemon_.On("/cni", [](const UnixHttpRequest&) {
    return Reply(503, R"({"cniVersion":"1.0.0","code":11,"msg":"queue full","details":"later"})");
  });
  Output o = Run("ADD", Conf(R"(,"daemonReadinessTimeout":1)"));
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(o.Json()["code"], 11);
  EXPECT_EQ(o.Json()["msg"], "queue full");
  EXPECT_EQ(daemon_.Count("/cni"), 11);  // at 0, 100, ..., 1000 ms
  EXPECT_EQ(slept_, milliseconds(1000));
}

TEST_F(ShimTest, ACallTheDaemonRanAndFailedIsNotSentAgain) {
  daemon_.On("/cni", [](const UnixHttpRequest&) {
    return Reply(400, R"({"cniVersion":"1.0.0","code":7,"msg":"bad NAD"})");
  });
  Output o = Run("ADD", Conf());
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(daemon_.Count("/cni"), 1);
}

TEST_F(ShimTest, TheReadinessWaitIsBoundedByDaemonReadinessTimeout) {
  daemon_.On("/readyz", [](const UnixHttpRequest&) { return Reply(500, "shutting down"); });
  Output o = Run("ADD", Conf(R"(,"daemonReadinessTimeout":2)"));
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(o.Json()["code"], 11);
  EXPECT_EQ(o.Json()["msg"], "multus-daemon is not ready after 2 s: /readyz answered HTTP 500");
  EXPECT_EQ(daemon_.Count("/readyz"), 21);  // at 0, 100, ..., 2000 ms
  EXPECT_EQ(daemon_.Count("/cni"), 0);
  EXPECT_EQ(slept_, milliseconds(2000));
}

TEST_F(ShimTest, TheDefaultReadinessWaitIs60Seconds) {
  daemon_.GoAway();
  Output o = Run("ADD", Conf());
  EXPECT_EQ(o.Json()["code"], 11);
  EXPECT_EQ(slept_, std::chrono::seconds(60));
  EXPECT_EQ(daemon_.Count("/readyz"), 601);
  EXPECT_LE(daemon_.requests.back().timeout, milliseconds(2000));
}

TEST_F(ShimTest, DelSendsOneHealthzCheckThenCni) {
  Output o = Run("DEL", Conf());
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_EQ(o.out, "");
  ASSERT_EQ(daemon_.requests.size(), 2u);
  EXPECT_EQ(daemon_.requests[0].path, "/healthz");
  EXPECT_EQ(daemon_.requests[1].path, "/cni");
  EXPECT_EQ(json::parse(daemon_.requests[1].body)["env"]["CNI_COMMAND"], "DEL");
}

TEST_F(ShimTest, DelWithTheDaemonDownAndACachedPlanFailsWithCode11) {
  WriteFile(dir_ / kContainer, "{}");
  daemon_.GoAway();
  Output o = Run("DEL", Conf());
  EXPECT_EQ(o.exit_code, 1);
  json error = o.Json();
  EXPECT_EQ(error["code"], 11);
  const std::string msg = error["msg"];
  EXPECT_NE(msg.find("multus-daemon cannot be reached on /run/multus/multus.sock"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find(dir_ / kContainer), std::string::npos) << msg;
  EXPECT_NE(error["details"].get<std::string>().find("kubelet retries DEL"), std::string::npos);
  EXPECT_EQ(daemon_.requests.size(), 1u);  // one /healthz, no waiting
  EXPECT_EQ(slept_, milliseconds(0));
  EXPECT_TRUE(log_.Has("DEL [container=0123456789abcdef, ifname=eth0] not done"));
}

TEST_F(ShimTest, DelWithTheDaemonDownAndOnlyAResultCacheFailsWithCode11) {
  WriteFile(dir_ / (std::string("results/net1-") + kContainer + "-net1"), "{}");
  daemon_.GoAway();
  Output o = Run("DEL", Conf());
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(o.Json()["code"], 11);
}

TEST_F(ShimTest, DelWithTheDaemonDownAndNothingCachedSucceeds) {
  WriteFile(dir_ / "otherContainer", "{}");
  WriteFile(dir_ / "results/net1-otherContainer-net1", "{}");
  daemon_.GoAway();
  Output o = Run("DEL", Conf());
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_EQ(o.out, "");
  EXPECT_TRUE(log_.Has("nothing to delete"));
}

TEST_F(ShimTest, DelWithAMissingCniDirSucceedsWithoutTheDaemon) {
  daemon_.GoAway();
  Output o = Run("DEL", R"({"cniVersion":"1.0.0","cniDir":")" + dir_.path() + "/none\"}");
  EXPECT_EQ(o.exit_code, 0) << o.out;
}

TEST_F(ShimTest, DelWhenTheDaemonFailsAndACacheIsLeftKeepsTheDaemonsError) {
  WriteFile(dir_ / kContainer, "{}");
  daemon_.On("/cni", [](const UnixHttpRequest&) {
    return Reply(400, R"({"cniVersion":"1.0.0","code":100,"msg":"plugin failed","details":""})");
  });
  Output o = Run("DEL", Conf());
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(o.Json()["code"], 100);
  EXPECT_EQ(o.Json()["msg"], "plugin failed");
}

TEST_F(ShimTest, DelWhenTheDaemonFailsAndNothingIsLeftSucceeds) {
  daemon_.On("/cni", [](const UnixHttpRequest&) {
    return Reply(400, R"({"cniVersion":"1.0.0","code":100,"msg":"plugin failed"})");
  });
  Output o = Run("DEL", Conf());
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_TRUE(log_.Has("plugin failed"));
}

TEST_F(ShimTest, DelWhenHealthzIsNotOkIsTreatedAsDaemonDown) {
  WriteFile(dir_ / kContainer, "{}");
  daemon_.On("/healthz", [](const UnixHttpRequest&) { return Reply(503, ""); });
  Output o = Run("DEL", Conf());
  EXPECT_EQ(o.Json()["code"], 11);
  EXPECT_EQ(daemon_.Count("/cni"), 0);
}

TEST_F(ShimTest, VersionIsAnsweredLocally) {
  Output o = RunWith({{"CNI_COMMAND", "VERSION"}}, "");
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_EQ(o.Json(), json::parse(R"({"cniVersion":"1.1.0","supportedVersions":
    ["0.1.0","0.2.0","0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]})"));
  EXPECT_TRUE(daemon_.requests.empty());
}

TEST_F(ShimTest, NoCommandPrintsTheAboutText) {
  Output o = RunWith({}, "");
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_EQ(o.out, "");
  EXPECT_NE(o.err.find("CNI protocol versions supported: 0.1.0"), std::string::npos) << o.err;
}

TEST_F(ShimTest, BadInputIsOneCniErrorAndNoRequest) {
  struct Case {
    const char* conf;
    int code;
    const char* msg_part;
  } cases[] = {
      {"", 7, "no multus-shim config on stdin"},
      {"{\"cniVersion\":", 6, "cannot parse the multus-shim config"},
      {"[]", 6, "not a JSON object"},
      {R"({"cniVersion":"1.0.0","daemonSocketDir":"run/multus"})", 7, "absolute path"},
      {R"({"cniVersion":"1.0.0","cniDir":"cache"})", 7, "\"cniDir\" must be an absolute path"},
      {R"({"cniVersion":"1.0.0","daemonSocketDir":7})", 7, "must be a string"},
      {R"({"cniVersion":"1.0.0","daemonRequestTimeout":0})", 7, "daemonRequestTimeout"},
      {R"({"cniVersion":"9.9.9"})", 1, "incompatible CNI versions"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.conf);
    daemon_.requests.clear();
    log_.lines.clear();
    Output o = Run("ADD", c.conf);
    EXPECT_EQ(o.exit_code, 1);
    json error = o.Json();
    EXPECT_EQ(error["code"], c.code);
    EXPECT_NE(error["msg"].get<std::string>().find(c.msg_part), std::string::npos) << o.out;
    EXPECT_TRUE(daemon_.requests.empty());
    EXPECT_EQ(log_.lines.size(), 1u);
  }
}

TEST_F(ShimTest, AnErrorIsAnsweredInTheConfigVersion) {
  Output o = Run("ADD", R"({"cniVersion":"0.4.0","daemonSocketDir":"relative"})");
  EXPECT_EQ(o.Json()["cniVersion"], "0.4.0");
}

TEST_F(ShimTest, MissingCniEnvIsCode4) {
  Output o = RunWith({{"CNI_COMMAND", "ADD"}}, Conf());
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(o.Json()["code"], 4);
  EXPECT_TRUE(daemon_.requests.empty());
}

TEST_F(ShimTest, ConfigKeysAreCaseInsensitive) {
  Output o = Run("CHECK", R"({"CNIVERSION":"1.0.0","DaemonSocketDir":"/var/run/m","cnidir":")" +
                              dir_.path() + "\"}");
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_EQ(daemon_.requests[0].socket_path, "/var/run/m/multus.sock");
}

}  // namespace
}  // namespace multus::shim
