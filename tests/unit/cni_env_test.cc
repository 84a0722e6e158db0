#include "multus/cni_env.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace multus {
namespace {

EnvMap FullEnv(const std::string& command) {
  return {
      {"CNI_COMMAND", command}, {"CNI_CONTAINERID", "abc123"}, {"CNI_NETNS", "/var/run/netns/pod"},
      {"CNI_IFNAME", "eth0"},   {"CNI_PATH", "/opt/cni/bin"},  {"CNI_ARGS", "K8S_POD_NAME=p"}};
}

TEST(CniEnvTest, AcceptsEveryCommandWithItsRequiredVariables) {
  struct Case {
    std::string command;
    std::vector<std::string> drop;  // variables removed from FullEnv
  };
  const Case cases[] = {
      {"ADD", {}},
      {"DEL", {"CNI_NETNS"}},  // a DEL may come after the netns is gone
      {"CHECK", {}},
      {"GC", {"CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME"}},
      {"STATUS", {"CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"}},
      {"VERSION", {"CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"}},
  };
  for (const Case& c : cases) {
    EnvMap env = FullEnv(c.command);
    for (const auto& key : c.drop) env.erase(key);
    Result<CniEnv> parsed = ParseCniEnv(env);
    ASSERT_TRUE(parsed.ok()) << c.command << ": " << parsed.status().msg();
    EXPECT_EQ(parsed->command, c.command);
  }
}

TEST(CniEnvTest, ReturnsEveryVariableAsGiven) {
  Result<CniEnv> parsed = ParseCniEnv(FullEnv("ADD"));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->container_id, "abc123");
  EXPECT_EQ(parsed->netns, "/var/run/netns/pod");
  EXPECT_EQ(parsed->ifname, "eth0");
  EXPECT_EQ(parsed->path, "/opt/cni/bin");
  EXPECT_EQ(parsed->args, "K8S_POD_NAME=p");
}

TEST(CniEnvTest, EmptyCommandIsNotAnError) {
  Result<CniEnv> parsed = ParseCniEnv({});
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->command, "");
}

TEST(CniEnvTest, RejectsMissingRequiredVariablesNamingThem) {
  struct Error {
    std::string command;
    std::vector<std::string> drop;
    std::string message;
  };
  const Error errors[] = {
      {"ADD", {"CNI_CONTAINERID"}, "required env variables [CNI_CONTAINERID] missing"},
      {"ADD", {"CNI_NETNS"}, "required env variables [CNI_NETNS] missing"},
      {"ADD", {"CNI_IFNAME"}, "required env variables [CNI_IFNAME] missing"},
      {"ADD", {"CNI_PATH"}, "required env variables [CNI_PATH] missing"},
      {"ADD",
       {"CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"},
       "required env variables [CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH] missing"},
      {"CHECK", {"CNI_NETNS"}, "required env variables [CNI_NETNS] missing"},
      {"DEL",
       {"CNI_CONTAINERID", "CNI_IFNAME"},
       "required env variables [CNI_CONTAINERID,CNI_IFNAME] missing"},
      {"DEL", {"CNI_PATH"}, "required env variables [CNI_PATH] missing"},
      {"GC", {"CNI_PATH"}, "required env variables [CNI_PATH] missing"},
  };
  for (const Error& e : errors) {
    EnvMap env = FullEnv(e.command);
    for (const auto& key : e.drop) env.erase(key);
    Result<CniEnv> parsed = ParseCniEnv(env);
    ASSERT_FALSE(parsed.ok()) << e.command << " without " << e.drop.front();
    EXPECT_EQ(parsed.status().code(), code::kInvalidEnv);
    EXPECT_EQ(parsed.status().msg(), e.message);
  }
}

TEST(CniEnvTest, EmptyValueCountsAsMissing) {
  EnvMap env = FullEnv("ADD");
  env["CNI_IFNAME"] = "";
  Result<CniEnv> parsed = ParseCniEnv(env);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), code::kInvalidEnv);
  EXPECT_EQ(parsed.status().msg(), "required env variables [CNI_IFNAME] missing");
}

