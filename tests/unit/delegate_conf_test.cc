#include "multus/delegate_conf.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace multus {
namespace {

using nlohmann::json;

TEST(DelegateConfTest, LoadsASingleConf) {
  const std::string bytes =
      R"({"cniVersion":"0.4.0","name":"br","type":"bridge","capabilities":{"ips":true,"mac":false}})";
  Result<DelegateConf> conf = LoadDelegateConf(bytes);
  ASSERT_TRUE(conf.ok()) << conf.status().msg();
  EXPECT_EQ(conf->bytes, bytes);
  EXPECT_FALSE(conf->is_list);
  EXPECT_EQ(conf->name, "br");
  EXPECT_EQ(conf->cni_version, "0.4.0");
  EXPECT_FALSE(conf->disable_check);
  ASSERT_EQ(conf->plugins.size(), 1u);
  EXPECT_EQ(conf->plugins[0].type, "bridge");
  EXPECT_EQ(conf->plugins[0].bytes, bytes);
  EXPECT_EQ(conf->plugins[0].capabilities, std::vector<std::string>{"ips"});
}

TEST(DelegateConfTest, LoadsAConflistKeepingEachPluginsBytes) {
  const std::string first =
      R"({ "type": "bridge", "capabilities": {"portMappings": true, "ips": true} })";
  const std::string second = R"({"type":"tuning","sysctl":{"net.ipv4.conf.IFNAME.x":"1"}})";
  const std::string bytes = R"({"cniVersion":"1.0.0","name":"chain","disableCheck":true,)"
                            R"("disableGC":true,"plugins":[ )" +
                            first + " , " + second + " ]}";
  Result<DelegateConf> conf = LoadDelegateConf(bytes);
  ASSERT_TRUE(conf.ok()) << conf.status().msg();
  EXPECT_TRUE(conf->is_list);
  EXPECT_EQ(conf->bytes, bytes);
  EXPECT_EQ(conf->name, "chain");
  EXPECT_EQ(conf->cni_version, "1.0.0");
  EXPECT_TRUE(conf->disable_check);
  EXPECT_TRUE(conf->disable_gc);
  ASSERT_EQ(conf->plugins.size(), 2u);
  EXPECT_EQ(conf->plugins[0].type, "bridge");
  EXPECT_EQ(conf->plugins[0].bytes, first);
  EXPECT_EQ(conf->plugins[0].capabilities, (std::vector<std::string>{"ips", "portMappings"}));
  EXPECT_EQ(conf->plugins[1].type, "tuning");
  EXPECT_EQ(conf->plugins[1].bytes, second);
  EXPECT_TRUE(conf->plugins[1].capabilities.empty());
}

TEST(DelegateConfTest, PicksTheHighestSupportedOfCniVersions) {
  struct Case {
    std::string version_members;
    std::string expected;
  };
  const Case cases[] = {
      {R"("cniVersion":"0.3.1")", "0.3.1"},
      {R"("cniVersions":["0.3.1","1.0.0","0.4.0"])", "1.0.0"},
      {R"("cniVersion":"0.3.1","cniVersions":["0.4.0","1.1.0"])", "1.1.0"},
      {R"("cniVersions":["1.0.0","9.9.9","1.2.0"])", "1.0.0"},  // unsupported ones skipped
      {R"("cniVersions":["1.0.0",7])", "1.0.0"},
  };
  for (const Case& c : cases) {
    Result<DelegateConf> conf =
        LoadDelegateConf(R"({"name":"l",)" + c.version_members + R"(,"plugins":[{"type":"x"}]})");
    ASSERT_TRUE(conf.ok()) << c.version_members << ": " << conf.status().msg();
    EXPECT_EQ(conf->cni_version, c.expected) << c.version_members;
  }
}

TEST(DelegateConfTest, EmptyCniVersionIsAllowed) {
  Result<DelegateConf> conf = LoadDelegateConf(R"({"name":"old","type":"bridge"})");
  ASSERT_TRUE(conf.ok());
  EXPECT_EQ(conf->cni_version, "");
}

TEST(DelegateConfTest, RejectsInvalidConfigs) {
  struct Error {
    std::string bytes;
    int code;
    std::string message;  // substring
  };
  const Error errors[] = {
      // Audit finding 3: a BOM passed the DOM parser, then the byte-level editor refused the
      // config after other delegates had run. Refused up front now.
      {"\xEF\xBB\xBF" R"({"name":"n","type":"bridge"})", code::kDecode, "byte order mark"},
      {R"({"name":"n","type":"../../bin/sh"})", code::kInvalidConfig,
       "invalid plugin name: ../../bin/sh"},
      {R"({"name":"n","type":"/usr/bin/bridge"})", code::kInvalidConfig, "invalid plugin name"},
      {R"({"name":"n","type":".."})", code::kInvalidConfig, "invalid plugin name"},
      {R"({"name":"n","plugins":[{"type":"a/b"}]})", code::kInvalidConfig,
       "invalid plugin name: a/b"},
      {R"({"name":"n"})", code::kInvalidConfig, "delegate must have the 'type' or 'plugins' field"},
      {R"({"name":"n","type":""})", code::kInvalidConfig,
       "delegate must have the 'type' or 'plugins' field"},
      {R"({"name":"n","plugins":[]})", code::kInvalidConfig,
       "delegate must have the 'type' or 'plugins' field"},
      {R"({"name":"n","plugins":{"type":"x"}})", code::kInvalidConfig,
       "delegate must have the 'type' or 'plugins' field"},
      {R"({"name":"n","plugins":[{"type":"x"},{"mtu":1}]})", code::kInvalidConfig,
       "a plugin delegate must have the 'type' field"},
      {R"({"name":"n","plugins":[5]})", code::kInvalidConfig,
       "plugin #0 of the conflist is not an object"},
      {R"({"type":"bridge"})", code::kInvalidConfig, "missing network name"},
      {R"({"name":"","plugins":[{"type":"x"}]})", code::kInvalidConfig, "missing network name"},
      {R"({"name":"bad name","type":"bridge"})", code::kInvalidConfig,
       "invalid characters found in network name"},
      {R"({"name":7,"type":"bridge"})", code::kInvalidConfig, "delegate \"name\" is not a string"},
      {R"({"name":"n","type":"bridge","cniVersion":"2.0.0"})", code::kIncompatibleVersion,
       "unsupported cniVersion \"2.0.0\""},
      {"not json", code::kDecode, "error parsing delegate config"},
      {"[]", code::kInvalidConfig, "delegate config is not a JSON object"},
  };
  for (const Error& e : errors) {
    Result<DelegateConf> conf = LoadDelegateConf(e.bytes);
    ASSERT_FALSE(conf.ok()) << e.bytes;
    EXPECT_EQ(conf.status().code(), e.code) << e.bytes;
    EXPECT_NE(conf.status().msg().find(e.message), std::string::npos)
        << e.bytes << " -> " << conf.status().msg();
  }
}

TEST(DelegateConfTest, PluginTypeMustBeAPlainFileName) {
  for (const char* type : {"bridge", "host-local", "a.b", "macvlan_2"}) {
    EXPECT_TRUE(ValidatePluginType(type).ok()) << type;
  }
  for (const char* type : {"", ".", "..", "/bin/sh", "a/b", "./bridge"}) {
    EXPECT_EQ(ValidatePluginType(type).code(), code::kInvalidConfig) << type;
  }
}

DelegateConf Load(const std::string& bytes) {
  Result<DelegateConf> conf = LoadDelegateConf(bytes);
  EXPECT_TRUE(conf.ok()) << conf.status().msg();
  return conf.ok() ? *conf : DelegateConf{};
}

TEST(PluginStdinTest, InjectsNameAndVersionIntoConflistPlugins) {
  DelegateConf conf = Load(
      R"({"cniVersion":"1.0.0","name":"chain","plugins":[{"type":"bridge","mtu":1500},{"type":"tuning"}]})");
  Result<std::string> first = BuildPluginStdin(conf, conf.plugins[0], "{}", "");
  ASSERT_TRUE(first.ok()) << first.status().msg();
  EXPECT_EQ(*first, R"({"type":"bridge","mtu":1500,"name":"chain","cniVersion":"1.0.0"})");
  Result<std::string> second = BuildPluginStdin(conf, conf.plugins[1], "{}", "");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, R"({"type":"tuning","name":"chain","cniVersion":"1.0.0"})");
}

