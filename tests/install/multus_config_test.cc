#include "multus_config.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace multus::install {
namespace {

ConfigSettings Defaults() {
  ConfigSettings s;
  s.kubeconfig = "/etc/cni/net.d/multus.d/multus.kubeconfig";
  return s;
}

TEST(MultusConfigTest, WrapsConfMasterByteForByte) {
  auto out = RenderMultusConfig(
      "{\"cniVersion\":\"0.3.1\",\"name\":\"test1\",\"type\":\"cnitesttype\"}\n", Defaults());
  ASSERT_TRUE(out.ok()) << out.status().msg();
  EXPECT_EQ(out->file_name, "00-multus.conf");
  EXPECT_EQ(out->stale_file_name, "00-multus.conflist");
  EXPECT_EQ(out->content,
            "{\n"
            "    \"cniVersion\": \"0.3.1\",\n"
            "    \"name\": \"multus-cni-network\",\n"
            "    \"type\": \"multus\",\n"
            "    \"kubeconfig\": \"/etc/cni/net.d/multus.d/multus.kubeconfig\",\n"
            "    \"delegates\": [\n"
            "        {\"cniVersion\":\"0.3.1\",\"name\":\"test1\",\"type\":\"cnitesttype\"}\n"
            "    ]\n"
            "}\n");
}

TEST(MultusConfigTest, ShimConfigPointsAtTheMasterByPath) {
  ConfigSettings settings = Defaults();
  settings.cni_version = "1.0.0";
  auto out = RenderShimConfig(
      "/host/etc/cni/net.d/10-calico.conflist",
      R"({"cniVersion":"0.3.1","name":"k8s-pod-network","plugins":[{"type":"calico"},)"
      R"({"type":"portmap","capabilities":{"portMappings":true}}]})",
      settings, "/run/m");
  ASSERT_TRUE(out.ok()) << out.status().msg();
  EXPECT_EQ(out->file_name, "00-multus.conf");
  EXPECT_EQ(out->content,
            "{\n"
            "    \"cniVersion\": \"1.0.0\",\n"
            "    \"name\": \"multus-cni-network\",\n"
            "    \"type\": \"multus-shim\",\n"
            "    \"capabilities\": {\n"
            "        \"portMappings\": true\n"
            "    },\n"
            "    \"daemonSocketDir\": \"/run/m\",\n"
            "    \"clusterNetwork\": \"/host/etc/cni/net.d/10-calico.conflist\"\n"
            "}\n");
  auto multus = RenderShimConfig("/x", R"({"cniVersion":"1.0.0","type":"multus-shim"})",
                                 settings, "");
  ASSERT_FALSE(multus.ok());
  EXPECT_EQ(multus.status().code(), 7);
}

TEST(MultusConfigTest, OutputIsByteStable) {
  const std::string master = R"({"cniVersion":"0.4.0","name":"n","type":"bridge"})";
  auto a = RenderMultusConfig(master, Defaults());
  auto b = RenderMultusConfig(master, Defaults());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->content, b->content);
}

TEST(MultusConfigTest, KeepsNumbersKeyOrderEscapesAndLayoutOfTheMaster) {
  const std::string master =
      "{\n  \"type\": \"bridge\",\n  \"cniVersion\": \"0.3.1\",\n  \"name\": \"caf\\u00e9\",\n"
      "  \"mtu\": 1.50e3, \"big\": 123456789012345678901234567890, \"rate\": 0.10\n}";
  auto out = RenderMultusConfig(master, Defaults());
  ASSERT_TRUE(out.ok()) << out.status().msg();
  EXPECT_NE(out->content.find(master), std::string::npos) << out->content;
  auto parsed = nlohmann::json::parse(out->content);
  EXPECT_EQ(parsed["delegates"][0]["name"], "caf\xc3\xa9");
}

TEST(MultusConfigTest, ConflistForVersion1AndLater) {
  for (std::string version : {"1.0.0", "1.1.0"}) {
    auto out = RenderMultusConfig(
        R"({"cniVersion":")" + version + R"(","name":"test1","type":"cnitesttype"})", Defaults());
    ASSERT_TRUE(out.ok()) << out.status().msg();
    EXPECT_EQ(out->file_name, "00-multus.conflist");
    EXPECT_EQ(out->stale_file_name, "00-multus.conf");
    EXPECT_EQ(out->content,
              "{\n"
              "    \"cniVersion\": \"" +
                  version +
                  "\",\n"
                  "    \"name\": \"multus-cni-network\",\n"
                  "    \"plugins\": [\n"
                  "        {\n"
                  "            \"type\": \"multus\",\n"
                  "            \"kubeconfig\": \"/etc/cni/net.d/multus.d/multus.kubeconfig\",\n"
                  "            \"delegates\": [\n"
                  "                {\"cniVersion\":\"" +
                  version +
                  "\",\"name\":\"test1\",\"type\":\"cnitesttype\"}\n"
                  "            ]\n"
                  "        }\n"
                  "    ]\n"
                  "}\n");
  }
}