TEST(CniEnvTest, RejectsUnknownCommand) {
  const std::string commands[] = {"FOO", "add", "Delete", " ADD"};
  for (const std::string& command : commands) {
    Result<CniEnv> parsed = ParseCniEnv(FullEnv(command));
    ASSERT_FALSE(parsed.ok()) << command;
    EXPECT_EQ(parsed.status().code(), code::kInvalidEnv);
    EXPECT_EQ(parsed.status().msg(), "unknown CNI_COMMAND: " + command);
  }
}

TEST(CniEnvTest, ChecksContainerIdCharset) {
  const std::string valid[] = {"a", "0", "abc-DEF_1.2", "3f2a9c1e0b7d", "x--..__"};
  for (const std::string& id : valid) {
    EnvMap env = FullEnv("ADD");
    env["CNI_CONTAINERID"] = id;
    EXPECT_TRUE(ParseCniEnv(env).ok()) << id;
    EXPECT_TRUE(IsValidCniIdentifier(id)) << id;
  }
  const std::string invalid[] = {"-abc", "_abc", ".abc", "ab/c", "ab c", "ab:c", "ab$c", "é"};
  for (const std::string& id : invalid) {
    EnvMap env = FullEnv("ADD");
    env["CNI_CONTAINERID"] = id;
    Result<CniEnv> parsed = ParseCniEnv(env);
    ASSERT_FALSE(parsed.ok()) << id;
    EXPECT_EQ(parsed.status().code(), code::kInvalidEnv);
    EXPECT_EQ(parsed.status().msg(), "invalid characters in containerID");
    EXPECT_NE(parsed.status().details().find(id), std::string::npos) << parsed.status().details();
    EXPECT_FALSE(IsValidCniIdentifier(id)) << id;
  }
  EXPECT_FALSE(IsValidCniIdentifier(""));
}

TEST(CniEnvTest, ChecksContainerIdOnDelToo) {
  EnvMap env = FullEnv("DEL");
  env["CNI_CONTAINERID"] = "../etc";
  Result<CniEnv> parsed = ParseCniEnv(env);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), code::kInvalidEnv);
}

TEST(CniEnvTest, AcceptsInterfaceNamesUpTo15Bytes) {
  const std::string valid[] = {"eth0", "e", "net1", "macvlan-123456", "a23456789012345", "ä"};
  for (const std::string& ifname : valid) {
    EnvMap env = FullEnv("ADD");
    env["CNI_IFNAME"] = ifname;
    EXPECT_TRUE(ParseCniEnv(env).ok()) << ifname;
    EXPECT_TRUE(ValidateIfName(ifname).ok()) << ifname;
  }
}

TEST(CniEnvTest, RejectsInterfaceNameLongerThan15) {
  EnvMap env = FullEnv("ADD");
  env["CNI_IFNAME"] = "a234567890123456";
  Result<CniEnv> parsed = ParseCniEnv(env);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), code::kInvalidEnv);
  EXPECT_EQ(parsed.status().msg(), "interface name is too long");
  EXPECT_NE(parsed.status().details().find("a234567890123456"), std::string::npos);
}

TEST(CniEnvTest, CountsInterfaceNameLengthInBytes) {
  // 8 two-byte characters: 16 bytes, although only 8 characters.
  Status status = ValidateIfName("ääääääää");
  EXPECT_EQ(status.code(), code::kInvalidEnv);
  EXPECT_EQ(status.msg(), "interface name is too long");
}

TEST(CniEnvTest, RejectsInvalidInterfaceNames) {
  struct Error {
    std::string ifname;
    std::string message;
  };
  const Error errors[] = {
      {".", "interface name is . or .."},
      {"..", "interface name is . or .."},
      {"eth/0", "interface name contains / or : or whitespace characters"},
      {"eth:0", "interface name contains / or : or whitespace characters"},
      {"eth 0", "interface name contains / or : or whitespace characters"},
      {"eth\t0", "interface name contains / or : or whitespace characters"},
      {"eth0\n", "interface name contains / or : or whitespace characters"},
      {"/", "interface name contains / or : or whitespace characters"},
      {std::string("eth0\0x", 6), "interface name contains control characters"},
      {"eth\x01", "interface name contains control characters"},
      {"eth\x7f", "interface name contains control characters"},
      {"eth\xff", "interface name is not valid UTF-8"},
      {"eth\xc3", "interface name is not valid UTF-8"},
      {"eth\xc0\xaf", "interface name is not valid UTF-8"},  // overlong "/"
  };
  for (const Error& e : errors) {
    EnvMap env = FullEnv("ADD");
    env["CNI_IFNAME"] = e.ifname;
    Result<CniEnv> parsed = ParseCniEnv(env);
    ASSERT_FALSE(parsed.ok()) << e.ifname;
    EXPECT_EQ(parsed.status().code(), code::kInvalidEnv) << e.ifname;
    EXPECT_EQ(parsed.status().msg(), e.message) << e.ifname;
    EXPECT_EQ(ValidateIfName(e.ifname).msg(), e.message);
  }
  EXPECT_EQ(ValidateIfName("").code(), code::kInvalidEnv);
  EXPECT_EQ(ValidateIfName("").msg(), "interface name is empty");
}

