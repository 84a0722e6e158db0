#include "multus/cni_result.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <tuple>

namespace multus {
namespace {

using json = nlohmann::json;

constexpr std::string_view kAllVersions[] = {"0.1.0", "0.2.0", "0.3.0", "0.3.1",
                                             "0.4.0", "1.0.0", "1.1.0"};

// ---------------------------------------------------------------------------------------------
// ParseResult

TEST(CniResultTest, ParseKeepsOwnCniVersion) {
  Result<json> result = ParseResult(R"({"cniVersion":"0.4.0","dns":{}})", "1.0.0");
  ASSERT_TRUE(result.ok()) << result.status().msg();
  EXPECT_EQ(*result, json::parse(R"({"cniVersion":"0.4.0","dns":{}})"));
}

TEST(CniResultTest, ParseFallsBackToConfigVersion) {
  Result<json> result = ParseResult(R"({"ips":[{"address":"10.0.0.2/24"}]})", "1.0.0");
  ASSERT_TRUE(result.ok()) << result.status().msg();
  EXPECT_EQ(*result, json::parse(R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/24"}]})"));
}

TEST(CniResultTest, ParseTreatsEmptyOrNullOwnVersionAsAbsent) {
  for (const char* bytes : {R"({"cniVersion":""})", R"({"cniVersion":null})"}) {
    SCOPED_TRACE(bytes);
    Result<json> result = ParseResult(bytes, "0.3.1");
    ASSERT_TRUE(result.ok()) << result.status().msg();
    EXPECT_EQ(result->at("cniVersion"), "0.3.1");
  }
}

TEST(CniResultTest, ParseAssumes010WhenNoVersionIsGivenAnywhere) {
  Result<json> result = ParseResult(R"({"ip4":{"ip":"10.0.0.2/24"}})", "");
  ASSERT_TRUE(result.ok()) << result.status().msg();
  EXPECT_EQ(result->at("cniVersion"), "0.1.0");
}

TEST(CniResultTest, ParseRejectsNonObjectWithCode6) {
  for (const char* bytes : {"[]", R"("result")", "42", "null", "true"}) {
    SCOPED_TRACE(bytes);
    Result<json> result = ParseResult(bytes, "1.0.0");
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), code::kDecode);
    EXPECT_EQ(result.status().msg(), "plugin result is not a JSON object");
  }
}

TEST(CniResultTest, ParseRejectsInvalidJsonWithCode6) {
  for (const char* bytes : {"", "{", "not json", R"({"a":1} trailing)"}) {
    SCOPED_TRACE(bytes);
    Result<json> result = ParseResult(bytes, "1.0.0");
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), code::kDecode);
    EXPECT_EQ(result.status().msg(), "cannot decode plugin result");
    EXPECT_FALSE(result.status().details().empty());
  }
}

TEST(CniResultTest, ParseRejectsNonStringCniVersionWithCode6) {
  Result<json> result = ParseResult(R"({"cniVersion":1.0})", "1.0.0");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), code::kDecode);
}

// ---------------------------------------------------------------------------------------------
// ConvertResult over every pair of versions

// What a result of a version can carry, from least to most.
enum class Content { kAddresses, kInterfaces, kExtended };

Content ContentOf(std::string_view version) {
  if (version == "0.1.0" || version == "0.2.0") return Content::kAddresses;
  if (version == "1.1.0") return Content::kExtended;
  return Content::kInterfaces;
}

json SampleDns() {
  return json::parse(R"({"nameservers":["10.96.0.10"],"domain":"cluster.local",
                         "search":["svc.cluster.local"],"options":["ndots:5"]})");
}

json LegacySample(std::string_view version) {
  json sample = json::parse(R"({
      "ip4": {"ip": "10.1.2.3/24", "gateway": "10.1.2.1",
              "routes": [{"dst": "0.0.0.0/0", "gw": "10.1.2.1"}]},
      "ip6": {"ip": "fd00::3/64", "gateway": "fd00::1",
              "routes": [{"dst": "::/0", "gw": "fd00::1"}]}})");
  sample["cniVersion"] = version;
  sample["dns"] = SampleDns();
  return sample;
}

json SampleIps(std::string_view version, Content content) {
  json ips = json::parse(R"([{"interface": 0, "address": "10.1.2.3/24", "gateway": "10.1.2.1"},
                             {"interface": 0, "address": "fd00::3/64", "gateway": "fd00::1"}])");
  if (version.starts_with("0.")) {
    ips[0]["version"] = "4";
    ips[1]["version"] = "6";
  }
  if (content == Content::kAddresses) {
    for (json& ip : ips) ip.erase("interface");
  }
  return ips;
}

