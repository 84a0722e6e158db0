#include "daemon_config.h"

#include <gtest/gtest.h>

namespace multus::daemon {
namespace {

TEST(DaemonConfigTest, DefaultsMatchUpstream) {
  Result<DaemonConfig> config = ParseDaemonConfig("{}");
  ASSERT_TRUE(config.ok()) << config.status().msg();
  EXPECT_EQ(config->socket_dir, "/run/multus/");
  EXPECT_EQ(config->multus_config_file, "auto");
  EXPECT_EQ(config->cni_config_dir, "/etc/cni/net.d");
  EXPECT_EQ(config->AutoconfigDir(), "/etc/cni/net.d");
  EXPECT_EQ(config->metrics_port, 0);
  EXPECT_EQ(config->Workers(), kDefaultWorkers);
  EXPECT_EQ(config->QueueLength(), 4 * kDefaultWorkers);
  EXPECT_TRUE(config->overrides.empty());
}

TEST(DaemonConfigTest, ReadsUpstreamKeysCaseInsensitively) {
  Result<DaemonConfig> config = ParseDaemonConfig(R"({
    "chrootDir": "/hostroot", "SOCKETDIR": "/tmp/s", "logLevel": "Debug", "logToStderr": false,
    "logFile": "/var/log/m.log", "metricsPort": 9091, "enablePprof": true,
    "connectionLimit": 3, "multusConfigFile": "/etc/m.conf", "multusAutoconfigDir": "/a",
    "multusMasterCNI": "10-x.conf", "cniConfigDir": "/c", "forceCNIVersion": true,
    "overrideNetworkName": true, "cniVersion": "0.3.1", "readinessindicatorfile": "/r",
    "perNodeCertificate": {"enabled": true, "certDir": "/x"}, "requestQueueLength": 0,
    "requestTimeoutSeconds": 7, "shutdownGraceSeconds": 2, "somethingElse": [1]})");
  ASSERT_TRUE(config.ok()) << config.status().msg();
  EXPECT_EQ(config->chroot_dir, "/hostroot");
  EXPECT_EQ(config->socket_dir, "/tmp/s");
  EXPECT_EQ(config->log.level, log::Level::kDebug);
  EXPECT_FALSE(config->log.to_stderr);
  EXPECT_EQ(config->log.file, "/var/log/m.log");
  EXPECT_EQ(config->metrics_port, 9091);
  EXPECT_TRUE(config->enable_pprof);
  EXPECT_EQ(config->Workers(), 3);
  EXPECT_EQ(config->QueueLength(), 0);
  EXPECT_EQ(config->multus_config_file, "/etc/m.conf");
  EXPECT_EQ(config->AutoconfigDir(), "/a");
  EXPECT_EQ(config->multus_master_cni, "10-x.conf");
  EXPECT_EQ(config->cni_config_dir, "/c");
  EXPECT_TRUE(config->force_cni_version);
  EXPECT_TRUE(config->override_network_name);
  EXPECT_EQ(config->cni_version, "0.3.1");
  EXPECT_EQ(config->readiness_indicator_file, "/r");
  EXPECT_TRUE(config->per_node_certificate);
  EXPECT_EQ(config->request_timeout, std::chrono::seconds(7));
  EXPECT_EQ(config->shutdown_grace, std::chrono::seconds(2));
}

TEST(DaemonConfigTest, CollectsMultusConfigKeysAsOverridesWithTheirRawValues) {
  Result<DaemonConfig> config = ParseDaemonConfig(
      R"({"socketDir": "/s", "confDir": "/etc/m", "NamespaceIsolation": true,
          "cniVersion": "0.3.1", "name": "x", "delegates": [{"type": "bridge", "mtu": 1.50}]})");
  ASSERT_TRUE(config.ok()) << config.status().msg();
  using Pair = std::pair<std::string, std::string>;
  EXPECT_EQ(config->overrides,
            (std::vector<Pair>{{"confDir", "\"/etc/m\""},
                               {"NamespaceIsolation", "true"},
                               {"delegates", R"([{"type": "bridge", "mtu": 1.50}])"}}));
}

TEST(DaemonConfigTest, RejectsBadConfigsNamingTheKey) {
  struct Case {
    const char* text;
    int code;
    const char* msg;
  } errors[] = {
      {"{", code::kDecode, "daemon config is not valid JSON"},
      {"[]", code::kInvalidConfig, "daemon config is not a JSON object"},
      {R"({"metricsPort": "9091"})", code::kInvalidConfig,
       "daemon config: \"metricsPort\" must be an integer from 0 to 65535"},
      {R"({"metricsPort": 70000})", code::kInvalidConfig,
       "daemon config: \"metricsPort\" must be an integer from 0 to 65535"},
      {R"({"connectionLimit": -1})", code::kInvalidConfig,
       "daemon config: \"connectionLimit\" must be an integer from 0 to 4096"},
      {R"({"socketDir": 1})", code::kInvalidConfig,
       "daemon config: \"socketDir\" must be a string"},
      {R"({"socketDir": ""})", code::kInvalidConfig, "daemon config: empty socketDir"},
      {R"({"logToStderr": "yes"})", code::kInvalidConfig,
       "daemon config: \"logToStderr\" must be true or false"},
      {R"({"multusMasterCNI": "/etc/x.conf"})", code::kInvalidConfig,
       "daemon config: multusMasterCNI must be a file name, not a path"},
      {R"({"forceCNIVersion": true})", code::kInvalidConfig,
       "daemon config: forceCNIVersion needs cniVersion"},
  };
  for (const Case& c : errors) {
    Result<DaemonConfig> config = ParseDaemonConfig(c.text);
    ASSERT_FALSE(config.ok()) << c.text;
    EXPECT_EQ(config.status().code(), c.code) << c.text;
    EXPECT_EQ(config.status().msg().substr(0, std::string(c.msg).size()), c.msg) << c.text;
  }
}

TEST(DaemonConfigTest, OverridesReplaceTheRequestsKeysCaseInsensitivelyAndKeepTheRest) {
  Result<std::string> merged = ApplyOverrides(
      R"({"cniVersion":"1.0.0","name":"n","type":"multus-shim","CONFDIR":"/old","x":1.10})",
      {{"confDir", "\"/new\""}, {"kubeconfig", "\"/k\""}});
  ASSERT_TRUE(merged.ok()) << merged.status().msg();
  EXPECT_EQ(
      *merged,
      R"({"cniVersion":"1.0.0","name":"n","type":"multus-shim","x":1.10,"confDir":"/new","kubeconfig":"/k"})");
}

TEST(DaemonConfigTest, OverrideOfAnExactKeyIsInPlace) {
  Result<std::string> merged =
      ApplyOverrides(R"({"confDir":"/old","name":"n"})", {{"confDir", "\"/new\""}});
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(*merged, R"({"confDir":"/new","name":"n"})");
}

TEST(DaemonConfigTest, OverridesNeedAnObject) {
  Result<std::string> merged = ApplyOverrides("[1]", {{"confDir", "\"/new\""}});
  ASSERT_FALSE(merged.ok());
  EXPECT_EQ(merged.status().code(), code::kDecode);
  EXPECT_TRUE(ApplyOverrides("[1]", {}).ok());  // nothing to impose: passed through as it is
}

}  // namespace
}  // namespace multus::daemon