TEST(CniEnvTest, Utf8Validation) {
  for (std::string_view ok : {"", "eth0", "ä", "\xe2\x82\xac", "\xf0\x9f\x98\x80"}) {
    EXPECT_TRUE(IsValidUtf8(ok)) << ok;
  }
  for (std::string_view bad :
       {"\x80", "\xc3", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe0\x80\xaf"}) {
    EXPECT_FALSE(IsValidUtf8(bad)) << bad;
  }
}

TEST(CniEnvTest, ChecksInterfaceNameOnDel) {
  EnvMap env = FullEnv("DEL");
  env["CNI_IFNAME"] = "..";
  Result<CniEnv> parsed = ParseCniEnv(env);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), code::kInvalidEnv);
}

TEST(K8sArgsTest, ExtractsThePodKeys) {
  Result<K8sArgs> k8s = ParseK8sArgs(
      "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=pod;K8S_POD_INFRA_CONTAINER_ID=cid;"
      "K8S_POD_UID=uid-1;Other=x");
  ASSERT_TRUE(k8s.ok()) << k8s.status().msg();
  EXPECT_EQ(k8s->pod_namespace, "ns");
  EXPECT_EQ(k8s->pod_name, "pod");
  EXPECT_EQ(k8s->pod_infra_container_id, "cid");
  EXPECT_EQ(k8s->pod_uid, "uid-1");
}

TEST(K8sArgsTest, AcceptsUnknownKeysOnlyWithIgnoreUnknown) {
  const std::string cases[] = {
      "",
      "K8S_POD_NAME=p",
      "IgnoreUnknown=1;Foo=bar",
      "Foo=bar;IgnoreUnknown=true",  // order does not matter
      "IgnoreUnknown=True;Foo=bar",
      "IgnoreUnknown=TRUE;Foo=bar",
      "IP=10.0.0.1;MAC=aa:bb:cc:dd:ee:ff",  // known to libcni plugins
  };
  for (const std::string& args : cases) {
    EXPECT_TRUE(ParseK8sArgs(args).ok()) << args;
  }
  struct Error {
    std::string args;
    std::string message;
  };
  const Error errors[] = {
      {"Foo=bar", "CNI_ARGS: unknown args [Foo]"},
      {"Foo=bar;Baz=1;K8S_POD_NAME=p", "CNI_ARGS: unknown args [Foo Baz]"},
      {"IgnoreUnknown=0;Foo=bar", "CNI_ARGS: unknown args [Foo]"},
      {"IgnoreUnknown=false;Foo=bar", "CNI_ARGS: unknown args [Foo]"},
      {"K8S_POD_NAME", "CNI_ARGS: invalid pair \"K8S_POD_NAME\""},
  };
  for (const Error& e : errors) {
    Result<K8sArgs> k8s = ParseK8sArgs(e.args);
    ASSERT_FALSE(k8s.ok()) << e.args;
    EXPECT_EQ(k8s.status().code(), code::kInvalidEnv);
    EXPECT_EQ(k8s.status().msg(), e.message);
  }
}

TEST(K8sArgsTest, PodRefIsNamespaceNameUid) {
  K8sArgs k8s;
  k8s.pod_namespace = "ns";
  k8s.pod_name = "pod";
  k8s.pod_uid = "uid";
  EXPECT_EQ(PodRef(k8s), "[ns/pod/uid]");
  EXPECT_EQ(PodRef(K8sArgs{}), "[//]");
}

}  // namespace
}  // namespace multus
