#include "multus/json_parse.h"

#include <gtest/gtest.h>

#include <string>

#include "multus/annotations.h"
#include "multus/cni_result.h"
#include "multus/net_conf.h"

namespace multus {
namespace {

std::string Nested(int depth, std::string_view open = "[", std::string_view close = "]") {
  std::string text;
  for (int i = 0; i < depth; ++i) text += open;
  for (int i = 0; i < depth; ++i) text += close;
  return text;
}

TEST(JsonDepthTest, CountsArraysAndObjectsButNotStrings) {
  EXPECT_TRUE(JsonDepthWithin(R"({"a":[1,{"b":[]}]})", 4));
  EXPECT_FALSE(JsonDepthWithin(R"({"a":[1,{"b":[]}]})", 3));
  EXPECT_TRUE(JsonDepthWithin(R"(["[[[[{{{{", "\"[[[["])", 1));
  EXPECT_TRUE(JsonDepthWithin(Nested(kMaxJsonDepth), kMaxJsonDepth));
  EXPECT_FALSE(JsonDepthWithin(Nested(kMaxJsonDepth + 1), kMaxJsonDepth));
}

TEST(JsonDepthTest, TooDeepIsAJsonExceptionNamingTheLimit) {
  try {
    (void)ParseJson(Nested(100000));
    FAIL() << "no exception";
  } catch (const nlohmann::json::exception& e) {
    EXPECT_NE(std::string(e.what()).find("nested deeper than 128"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(ParseJson(Nested(kMaxJsonDepth)).size(), 1u);
}

// Fuzz finding (tests/fuzz/crashes/install_config-nul-after-master-breaks-config): nlohmann
// stops at a NUL byte, so `{...}\0]]]` parsed as the object while libcni and the plugins refuse
// the whole text. No JSON document contains a raw NUL, so it is refused.
TEST(JsonDepthTest, ANulByteAnywhereIsRefused) {
  for (const std::string& text : {std::string("{}\0]]]", 5), std::string("{\"a\":\"\0\"}", 9),
                                 std::string("\0", 1)}) {
    try {
      (void)ParseJson(text);
      FAIL() << "no exception";
    } catch (const nlohmann::json::exception& e) {
      EXPECT_NE(std::string(e.what()).find("NUL byte"), std::string::npos) << e.what();
    }
  }
}

TEST(JsonDepthTest, OwnFilesHaveALargerButBoundedLimit) {
  EXPECT_EQ(ParseJson(Nested(kMaxOwnFileJsonDepth), kMaxOwnFileJsonDepth).size(), 1u);
  EXPECT_THROW((void)ParseJson(Nested(kMaxOwnFileJsonDepth + 1), kMaxOwnFileJsonDepth),
               nlohmann::json::exception);
}

// Audit finding 1: a 100,000-deep member crashed multus with a stack overflow when the
// document was copied or serialized. Every entry point now refuses it with a CNI error.
TEST(JsonDepthTest, DeepRuntimeConfigIsADecodeError) {
  std::string conf = R"({"name":"m","cniVersion":"1.0.0","runtimeConfig":{"x":)" +
                     Nested(100000, "{\"a\":", "}") + "null" +
                     R"(},"delegates":[{"name":"d","type":"bridge"}]})";
  Result<NetConf> parsed = ParseNetConf(conf);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), code::kDecode);
  EXPECT_NE((parsed.status().msg() + parsed.status().details()).find("nested deeper"),
            std::string::npos)
      << parsed.status().msg() << " | " << parsed.status().details();
}

TEST(JsonDepthTest, DeepPortMappingsInTheAnnotationAreRefused) {
  std::string annotation = R"([{"name":"a","portMappings":[{"hostPort":1,"x":)" +
                           Nested(100000) + "}]}]";
  Result<std::vector<NetworkSelection>> parsed = ParseNetworkSelections("k8s.v1.cni.cncf.io/networks", annotation, "ns");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE((parsed.status().msg() + parsed.status().details()).find("nested deeper"),
            std::string::npos)
      << parsed.status().msg() << " | " << parsed.status().details();
}

TEST(JsonDepthTest, DeepDelegateResultIsRefused) {
  std::string result = R"({"cniVersion":"1.0.0","ips":[],"x":)" + Nested(100000) + "}";
  Result<nlohmann::json> parsed = ParseResult(result, "1.0.0");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE((parsed.status().msg() + parsed.status().details()).find("nested deeper"),
            std::string::npos)
      << parsed.status().msg() << " | " << parsed.status().details();
}

}  // namespace
}  // namespace multus
