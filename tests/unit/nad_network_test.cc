#include "multus/nad_network.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "multus/device_info.h"
#include "testing/temp_dir.h"

namespace multus {
namespace {

// A named default config: GCC 12 at -O3 reports a false maybe-uninitialized on a temporary.
const NetConf& DefaultConf() {
  static const NetConf conf;
  return conf;
}

std::string Conf(const std::string& name, const std::string& type = "macvlan") {
  return R"({"cniVersion":"0.4.0","name":")" + name + R"(","type":")" + type + R"("})";
}

using test::TempDir;
using test::WriteFile;

Nad MakeNad(std::string config, std::string name = "macvlan-conf") {
  return Nad{"ns", std::move(name), std::move(config), {}};
}

TEST(NadNetworkTest, NadConfigWithANameIsKeptByteForByte) {
  const std::string config =
      R"({ "cniVersion": "0.3.1", "name": "mine", "type": "macvlan", "mtu": 1.50 })";
  Result<ResolvedNetwork> network = NetworkFromNad(MakeNad(config), DefaultConf());
  ASSERT_TRUE(network.ok()) << network.status().msg();
  EXPECT_EQ(network->display_name, "ns/macvlan-conf");
  EXPECT_EQ(network->conf.bytes, config);
  EXPECT_EQ(network->ifname_request, "");
}

TEST(NadNetworkTest, NadNameIsInjectedWhenMissingWithoutReformattingNumbers) {
  struct Case {
    std::string label, config, expected;
  };
  const Case cases[] = {
      {"conf without name",
       R"({"cniVersion":"0.3.1","type":"macvlan","big":123456789012345678901234567890,"f":1.10})",
       R"({"cniVersion":"0.3.1","type":"macvlan","big":123456789012345678901234567890,"f":1.10,"name":"macvlan-conf"})"},
      {"conf with empty name", R"({"cniVersion":"0.3.1","name":"","type":"macvlan","mtu":9000})",
       R"({"cniVersion":"0.3.1","name":"macvlan-conf","type":"macvlan","mtu":9000})"},
      {"conflist without name",
       R"({"cniVersion":"1.0.0","plugins":[{"type":"macvlan","n":18446744073709551617},{"type":"tuning"}]})",
       R"({"cniVersion":"1.0.0","plugins":[{"type":"macvlan","n":18446744073709551617},{"type":"tuning"}],"name":"macvlan-conf"})"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    Result<ResolvedNetwork> network = NetworkFromNad(MakeNad(c.config), DefaultConf());
    ASSERT_TRUE(network.ok()) << network.status().msg();
    EXPECT_EQ(network->conf.bytes, c.expected);
    EXPECT_EQ(network->display_name, "ns/macvlan-conf");
  }
}

TEST(NadNetworkTest, NadWithoutSpecConfigUsesTheConfDirFileOfItsName) {
  TempDir dir;
  WriteFile(dir / "10-other.conf", Conf("other"));
  WriteFile(dir / "20-macvlan.conflist",
            R"({"cniVersion":"1.0.0","name":"macvlan-conf","plugins":[{"type":"macvlan"}]})");
  NetConf conf;
  conf.conf_dir = dir.path();
  Result<ResolvedNetwork> network = NetworkFromNad(MakeNad(""), conf);
  ASSERT_TRUE(network.ok()) << network.status().msg();
  EXPECT_EQ(network->display_name, "ns/macvlan-conf");
  EXPECT_EQ(network->conf.bytes,
            R"({"cniVersion":"1.0.0","name":"macvlan-conf","plugins":[{"type":"macvlan"}]})");

  Result<ResolvedNetwork> missing = NetworkFromNad(MakeNad("", "absent"), conf);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), code::kInvalidConfig);
  EXPECT_EQ(
      missing.status().msg(),
      "NAD ns/absent has no spec.config: no network available in the name absent in cni dir " +
          dir.path());
}

TEST(NadNetworkTest, BadNadConfigIsCode7NamingTheNad) {
  struct Error {
    std::string config, message;
  };
  const Error errors[] = {
      {"{ not json", "NAD ns/macvlan-conf: spec.config is not valid JSON: "},
      {"[1,2]", "NAD ns/macvlan-conf: spec.config is not an object"},
      {R"("text")", "NAD ns/macvlan-conf: spec.config is not an object"},
      {R"({"cniVersion":"0.3.1","name":"x","type":"../../bin/sh"})", "NAD ns/macvlan-conf: "},
  };
  for (const Error& e : errors) {
    SCOPED_TRACE(e.config);
    Result<ResolvedNetwork> network = NetworkFromNad(MakeNad(e.config), DefaultConf());
    ASSERT_FALSE(network.ok());
    EXPECT_EQ(network.status().code(), code::kInvalidConfig);
    EXPECT_EQ(network.status().msg().substr(0, e.message.size()), e.message)
        << network.status().msg();
  }
}

TEST(NadNetworkTest, NadResourceNameAnnotationIsKept) {
  Nad nad = MakeNad(Conf("sriov", "sriov"), "sriov");
  nad.annotations[std::string(kResourceNameAnnotation)] = "intel.com/sriov";
  Result<ResolvedNetwork> network = NetworkFromNad(nad, DefaultConf());
  ASSERT_TRUE(network.ok()) << network.status().msg();
  EXPECT_EQ(network->resource_name, "intel.com/sriov");
}

}  // namespace
}  // namespace multus