json SampleRoutes(Content content) {
  json routes = json::parse(R"([{"dst": "0.0.0.0/0", "gw": "10.1.2.1"},
                                {"dst": "::/0", "gw": "fd00::1"}])");
  if (content == Content::kExtended) {
    for (json& route : routes) {
      route.update(
          json::parse(R"({"mtu":1400,"advmss":1360,"priority":100,"table":254,"scope":0})"));
    }
  }
  return routes;
}

json SampleInterfaces(Content content) {
  json interface = {
      {"name", "eth0"}, {"mac", "0a:58:0a:01:02:03"}, {"sandbox", "/var/run/netns/p"}};
  if (content == Content::kExtended) {
    interface.update(
        json::parse(R"({"mtu":1500,"socketPath":"/run/vhu.sock","pciID":"0000:3b:00.1"})"));
  }
  return json::array({interface});
}

// One attachment (eth0 with an IPv4 and an IPv6 address, a default route per family, DNS)
// written in `version`'s format, holding no more than `content`.
json Sample(std::string_view version, Content content) {
  if (ContentOf(version) == Content::kAddresses) return LegacySample(version);
  json sample = {{"cniVersion", version},
                 {"ips", SampleIps(version, content)},
                 {"routes", SampleRoutes(content)},
                 {"dns", SampleDns()}};
  if (content != Content::kAddresses) sample["interfaces"] = SampleInterfaces(content);
  return sample;
}

using VersionPair = std::tuple<std::string_view, std::string_view>;

class CniResultAllPairsTest : public testing::TestWithParam<VersionPair> {};

TEST_P(CniResultAllPairsTest, ConvertsToTargetShapeKeepingWhatBothVersionsCarry) {
  const auto [from, to] = GetParam();
  Result<json> converted = ConvertResult(Sample(from, ContentOf(from)), to);
  ASSERT_TRUE(converted.ok()) << converted.status().msg() << ": " << converted.status().details();
  const json expected = Sample(to, std::min(ContentOf(from), ContentOf(to)));
  EXPECT_EQ(*converted, expected) << "got:\n"
                                  << PrintResult(*converted) << "\nwant:\n"
                                  << PrintResult(expected);
}

std::string PairName(const testing::TestParamInfo<VersionPair>& info) {
  std::string name = "from_" + std::string(std::get<0>(info.param)) + "_to_" +
                     std::string(std::get<1>(info.param));
  std::replace(name.begin(), name.end(), '.', '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(CniResult, CniResultAllPairsTest,
                         testing::Combine(testing::ValuesIn(kAllVersions),
                                          testing::ValuesIn(kAllVersions)),
                         PairName);

// ---------------------------------------------------------------------------------------------
// ConvertResult: exact shapes

json MustConvert(std::string_view text, std::string_view to_version) {
  Result<json> converted = ConvertResult(json::parse(text), to_version);
  EXPECT_TRUE(converted.ok()) << converted.status().msg() << ": " << converted.status().details();
  return converted.ok() ? *converted : json();
}

constexpr std::string_view kResult020 = R"({
    "cniVersion": "0.2.0",
    "ip4": {"ip": "10.0.0.2/24", "gateway": "10.0.0.1",
            "routes": [{"dst": "0.0.0.0/0", "gw": "10.0.0.1"}, {"dst": "192.168.0.0/16"}]},
    "ip6": {"ip": "2001:db8::2/64", "routes": [{"dst": "::/0", "gw": "2001:db8::1"}]},
    "dns": {"nameservers": ["10.0.0.53"]}})";

TEST(CniResultTest, UpFrom020To031CreatesVersionedIpsWithoutInterfaces) {
  EXPECT_EQ(MustConvert(kResult020, "0.3.1"), json::parse(R"({
      "cniVersion": "0.3.1",
      "ips": [{"version": "4", "address": "10.0.0.2/24", "gateway": "10.0.0.1"},
              {"version": "6", "address": "2001:db8::2/64"}],
      "routes": [{"dst": "0.0.0.0/0", "gw": "10.0.0.1"}, {"dst": "192.168.0.0/16"},
                 {"dst": "::/0", "gw": "2001:db8::1"}],
      "dns": {"nameservers": ["10.0.0.53"]}})"));
}

TEST(CniResultTest, UpFrom020To100CreatesIpsWithoutVersionOrInterface) {
  EXPECT_EQ(MustConvert(kResult020, "1.0.0"), json::parse(R"({
      "cniVersion": "1.0.0",
      "ips": [{"address": "10.0.0.2/24", "gateway": "10.0.0.1"}, {"address": "2001:db8::2/64"}],
      "routes": [{"dst": "0.0.0.0/0", "gw": "10.0.0.1"}, {"dst": "192.168.0.0/16"},
                 {"dst": "::/0", "gw": "2001:db8::1"}],
      "dns": {"nameservers": ["10.0.0.53"]}})"));
}

