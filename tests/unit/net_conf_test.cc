#include "multus/net_conf.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace multus {
namespace {

const char kDelegate[] = R"({"name":"d","type":"bridge","cniVersion":"0.3.1"})";

std::string WithDelegate(const std::string& members) {
  return R"({"name":"multus",)" + members + (members.empty() ? "" : ",") + R"("delegates":[)" +
         kDelegate + "]}";
}

TEST(NetConfTest, AppliesUpstreamDefaults) {
  Result<NetConf> conf = ParseNetConf(WithDelegate(""));
  ASSERT_TRUE(conf.ok()) << conf.status().msg();
  EXPECT_EQ(conf->cni_version, "");
  EXPECT_EQ(conf->name, "multus");
  EXPECT_EQ(conf->type, "multus");
  EXPECT_EQ(conf->conf_dir, "/etc/cni/multus/net.d");
  EXPECT_EQ(conf->cni_dir, "/var/lib/cni/multus");
  EXPECT_EQ(conf->bin_dir, "/opt/cni/bin");
  EXPECT_EQ(conf->kubeconfig, "");
  EXPECT_TRUE(conf->log.to_stderr);
  EXPECT_EQ(conf->log.level, log::Level::kWarning);
  EXPECT_EQ(conf->log.file, "");
  EXPECT_EQ(conf->log.file_options.max_age_days, 5);
  EXPECT_EQ(conf->log.file_options.max_size_mb, 100);
  EXPECT_EQ(conf->log.file_options.max_backups, 5);
  EXPECT_TRUE(conf->log.file_options.compress);
  EXPECT_FALSE(conf->namespace_isolation);
  EXPECT_EQ(conf->global_namespaces, std::vector<std::string>{"default"});
  EXPECT_EQ(conf->runtime_config, "{}");
  EXPECT_EQ(conf->readiness_indicator_file, "");
  EXPECT_EQ(conf->system_namespaces, std::vector<std::string>{"kube-system"});
  EXPECT_EQ(conf->multus_namespace, "kube-system");
  EXPECT_FALSE(conf->retry_delete_on_error);
  EXPECT_EQ(conf->cluster_network, "");
  EXPECT_TRUE(conf->default_networks.empty());
  ASSERT_EQ(conf->delegates.size(), 1u);
  EXPECT_EQ(conf->delegates[0].bytes, kDelegate);
  EXPECT_EQ(conf->delegates[0].plugins.size(), 1u) << "delegates are loaded";
  EXPECT_EQ(conf->valid_attachments, "");
}

TEST(NetConfTest, ReadsEveryKey) {
  const std::string bytes = R"({
    "cniVersion": "1.0.0", "name": "multus-cni-network", "type": "multus-shim",
    "confDir": "/c", "cniDir": "/d", "binDir": "/b", "kubeconfig": "/k.kubeconfig",
    "logToStderr": false, "logFile": "/var/log/multus.log", "logLevel": "verbose",
    "logOptions": {"maxAge": 1, "maxSize": 2, "maxBackups": 3, "compress": false},
    "namespaceIsolation": true, "globalNamespaces": "a, b ,c",
    "runtimeConfig": { "portMappings": [ {"hostPort": 8080} ] },
    "readinessindicatorfile": "/ready", "systemNamespaces": ["s1", "s2"],
    "multusNamespace": "multus", "retryDeleteOnError": true,
    "clusterNetwork": "cluster", "defaultNetworks": ["d1", "d2"],
    "cni.dev/valid-attachments": [ {"containerID":"c","ifname":"eth0"} ],
    "delegates": [)" + std::string(kDelegate) +
                            "]}";
  Result<NetConf> conf = ParseNetConf(bytes);
  ASSERT_TRUE(conf.ok()) << conf.status().msg();
  EXPECT_EQ(conf->cni_version, "1.0.0");
  EXPECT_EQ(conf->name, "multus-cni-network");
  EXPECT_EQ(conf->type, "multus-shim");
  EXPECT_EQ(conf->conf_dir, "/c");
  EXPECT_EQ(conf->cni_dir, "/d");
  EXPECT_EQ(conf->bin_dir, "/b");
  EXPECT_EQ(conf->kubeconfig, "/k.kubeconfig");
  EXPECT_FALSE(conf->log.to_stderr);
  EXPECT_EQ(conf->log.file, "/var/log/multus.log");
  EXPECT_EQ(conf->log.level, log::Level::kVerbose);
  EXPECT_EQ(conf->log.file_options.max_age_days, 1);
  EXPECT_EQ(conf->log.file_options.max_size_mb, 2);
  EXPECT_EQ(conf->log.file_options.max_backups, 3);
  EXPECT_FALSE(conf->log.file_options.compress);
  EXPECT_TRUE(conf->namespace_isolation);
  EXPECT_EQ(conf->global_namespaces, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(conf->runtime_config, R"({ "portMappings": [ {"hostPort": 8080} ] })");
  EXPECT_EQ(conf->readiness_indicator_file, "/ready");
  EXPECT_EQ(conf->system_namespaces, (std::vector<std::string>{"s1", "s2"}));
  EXPECT_EQ(conf->multus_namespace, "multus");
  EXPECT_TRUE(conf->retry_delete_on_error);
  EXPECT_EQ(conf->cluster_network, "cluster");
  EXPECT_EQ(conf->default_networks, (std::vector<std::string>{"d1", "d2"}));
  EXPECT_EQ(conf->valid_attachments, R"([ {"containerID":"c","ifname":"eth0"} ])");
  EXPECT_TRUE(conf->delegates.empty()) << "clusterNetwork set: delegates are ignored";
}

TEST(NetConfTest, MatchesKeysCaseInsensitively) {
  const std::string bytes = R"({"NAME":"m","ClusterNetwork":"cluster",
    "READINESSINDICATORFILE":"/ready","confdir":"/c","CniDir":"/d","BINDIR":"/b",
    "LogLevel":"DEBUG","LOGOPTIONS":{"MAXAGE":7,"maxsize":8,"MaxBackups":9,"COMPRESS":false},
    "SystemNamespaces":["x"],"DEFAULTNETWORKS":["y"],"multusnamespace":"mm",
    "NamespaceIsolation":true,"GlobalNamespaces":"g","RetryDeleteOnError":true,
    "LOGTOSTDERR":false,"CNIVERSION":"0.4.0"})";
  Result<NetConf> conf = ParseNetConf(bytes);
  ASSERT_TRUE(conf.ok()) << conf.status().msg();
  EXPECT_EQ(conf->name, "m");
  EXPECT_EQ(conf->cluster_network, "cluster");
  EXPECT_EQ(conf->readiness_indicator_file, "/ready");
  EXPECT_EQ(conf->conf_dir, "/c");
  EXPECT_EQ(conf->cni_dir, "/d");
  EXPECT_EQ(conf->bin_dir, "/b");
  EXPECT_EQ(conf->log.level, log::Level::kDebug);
  EXPECT_EQ(conf->log.file_options.max_age_days, 7);
  EXPECT_EQ(conf->log.file_options.max_size_mb, 8);
  EXPECT_EQ(conf->log.file_options.max_backups, 9);
  EXPECT_FALSE(conf->log.file_options.compress);
  EXPECT_EQ(conf->system_namespaces, std::vector<std::string>{"x"});
  EXPECT_EQ(conf->default_networks, std::vector<std::string>{"y"});
  EXPECT_EQ(conf->multus_namespace, "mm");
  EXPECT_TRUE(conf->namespace_isolation);
  EXPECT_EQ(conf->global_namespaces, std::vector<std::string>{"g"});
  EXPECT_TRUE(conf->retry_delete_on_error);
  EXPECT_FALSE(conf->log.to_stderr);
  EXPECT_EQ(conf->cni_version, "0.4.0");
}