TEST(MultusConfigTest, ConfForEveryVersionBelow1) {
  for (std::string version : {"0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0"}) {
    auto out = RenderMultusConfig(R"({"cniVersion":")" + version + R"(","type":"x"})", Defaults());
    ASSERT_TRUE(out.ok()) << version;
    EXPECT_EQ(out->file_name, "00-multus.conf") << version;
  }
}

TEST(MultusConfigTest, CapabilitiesAreTheUnionOfThePluginsSortedByName) {
  auto out = RenderMultusConfig(R"({"cniVersion":"1.0.0","name":"k","plugins":[
      {"type":"calico","capabilities":{"portMappings":false,"ips":true}},
      {"type":"portmap","capabilities":{"portMappings":true}},
      {"type":"bandwidth","capabilities":{"bandwidth":true}},
      {"type":"tuning"}]})",
                                Defaults());
  ASSERT_TRUE(out.ok()) << out.status().msg();
  auto doc = nlohmann::ordered_json::parse(out->content);
  EXPECT_EQ(doc["plugins"][0]["capabilities"].dump(),
            R"({"bandwidth":true,"ips":true,"portMappings":true})");
}

TEST(MultusConfigTest, CapabilitiesOfAConfComeFromItsTopLevel) {
  auto out = RenderMultusConfig(
      R"({"capabilities":{"bandwidth":true},"cniVersion":"0.3.1","name":"test1","type":"t"})",
      Defaults());
  ASSERT_TRUE(out.ok());
  EXPECT_NE(out->content.find("    \"type\": \"multus\",\n    \"capabilities\": {\n"
                              "        \"bandwidth\": true\n    },\n"),
            std::string::npos)
      << out->content;
}

TEST(MultusConfigTest, NoCapabilitiesKeyWhenTheMasterHasNone) {
  auto out = RenderMultusConfig(R"({"cniVersion":"1.0.0","plugins":[{"type":"a"}]})", Defaults());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->content.find("capabilities"), std::string::npos);
}

TEST(MultusConfigTest, OptionalKeysInUpstreamOrderWithConfDirSpelledRight) {
  ConfigSettings s = Defaults();
  s.namespace_isolation = true;
  s.global_namespaces = "foobar,barfoo";
  s.log_to_stderr = false;
  s.log_level = "debug";
  s.log_file = "/tmp/foobar.log";
  s.bin_dir = "/tmp/add_bin_dir";
  s.conf_dir = "/etc/cni/multus/net.d";
  s.readiness_indicator_file = "/var/lib/foobar_indicator";
  auto out = RenderMultusConfig(R"({"cniVersion":"0.3.1","name":"t","type":"t"})", s);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->content,
            "{\n"
            "    \"cniVersion\": \"0.3.1\",\n"
            "    \"name\": \"multus-cni-network\",\n"
            "    \"type\": \"multus\",\n"
            "    \"namespaceIsolation\": true,\n"
            "    \"globalNamespaces\": \"foobar,barfoo\",\n"
            "    \"logToStderr\": false,\n"
            "    \"logLevel\": \"debug\",\n"
            "    \"logFile\": \"/tmp/foobar.log\",\n"
            "    \"binDir\": \"/tmp/add_bin_dir\",\n"
            "    \"confDir\": \"/etc/cni/multus/net.d\",\n"
            "    \"readinessindicatorfile\": \"/var/lib/foobar_indicator\",\n"
            "    \"kubeconfig\": \"/etc/cni/net.d/multus.d/multus.kubeconfig\",\n"
            "    \"delegates\": [\n"
            "        {\"cniVersion\":\"0.3.1\",\"name\":\"t\",\"type\":\"t\"}\n"
            "    ]\n"
            "}\n");
  EXPECT_EQ(out->content.find("cniConf\""), std::string::npos);
}

TEST(MultusConfigTest, FlagValuesAreEscapedNotSpliced) {
  ConfigSettings s = Defaults();
  s.global_namespaces = "a\",\"evil\":\"x";
  s.kubeconfig = "/tmp/back\\slash\n";
  auto out = RenderMultusConfig(R"({"cniVersion":"0.3.1","type":"t"})", s);
  ASSERT_TRUE(out.ok());
  auto doc = nlohmann::json::parse(out->content);
  EXPECT_EQ(doc["globalNamespaces"], "a\",\"evil\":\"x");
  EXPECT_EQ(doc["kubeconfig"], "/tmp/back\\slash\n");
  EXPECT_FALSE(doc.contains("evil"));
}

TEST(MultusConfigTest, OverrideNetworkNameUsesTheMastersName) {
  ConfigSettings s = Defaults();
  s.override_network_name = true;
  auto out = RenderMultusConfig(R"({"cniVersion":"0.3.1","name":"calico","type":"t"})", s);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(nlohmann::json::parse(out->content)["name"], "calico");
}