TEST(CniResultTest, UpFrom020WithOnlyIp6) {
  EXPECT_EQ(MustConvert(R"({"cniVersion":"0.1.0","ip6":{"ip":"fd00::5/64"}})", "0.4.0"),
            json::parse(R"({"cniVersion":"0.4.0",
                            "ips":[{"version":"6","address":"fd00::5/64"}]})"));
}

TEST(CniResultTest, DownTo020KeepsFirstAddressOfEachFamilyAndSplitsRoutes) {
  EXPECT_EQ(MustConvert(R"({
      "cniVersion": "0.3.1",
      "interfaces": [{"name": "eth0", "mac": "0a:58:0a:00:00:02", "sandbox": "/var/run/netns/p"},
                     {"name": "net1"}],
      "ips": [{"version": "4", "interface": 0, "address": "10.0.0.2/24", "gateway": "10.0.0.1"},
              {"version": "6", "interface": 0, "address": "fd00::2/64"},
              {"version": "4", "interface": 1, "address": "10.9.0.2/24", "gateway": "10.9.0.1"},
              {"version": "6", "interface": 1, "address": "fd09::2/64", "gateway": "fd09::1"}],
      "routes": [{"dst": "10.0.0.0/8"}, {"dst": "fd00::/8", "gw": "fd00::1"},
                 {"dst": "0.0.0.0/0", "gw": "10.0.0.1"}, {"dst": "2001:db8::/32"}],
      "dns": {"nameservers": ["10.0.0.53"], "domain": "example.org"}})",
                        "0.2.0"),
            json::parse(R"({
      "cniVersion": "0.2.0",
      "ip4": {"ip": "10.0.0.2/24", "gateway": "10.0.0.1",
              "routes": [{"dst": "10.0.0.0/8"}, {"dst": "0.0.0.0/0", "gw": "10.0.0.1"}]},
      "ip6": {"ip": "fd00::2/64",
              "routes": [{"dst": "fd00::/8", "gw": "fd00::1"}, {"dst": "2001:db8::/32"}]},
      "dns": {"nameservers": ["10.0.0.53"], "domain": "example.org"}})"));
}

TEST(CniResultTest, DownTo020DropsRoutesOfFamilyWithoutAddress) {
  EXPECT_EQ(MustConvert(R"({"cniVersion": "1.0.0",
                            "ips": [{"address": "10.0.0.2/24"}],
                            "routes": [{"dst": "::/0"}, {"dst": "0.0.0.0/0"}]})",
                        "0.1.0"),
            json::parse(R"({"cniVersion": "0.1.0",
                            "ip4": {"ip": "10.0.0.2/24", "routes": [{"dst": "0.0.0.0/0"}]}})"));
}

TEST(CniResultTest, DownTo020WithoutAnyAddressIsCode1) {
  Result<json> converted = ConvertResult(
      json::parse(R"({"cniVersion":"1.0.0","interfaces":[{"name":"eth0"}]})"), "0.2.0");
  ASSERT_FALSE(converted.ok());
  EXPECT_EQ(converted.status().code(), code::kIncompatibleVersion);
  EXPECT_EQ(converted.status().msg(), "cannot convert result to 0.2.0: no IP address");
}

TEST(CniResultTest, LegacyResultWithoutAddressStaysConvertibleToLegacy) {
  EXPECT_EQ(MustConvert(R"({"cniVersion":"0.2.0","dns":{"domain":"x"}})", "0.1.0"),
            json::parse(R"({"cniVersion":"0.1.0","dns":{"domain":"x"}})"));
}

TEST(CniResultTest, Ipv4MappedAddressCountsAsIpv4LikeGo) {
  const char* result = R"({"cniVersion":"1.0.0","ips":[{"address":"::ffff:10.0.0.5/128"}]})";
  EXPECT_EQ(MustConvert(result, "0.4.0")["ips"][0]["version"], "4");
  EXPECT_EQ(MustConvert(result, "0.2.0")["ip4"]["ip"], "::ffff:10.0.0.5/128");
}