TEST(NetConfTest, IgnoresUnknownKeys) {
  Result<NetConf> conf = ParseNetConf(WithDelegate(
      R"("defaultnetworkfile":"/x","defaultnetworkwaitseconds":5,"cniConf":{"a":[1]},)"
      R"("capabilities":{"portMappings":true},"prevResult":{"ips":[]},"whatever":null)"));
  ASSERT_TRUE(conf.ok()) << conf.status().msg();
  EXPECT_EQ(conf->name, "multus");
}

TEST(NetConfTest, ListsUnknownKeysAsWrittenButNotTheProtocolsOwn) {
  Result<NetConf> conf = ParseNetConf(
      WithDelegate(R"("namespaceIsolaton":true,"cniConf":"/x","Capabilities":{},"prevResult":{},)"
                   R"("args":{},"runtimeConfig":{},"LogLevel":"debug","whatever":null)"));
  ASSERT_TRUE(conf.ok()) << conf.status().msg();
  EXPECT_EQ(conf->unknown_keys, (std::vector<std::string>{"namespaceIsolaton", "whatever"}));
  EXPECT_FALSE(conf->namespace_isolation);
}

TEST(NetConfTest, LastDuplicateKeyWins) {
  Result<NetConf> conf =
      ParseNetConf(WithDelegate(R"("confDir":"/first","CONFDIR":"/second","confdir":"/third")"));
  ASSERT_TRUE(conf.ok());
  EXPECT_EQ(conf->conf_dir, "/third");
}