TEST(MultusConfigTest, ForceCniVersionRewritesTheMaster) {
  ConfigSettings s = Defaults();
  s.cni_version = "1.0.0";
  s.force_cni_version = true;
  auto out = RenderMultusConfig(R"({"name":"n","cniVersion":"0.3.1","type":"t"})", s);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->file_name, "00-multus.conflist");
  EXPECT_NE(out->content.find(R"({"name":"n","cniVersion":"1.0.0","type":"t"})"),
            std::string::npos);
}

TEST(MultusConfigTest, MatchingCniVersionIsAccepted) {
  ConfigSettings s = Defaults();
  s.cni_version = "0.3.1";
  EXPECT_TRUE(RenderMultusConfig(R"({"cniVersion":"0.3.1","type":"t"})", s).ok());
}

TEST(MultusConfigTest, Errors) {
  struct Case {
    std::string master;
    std::string cni_version;
    bool override_name;
    int code;
    std::string msg;
  } cases[] = {
      {"", "", false, 6, "master CNI config is not valid JSON"},
      {"{\"cniVersion\":\"0.3.1\"", "", false, 6, "master CNI config is not valid JSON"},
      {"[1]", "", false, 7, "master CNI config is not a JSON object"},
      {R"({"type":"t"})", "", false, 7, "master CNI config has no string \"cniVersion\""},
      {R"({"cniVersion":1,"type":"t"})", "", false, 7,
       "master CNI config has no string \"cniVersion\""},
      {R"({"cniVersion":"one","type":"t"})", "", false, 7, "invalid cniVersion \"one\""},
      {R"({"cniVersion":"0.3.1","type":"t"})", "1.0.0", false, 7,
       "the multus cniVersion is \"1.0.0\" but the master CNI config's is \"0.3.1\""},
      {R"({"cniVersion":"1.0.0","plugins":{}})", "", false, 7,
       "master CNI config: \"plugins\" must be a list"},
      {R"({"cniVersion":"1.0.0","plugins":[{"type":"a"},3]})", "", false, 7,
       "master CNI config: plugins[1] is not an object"},
      {R"({"cniVersion":"1.0.0","plugins":[{"type":"a","capabilities":{"x":1}}]})", "", false, 7,
       "plugins[0].capabilities.x must be true or false"},
      {R"({"cniVersion":"0.3.1","type":"a","capabilities":[]})", "", false, 7,
       "master.capabilities must be an object"},
      {R"({"cniVersion":"0.3.1","type":"multus","delegates":[]})", "", false, 7,
       "master CNI config is a multus config itself"},
      {R"({"cniVersion":"1.0.0","plugins":[{"type":"multus-shim"}]})", "", false, 7,
       "master CNI config is a multus config itself"},
      {R"({"cniVersion":"0.3.1","type":"t"})", "", true, 7,
       "--override-network-name: the master CNI config has no string \"name\""},
      // Fuzz findings (tests/fuzz/crashes/install_config-*): text after a NUL was ignored,
      // and a master within the depth limit came out of the wrapping beyond it.
      {std::string(R"({"cniVersion":"0.3.1","name":"a","type":"b"})") + std::string("\0]]]", 4),
       "", false, 6, "master CNI config is not valid JSON"},
      {R"({"cniVersion":"1.0.0","plugins":[{"type":"b","x":)" + std::string(124, '[') +
           std::string(124, ']') + "}]}",
       "", false, 7, "master CNI config nests too deep to be wrapped"},
  };
  for (const Case& c : cases) {
    ConfigSettings s = Defaults();
    s.cni_version = c.cni_version;
    s.override_network_name = c.override_name;
    auto out = RenderMultusConfig(c.master, s);
    ASSERT_FALSE(out.ok()) << c.master;
    EXPECT_EQ(out.status().code(), c.code) << c.master;
    EXPECT_EQ(out.status().msg().substr(0, c.msg.size()), c.msg) << c.master;
  }
}

TEST(MultusConfigTest, NormalizeLogLevel) {
  EXPECT_EQ(NormalizeLogLevel("DEBUG").value(), "debug");
  EXPECT_EQ(NormalizeLogLevel("Verbose").value(), "verbose");
  EXPECT_EQ(NormalizeLogLevel("").value(), "");
  auto bad = NormalizeLogLevel("info");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), 7);
  EXPECT_EQ(bad.status().msg(),
            "--multus-log-level should be one of debug, verbose, warning, error, panic; got \"info\"");
}

TEST(MultusConfigTest, CompareCniVersions) {
  EXPECT_EQ(CompareCniVersions("0.3.1", "1.0.0").value(), -1);
  EXPECT_EQ(CompareCniVersions("1.0.0", "1.0.0").value(), 0);
  EXPECT_EQ(CompareCniVersions("1.1.0", "1.0.0").value(), 1);
  EXPECT_EQ(CompareCniVersions("0.10.0", "0.9.0").value(), 1);
  EXPECT_EQ(CompareCniVersions("1.0", "1.0.0").value(), 0);
  for (const char* bad : {"", "1", "1.", "a.b.c", "1.0.0.0", "1.0.0-rc1", "-1.0.0"}) {
    EXPECT_FALSE(CompareCniVersions(bad, "1.0.0").ok()) << bad;
  }
}

}  // namespace
}  // namespace multus::install