TEST(CniResultTest, UpFrom04xTo100DropsVersion) {
  EXPECT_EQ(MustConvert(R"({"cniVersion": "0.4.0",
                            "interfaces": [{"name": "eth0", "sandbox": "/var/run/netns/p"}],
                            "ips": [{"version": "4", "interface": 0, "address": "10.0.0.2/24"}],
                            "routes": [{"dst": "0.0.0.0/0", "gw": "10.0.0.1"}]})",
                        "1.0.0"),
            json::parse(R"({"cniVersion": "1.0.0",
                            "interfaces": [{"name": "eth0", "sandbox": "/var/run/netns/p"}],
                            "ips": [{"interface": 0, "address": "10.0.0.2/24"}],
                            "routes": [{"dst": "0.0.0.0/0", "gw": "10.0.0.1"}]})"));
}

TEST(CniResultTest, DownFrom100To030AddsVersionFromAddressFamily) {
  EXPECT_EQ(MustConvert(R"({"cniVersion": "1.0.0",
                            "ips": [{"interface": 0, "address": "fd00::2/64", "gateway": "fd00::1"},
                                    {"interface": 0, "address": "10.0.0.2/24"}]})",
                        "0.3.0"),
            json::parse(R"({"cniVersion": "0.3.0",
                            "ips": [{"version": "6", "interface": 0, "address": "fd00::2/64",
                                     "gateway": "fd00::1"},
                                    {"version": "4", "interface": 0, "address": "10.0.0.2/24"}]})"));
}

constexpr std::string_view kResult110 = R"({
    "cniVersion": "1.1.0",
    "interfaces": [{"name": "net1", "mac": "0a:58:0a:00:00:02", "mtu": 9000,
                    "socketPath": "/run/vhu.sock", "pciID": "0000:3b:00.1"}],
    "ips": [{"interface": 0, "address": "10.0.0.2/24"}],
    "routes": [{"dst": "10.1.0.0/16", "gw": "10.0.0.1", "mtu": 1400, "advmss": 1360,
                "priority": 10, "table": 100, "scope": 0}],
    "dns": {"search": ["example.org"]}})";

TEST(CniResultTest, DownFrom110To100DropsExtendedFields) {
  EXPECT_EQ(MustConvert(kResult110, "1.0.0"), json::parse(R"({
      "cniVersion": "1.0.0",
      "interfaces": [{"name": "net1", "mac": "0a:58:0a:00:00:02"}],
      "ips": [{"interface": 0, "address": "10.0.0.2/24"}],
      "routes": [{"dst": "10.1.0.0/16", "gw": "10.0.0.1"}],
      "dns": {"search": ["example.org"]}})"));
}

TEST(CniResultTest, DownFrom110To040DropsExtendedFieldsAndAddsVersion) {
  EXPECT_EQ(MustConvert(kResult110, "0.4.0"), json::parse(R"({
      "cniVersion": "0.4.0",
      "interfaces": [{"name": "net1", "mac": "0a:58:0a:00:00:02"}],
      "ips": [{"version": "4", "interface": 0, "address": "10.0.0.2/24"}],
      "routes": [{"dst": "10.1.0.0/16", "gw": "10.0.0.1"}],
      "dns": {"search": ["example.org"]}})"));
}

TEST(CniResultTest, DownFrom110To020DropsInterfacesAndExtendedRouteFields) {
  EXPECT_EQ(MustConvert(kResult110, "0.2.0"), json::parse(R"({
      "cniVersion": "0.2.0",
      "ip4": {"ip": "10.0.0.2/24", "routes": [{"dst": "10.1.0.0/16", "gw": "10.0.0.1"}]},
      "dns": {"search": ["example.org"]}})"));
}

TEST(CniResultTest, From110To110KeepsEverything) {
  EXPECT_EQ(MustConvert(kResult110, "1.1.0"), json::parse(kResult110));
}

TEST(CniResultTest, KeepsLargeIntegersExact) {
  const json converted = MustConvert(
      R"({"cniVersion":"1.1.0","routes":[{"dst":"0.0.0.0/0","table":4294967295,"priority":9007199254740993}]})",
      "1.1.0");
  EXPECT_EQ(converted["routes"][0]["table"].get<std::uint64_t>(), 4294967295u);
  EXPECT_EQ(converted["routes"][0]["priority"].get<std::uint64_t>(), 9007199254740993u);
}

TEST(CniResultTest, ChangesOnlyCniVersionWithinALayout) {
  const char* result = R"({"cniVersion":"0.3.0","interfaces":[{"name":"eth0"}],
                           "ips":[{"version":"4","interface":0,"address":"10.0.0.2/24"}]})";
  json expected = json::parse(result);
  expected["cniVersion"] = "0.3.1";
  EXPECT_EQ(MustConvert(result, "0.3.1"), expected);
}