TEST(NetConfTest, EmptyLogLevelKeepsTheDefault) {
  Result<NetConf> conf = ParseNetConf(WithDelegate(R"("logLevel":"")"));
  ASSERT_TRUE(conf.ok());
  EXPECT_EQ(conf->log.level, log::Level::kWarning);
}

TEST(NetConfTest, ApiTimeoutsDefaultToAShortDelBudget) {
  Result<NetConf> conf = ParseNetConf(WithDelegate(""));
  ASSERT_TRUE(conf.ok());
  EXPECT_EQ(conf->api_timeouts.request, std::chrono::milliseconds(5000));
  EXPECT_EQ(conf->api_timeouts.add, std::chrono::milliseconds(20000));
  EXPECT_EQ(conf->api_timeouts.del, std::chrono::milliseconds(2000));
}

TEST(NetConfTest, ApiTimeoutsAreReadAndUnknownMembersWarned) {
  Result<NetConf> conf = ParseNetConf(
      WithDelegate(R"("apiTimeouts":{"requestMs":2500,"ADDMS":60000,"delMs":700,"retries":3})"));
  ASSERT_TRUE(conf.ok()) << conf.status().msg();
  EXPECT_EQ(conf->api_timeouts.request, std::chrono::milliseconds(2500));
  EXPECT_EQ(conf->api_timeouts.add, std::chrono::milliseconds(60000));
  EXPECT_EQ(conf->api_timeouts.del, std::chrono::milliseconds(700));
  EXPECT_EQ(conf->unknown_keys, std::vector<std::string>{"apiTimeouts.retries"});
}

TEST(NetConfTest, ReportingSettingsComeFromAnInvalidConfigToo) {
  NetConf settings = ParseReportingSettings(
      R"({"cniVersion":"0.4.0","logFile":"/var/log/m.log","logLevel":"debug","logToStderr":5})");
  EXPECT_EQ(settings.cni_version, "0.4.0");
  EXPECT_EQ(settings.log.file, "/var/log/m.log");
  EXPECT_EQ(settings.log.level, log::Level::kDebug);
  EXPECT_EQ(settings.log.to_stderr, NetConf().log.to_stderr);  // ill-typed: the default
  EXPECT_EQ(ParseReportingSettings("{not json").cni_version, "");
  EXPECT_EQ(ParseReportingSettings(R"(["cniVersion"])").cni_version, "");
}

TEST(NetConfTest, GlobalNamespacesReplaceTheDefault) {
  Result<NetConf> conf = ParseNetConf(WithDelegate(R"("globalNamespaces":"kube-public")"));
  ASSERT_TRUE(conf.ok());
  EXPECT_EQ(conf->global_namespaces, std::vector<std::string>{"kube-public"});
}