TEST(PluginStdinTest, LeavesEveryOtherByteOfASingleConfUntouched) {
  const std::string bytes =
      R"({ "cniVersion": "0.3.1", "name": "big", "type": "bridge", "vlan": 12345678901234567890,)"
      R"( "mtu": 1.10, "note": "a\"}]b", "ipam": { "type": "host-local", "ranges": [[{"subnet":"10.1.0.0/16"}]] } })";
  DelegateConf conf = Load(bytes);
  Result<std::string> in = BuildPluginStdin(conf, conf.plugins[0], "{}", "");
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(
      *in,
      R"({"cniVersion":"0.3.1","name":"big","type":"bridge","vlan":12345678901234567890,)"
      R"("mtu":1.10,"note":"a\"}]b","ipam":{ "type": "host-local", "ranges": [[{"subnet":"10.1.0.0/16"}]] }})");
  json parsed = json::parse(*in);
  EXPECT_EQ(parsed["vlan"].get<unsigned long long>(), 12345678901234567890ull);
}

TEST(PluginStdinTest, NoVersionInjectedWhenTheConfHasNone) {
  DelegateConf conf = Load(R"({"name":"old","type":"bridge"})");
  Result<std::string> in = BuildPluginStdin(conf, conf.plugins[0], "{}", "");
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(*in, R"({"name":"old","type":"bridge"})");
}

