#include "shim_protocol.h"

#include <gtest/gtest.h>

#include "multus/base64.h"

namespace multus::daemon {
namespace {

TEST(ShimProtocolTest, DecodesEnvConfigAndInterfaceAttributes) {
  std::string body = R"({"env":{"CNI_COMMAND":"ADD","CNI_IFNAME":"eth0"},"config":")" +
                     Base64Encode(R"({"cniVersion":"1.0.0"})") +
                     R"(","interfaceAttributes":{"mac":"02:00:00:00:00:01"}})";
  Result<ShimRequest> request = DecodeShimRequest(body);
  ASSERT_TRUE(request.ok()) << request.status().msg();
  EXPECT_EQ(request->env, (EnvMap{{"CNI_COMMAND", "ADD"}, {"CNI_IFNAME", "eth0"}}));
  EXPECT_EQ(request->config, R"({"cniVersion":"1.0.0"})");
  EXPECT_EQ(request->interface_attributes, R"({"mac":"02:00:00:00:00:01"})");
}

TEST(ShimProtocolTest, RefusesMalformedRequests) {
  struct Case {
    const char* body;
    int code;
    const char* msg;
  } errors[] = {
      {"nope", code::kDecode, "invalid request to the multus daemon: body is not JSON"},
      {"[]", code::kDecode, "invalid request to the multus daemon: body is not a JSON object"},
      {R"({"config":""})", code::kInvalidEnv,
       "invalid request to the multus daemon: no \"env\" object"},
      {R"({"env":{}})", code::kInvalidEnv,
       "invalid request to the multus daemon: env has no CNI_COMMAND"},
      {R"({"env":{"CNI_COMMAND":1}})", code::kDecode,
       "invalid request to the multus daemon: env \"CNI_COMMAND\" is not a string"},
      {R"({"env":{"CNI_COMMAND":"ADD"},"config":"%%%"})", code::kDecode,
       "invalid request to the multus daemon: \"config\": "},
      {R"({"env":{"CNI_COMMAND":"ADD"},"config":5})", code::kDecode,
       "invalid request to the multus daemon: \"config\" is not a base64 string"},
  };
  for (const Case& c : errors) {
    Result<ShimRequest> request = DecodeShimRequest(c.body);
    ASSERT_FALSE(request.ok()) << c.body;
    EXPECT_EQ(request.status().code(), c.code) << c.body;
    EXPECT_EQ(request.status().msg().substr(0, std::string(c.msg).size()), c.msg) << c.body;
  }
}

TEST(ShimProtocolTest, WrapsAnAddResult) {
  HttpResponse response = EncodeCniReply(0, "{\n  \"cniVersion\": \"1.0.0\", \"ips\": []\n}\n");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"Result":{"cniVersion":"1.0.0","ips":[]}})");
}

TEST(ShimProtocolTest, EmptyBodyForVerbsWithoutOutput) {
  HttpResponse response = EncodeCniReply(0, "");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "");
}

TEST(ShimProtocolTest, PassesTheCniErrorWithAClientErrorStatus) {
  std::string error = R"({"cniVersion":"1.0.0","code":7,"msg":"bad","details":""})";
  HttpResponse response = EncodeCniReply(1, error);
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.body, error);
  EXPECT_EQ(EncodeCniReply(1, R"({"code":999,"msg":"x"})").status, 500);
}

TEST(ShimProtocolTest, ErrorReplyIsTheCniErrorObject) {
  HttpResponse response = ErrorReply(503, Status::TryAgainLater("busy", "retry"), "0.4.0");
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.body,
            "{\n    \"cniVersion\": \"0.4.0\",\n    \"code\": 11,\n    \"details\": \"retry\",\n"
            "    \"msg\": \"busy\"\n}\n");
}

TEST(ShimProtocolTest, HotplugRepliesWrapTheResultOrNullOrTheError) {
  HttpResponse added =
      EncodeHotplugReply(std::string(R"({"cniVersion":"1.0.0","ips":[]})"), "1.0.0");
  EXPECT_EQ(added.status, 200);
  EXPECT_EQ(added.body, R"({"Result":{"cniVersion":"1.0.0","ips":[]}})");
  HttpResponse deleted = EncodeHotplugReply(std::string(), "1.0.0");
  EXPECT_EQ(deleted.status, 200);
  EXPECT_EQ(deleted.body, R"({"Result":null})");
  HttpResponse failed = EncodeHotplugReply(Status::InvalidConfig("taken", "pick another"), "0.4.0");
  EXPECT_EQ(failed.status, 400);
  EXPECT_EQ(failed.body,
            ErrorReply(400, Status::InvalidConfig("taken", "pick another"), "0.4.0").body);
  EXPECT_EQ(EncodeHotplugReply(Status::Internal("bug"), "1.0.0").status, 500);
}

}  // namespace
}  // namespace multus::daemon