TEST(CniResultTest, DropsFieldsTheTargetVersionDoesNotDefine) {
  EXPECT_EQ(MustConvert(R"({"cniVersion": "1.0.0", "extra": 1,
                            "interfaces": [{"name": "eth0", "color": "blue"}],
                            "ips": [{"address": "10.0.0.2/24", "version": "4", "prefix": 24}],
                            "routes": [{"dst": "0.0.0.0/0", "metric": 5}],
                            "dns": {"domain": "x", "ttl": 3}})",
                        "1.0.0"),
            json::parse(R"({"cniVersion": "1.0.0", "interfaces": [{"name": "eth0"}],
                            "ips": [{"address": "10.0.0.2/24"}], "routes": [{"dst": "0.0.0.0/0"}],
                            "dns": {"domain": "x"}})"));
}

TEST(CniResultTest, UnknownTargetVersionIsCode1) {
  const json result = json::parse(R"({"cniVersion":"1.0.0"})");
  for (const char* version : {"", "0.5.0", "1.2.0", "v1.0.0", "1.0"}) {
    SCOPED_TRACE(version);
    Result<json> converted = ConvertResult(result, version);
    ASSERT_FALSE(converted.ok());
    EXPECT_EQ(converted.status().code(), code::kIncompatibleVersion);
    EXPECT_EQ(converted.status().msg(),
              "unsupported CNI result version \"" + std::string(version) + "\"");
  }
}

TEST(CniResultTest, UnknownSourceVersionIsCode1) {
  struct Case {
    const char* result;
    const char* msg;
  } cases[] = {
      {R"({"cniVersion":"0.5.0"})", R"(unsupported CNI result version "0.5.0")"},
      {R"({"ips":[]})", R"(unsupported CNI result version "")"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.result);
    Result<json> converted = ConvertResult(json::parse(c.result), "1.0.0");
    ASSERT_FALSE(converted.ok());
    EXPECT_EQ(converted.status().code(), code::kIncompatibleVersion);
    EXPECT_EQ(converted.status().msg(), c.msg);
  }
}

TEST(CniResultTest, MalformedResultIsCode6) {
  struct Case {
    const char* result;
    const char* to_version;
  } errors[] = {
      {R"([])", "1.0.0"},
      {R"({"cniVersion":1})", "1.0.0"},
      {R"({"cniVersion":"1.0.0","ips":{}})", "1.0.0"},
      {R"({"cniVersion":"1.0.0","ips":["10.0.0.2/24"]})", "1.0.0"},
      {R"({"cniVersion":"1.0.0","ips":[{"gateway":"10.0.0.1"}]})", "0.4.0"},
      {R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.300/24"}]})", "0.4.0"},
      {R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/24"}],"routes":[{"gw":"x"}]})",
       "0.2.0"},
      {R"({"cniVersion":"1.0.0","dns":"10.0.0.53"})", "1.1.0"},
      {R"({"cniVersion":"0.2.0","ip4":{"gateway":"10.0.0.1"}})", "1.0.0"},
      {R"({"cniVersion":"0.2.0","ip4":"10.0.0.2/24"})", "1.0.0"},
  };
  for (const Case& c : errors) {
    SCOPED_TRACE(c.result);
    Result<json> converted = ConvertResult(json::parse(c.result), c.to_version);
    ASSERT_FALSE(converted.ok());
    EXPECT_EQ(converted.status().code(), code::kDecode);
    EXPECT_EQ(converted.status().msg(), "malformed CNI result");
  }
}

TEST(CniResultTest, InvalidAddressIsNamedInDetails) {
  Result<json> converted =
      ConvertResult(json::parse(R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/24"}],
                      "routes":[{"dst":"default"}]})"),
                    "0.2.0");
  ASSERT_FALSE(converted.ok());
  EXPECT_EQ(converted.status().code(), code::kDecode);
  EXPECT_EQ(converted.status().details(), R"(invalid IP address "default")");
}

// ---------------------------------------------------------------------------------------------
// PrintResult

TEST(CniResultTest, PrintUsesFourSpaceIndentationWithoutTrailingNewline) {
  EXPECT_EQ(PrintResult(json::parse(R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/24"}]})")),
            "{\n"
            "    \"cniVersion\": \"1.0.0\",\n"
            "    \"ips\": [\n"
            "        {\n"
            "            \"address\": \"10.0.0.2/24\"\n"
            "        }\n"
            "    ]\n"
            "}");
}

TEST(CniResultTest, PrintReplacesInvalidUtf8InsteadOfThrowing) {
  EXPECT_EQ(PrintResult(json{{"msg", std::string("a\xff")}}),
            "{\n    \"msg\": \"a\xEF\xBF\xBD\"\n}");
}

}  // namespace
}  // namespace multus