TEST(NetConfTest, ReportsTypeErrorsNamingTheKey) {
  struct Error {
    std::string members;
    std::string message;
  };
  const Error errors[] = {
      {R"("cniVersion":1)", "\"cniVersion\" must be a string"},
      {R"("type":true)", "\"type\" must be a string"},
      {R"("confDir":["/x"])", "\"confDir\" must be a string"},
      {R"("cniDir":5)", "\"cniDir\" must be a string"},
      {R"("binDir":{})", "\"binDir\" must be a string"},
      {R"("kubeconfig":1)", "\"kubeconfig\" must be a string"},
      {R"("logToStderr":"true")", "\"logToStderr\" must be true or false"},
      {R"("logFile":1)", "\"logFile\" must be a string"},
      {R"("logLevel":3)", "\"logLevel\" must be a string"},
      {R"("logOptions":[])", "\"logOptions\" must be an object"},
      {R"("logOptions":{"maxAge":"5"})", "\"logOptions.maxAge\" must be an integer"},
      {R"("logOptions":{"maxSize":1.5})", "\"logOptions.maxSize\" must be an integer"},
      {R"("logOptions":{"compress":1})", "\"logOptions.compress\" must be true or false"},
      {R"("namespaceIsolation":"yes")", "\"namespaceIsolation\" must be true or false"},
      {R"("globalNamespaces":["a"])", "\"globalNamespaces\" must be a comma-separated string"},
      {R"("runtimeConfig":[])", "\"runtimeConfig\" must be an object"},
      {R"("readinessindicatorfile":1)", "\"readinessindicatorfile\" must be a string"},
      {R"("systemNamespaces":"kube-system")", "\"systemNamespaces\" must be a list of strings"},
      {R"("systemNamespaces":[1])", "\"systemNamespaces\" must be a list of strings"},
      {R"("multusNamespace":1)", "\"multusNamespace\" must be a string"},
      {R"("retryDeleteOnError":0)", "\"retryDeleteOnError\" must be true or false"},
      {R"("clusterNetwork":1)", "\"clusterNetwork\" must be a string"},
      {R"("defaultNetworks":"a,b")", "\"defaultNetworks\" must be a list of strings"},
      {R"("apiTimeouts":5)", "\"apiTimeouts\" must be an object"},
      {R"("apiTimeouts":{"requestMs":0})", "\"apiTimeouts.requestMs\" must be a whole number"},
      {R"("apiTimeouts":{"addMs":1.5})", "\"apiTimeouts.addMs\" must be a whole number"},
      {R"("apiTimeouts":{"delMs":-1})", "\"apiTimeouts.delMs\" must be a whole number"},
      {R"("apiTimeouts":{"delMs":600001})", "\"apiTimeouts.delMs\" must be a whole number"},
      {R"("apiTimeouts":{"delMs":"2s"})", "\"apiTimeouts.delMs\" must be a whole number"},
  };
  for (const Error& e : errors) {
    Result<NetConf> conf = ParseNetConf(WithDelegate(e.members));
    ASSERT_FALSE(conf.ok()) << e.members;
    EXPECT_EQ(conf.status().code(), code::kInvalidConfig) << e.members;
    EXPECT_NE(conf.status().msg().find(e.message), std::string::npos)
        << e.members << " -> " << conf.status().msg();
  }
  Result<NetConf> delegates = ParseNetConf(R"({"name":"m","delegates":{"type":"bridge"}})");
  ASSERT_FALSE(delegates.ok());
  EXPECT_EQ(delegates.status().code(), code::kInvalidConfig);
  EXPECT_NE(delegates.status().msg().find("\"delegates\" must be"), std::string::npos);
  Result<NetConf> name = ParseNetConf(R"({"name":5,"delegates":[{"name":"d","type":"b"}]})");
  ASSERT_FALSE(name.ok());
  EXPECT_NE(name.status().msg().find("\"name\" must be a string"), std::string::npos);
}

TEST(NetConfTest, RejectsUnknownLogLevel) {
  Result<NetConf> conf = ParseNetConf(WithDelegate(R"("logLevel":"chatty")"));
  ASSERT_FALSE(conf.ok());
  EXPECT_EQ(conf.status().code(), code::kInvalidConfig);
  EXPECT_NE(conf.status().msg().find("chatty"), std::string::npos);
}

TEST(NetConfTest, RequiresAValidName) {
  struct Error {
    std::string bytes;
    std::string message;
  };
  const Error errors[] = {
      {R"({"delegates":[{"name":"d","type":"b"}]})", "missing network name"},
      {R"({"name":"","delegates":[{"name":"d","type":"b"}]})", "missing network name"},
      {R"({"name":"-bad","delegates":[{"name":"d","type":"b"}]})",
       "invalid characters found in network name"},
      {R"({"name":"a b","delegates":[{"name":"d","type":"b"}]})",
       "invalid characters found in network name"},
  };
  for (const Error& e : errors) {
    Result<NetConf> conf = ParseNetConf(e.bytes);
    ASSERT_FALSE(conf.ok()) << e.bytes;
    EXPECT_EQ(conf.status().code(), code::kInvalidConfig);
    EXPECT_EQ(conf.status().msg(), e.message);
  }
}

TEST(NetConfTest, MalformedJsonIsADecodeError) {
  const std::string errors[] = {"", "{", "not json", R"({"name":"m",})", "[1]", "\"text\"", "42"};
  for (const std::string& bytes : errors) {
    Result<NetConf> conf = ParseNetConf(bytes);
    ASSERT_FALSE(conf.ok()) << bytes;
    EXPECT_EQ(conf.status().code(), code::kDecode) << bytes;
    EXPECT_NE(conf.status().msg().find("error unmarshall network config"), std::string::npos);
  }
}