TEST(PluginStdinTest, FiltersRuntimeConfigByDeclaredCapabilities) {
  const std::string args =
      R"({"portMappings":[{"hostPort":8080,"containerPort":80}],"ips":["10.0.0.5/24"],)"
      R"("mac":"aa:bb:cc:dd:ee:ff","bandwidth":{"ingressRate":12345678901234567890}})";
  struct Case {
    std::string capabilities;
    std::string runtime_config;  // expected member value; empty: no runtimeConfig at all
  };
  const Case cases[] = {
      {R"({"ips":true})", R"({"ips":["10.0.0.5/24"]})"},
      {R"({"ips":true,"mac":false})", R"({"ips":["10.0.0.5/24"]})"},
      {R"({"bandwidth":true,"portMappings":true})",
       R"({"bandwidth":{"ingressRate":12345678901234567890},"portMappings":[{"hostPort":8080,"containerPort":80}]})"},
      {R"({"mac":false})", ""},
      {R"({"infinibandGUID":true})", ""},  // declared but not offered
      {"{}", ""},
  };
  for (const Case& c : cases) {
    DelegateConf conf = Load(R"({"cniVersion":"1.0.0","name":"n","type":"t","capabilities":)" +
                             c.capabilities + "}");
    Result<std::string> in = BuildPluginStdin(conf, conf.plugins[0], args, "");
    ASSERT_TRUE(in.ok()) << c.capabilities;
    std::string expected =
        R"({"cniVersion":"1.0.0","name":"n","type":"t","capabilities":)" + c.capabilities +
        (c.runtime_config.empty() ? "" : ",\"runtimeConfig\":" + c.runtime_config) + "}";
    EXPECT_EQ(*in, expected) << c.capabilities;
  }
}

TEST(PluginStdinTest, RuntimeConfigOnlyForThePluginsThatDeclareIt) {
  DelegateConf conf = Load(R"({"cniVersion":"1.0.0","name":"c","plugins":[{"type":"bridge"},)"
                           R"({"type":"portmap","capabilities":{"portMappings":true}}]})");
  const std::string args = R"({"portMappings":[{"hostPort":1,"containerPort":2}]})";
  Result<std::string> bridge = BuildPluginStdin(conf, conf.plugins[0], args, "");
  ASSERT_TRUE(bridge.ok());
  EXPECT_EQ(bridge->find("runtimeConfig"), std::string::npos) << *bridge;
  Result<std::string> portmap = BuildPluginStdin(conf, conf.plugins[1], args, "");
  ASSERT_TRUE(portmap.ok());
  EXPECT_EQ(json::parse(*portmap)["runtimeConfig"],
            json::parse(R"({"portMappings":[{"hostPort":1,"containerPort":2}]})"));
}

TEST(PluginStdinTest, AddsPrevResultAndExtraMembersLast) {
  DelegateConf conf = Load(R"({"cniVersion":"1.1.0","name":"n","type":"t"})");
  const std::string prev = R"({"cniVersion":"1.1.0","ips":[{"address":"10.0.0.2/24"}]})";
  Result<std::string> in =
      BuildPluginStdin(conf, conf.plugins[0], "{}", prev,
                       {{"cni.dev/valid-attachments", R"([{"containerID":"c","ifname":"eth0"}])"}});
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(*in, R"({"cniVersion":"1.1.0","name":"n","type":"t","prevResult":)" + prev +
                     R"(,"cni.dev/valid-attachments":[{"containerID":"c","ifname":"eth0"}]})");
}

TEST(PluginStdinTest, ReplacesAPrevResultAlreadyInTheConfig) {
  DelegateConf conf =
      Load(R"({"cniVersion":"1.0.0","name":"n","type":"t","prevResult":{"old":1},"x":2})");
  Result<std::string> in = BuildPluginStdin(conf, conf.plugins[0], "{}", R"({"new":1})");
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(*in, R"({"cniVersion":"1.0.0","name":"n","type":"t","prevResult":{"new":1},"x":2})");
}

}  // namespace
}  // namespace multus