TEST(NetConfTest, RequiresDelegatesOrClusterNetwork) {
  const std::string errors[] = {R"({"name":"m"})", R"({"name":"m","delegates":[]})",
                                R"({"name":"m","clusterNetwork":""})"};
  for (const std::string& bytes : errors) {
    Result<NetConf> conf = ParseNetConf(bytes);
    ASSERT_FALSE(conf.ok()) << bytes;
    EXPECT_EQ(conf.status().code(), code::kInvalidConfig);
    EXPECT_EQ(conf.status().msg(), "at least one delegate/clusterNetwork must be specified");
  }
  EXPECT_TRUE(ParseNetConf(R"({"name":"m","clusterNetwork":"c"})").ok());
}

TEST(NetConfTest, RejectsABadDelegateNamingItsIndex) {
  struct Error {
    std::string delegates;
    std::string prefix;
  };
  const Error errors[] = {
      {R"({"name":"d"})", "failed to load delegate 0 config: "},
      {R"({"name":"d","type":""})", "failed to load delegate 0 config: "},
      {R"({"name":"d","type":"../bin/sh"})", "failed to load delegate 0 config: "},
      {R"({"type":"bridge"})", "failed to load delegate 0 config: "},
      {R"({"name":"d","plugins":[]})", "failed to load delegate 0 config: "},
      {R"({"name":"d","plugins":[{"cniVersion":"0.3.1"}]})", "failed to load delegate 0 config: "},
      {std::string(kDelegate) + R"(,{"name":"x y","type":"b"})",
       "failed to load delegate 1 config: "},
  };
  for (const Error& e : errors) {
    Result<NetConf> conf = ParseNetConf(R"({"name":"m","delegates":[)" + e.delegates + "]}");
    ASSERT_FALSE(conf.ok()) << e.delegates;
    EXPECT_EQ(conf.status().code(), code::kInvalidConfig) << e.delegates;
    EXPECT_EQ(conf.status().msg().rfind(e.prefix, 0), 0u) << conf.status().msg();
  }
}

// ParseNetConf's contract: code 7 for "a delegate that is neither a conf nor a conflist"; a
// delegate that is not even an object is the plainest case of that.
TEST(NetConfTest, RejectsANonObjectDelegateAsInvalidConfig) {
  for (const std::string delegate : {"5", "\"bridge\"", "[]", "null"}) {
    Result<NetConf> conf = ParseNetConf(R"({"name":"m","delegates":[)" + delegate + "]}");
    ASSERT_FALSE(conf.ok()) << delegate;
    EXPECT_EQ(conf.status().code(), code::kInvalidConfig)
        << delegate << ": " << conf.status().msg();
    EXPECT_EQ(conf.status().msg().rfind("failed to load delegate 0 config", 0), 0u);
  }
}

TEST(NetConfTest, IgnoresDelegatesWhenClusterNetworkIsSet) {
  Result<NetConf> conf =
      ParseNetConf(R"({"name":"m","clusterNetwork":"c","delegates":[{"bogus":true}]})");
  ASSERT_TRUE(conf.ok()) << conf.status().msg();
  EXPECT_EQ(conf->cluster_network, "c");
}

TEST(NetConfTest, KeepsDelegatesByteExact) {
  const std::string first =
      R"({ "cniVersion" : "0.3.1", "name":"big", "type":"bridge", "mtu": 1.10,)"
      R"( "vlan": 12345678901234567890, "ipam": {"type":"host-local", "note":"a\"]}b"} })";
  const std::string second =
      "{\"name\":\"l\",\"cniVersion\":\"1.0.0\",\n  \"plugins\":[{\"type\":\"tuning\", "
      "\"x\":0.1000000000000000055511151231257827}]}";
  Result<NetConf> conf =
      ParseNetConf(R"({"name":"m", "delegates": [ )" + first + " ,\n " + second + " ] }");
  ASSERT_TRUE(conf.ok()) << conf.status().msg();
  ASSERT_EQ(conf->delegates.size(), 2u);
  EXPECT_EQ(conf->delegates[0].bytes, first);
  EXPECT_EQ(conf->delegates[1].bytes, second);
}

}  // namespace
}  // namespace multus
