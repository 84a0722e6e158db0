#include "http_message.h"

#include <gtest/gtest.h>

namespace multus::daemon {
namespace {

TEST(HttpMessageTest, ParsesARequestWithContentLengthAndLeavesTheNextOne) {
  std::string wire =
      "POST /cni?x=1 HTTP/1.1\r\nHost: dummy\r\nContent-Length: 4\r\n\r\nbodyGET /readyz";
  auto parsed = ParseHttpRequest(wire, 100);
  ASSERT_TRUE(parsed.ok());
  ASSERT_TRUE(parsed->has_value());
  const HttpRequest& request = (*parsed)->request;
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.path, "/cni");
  EXPECT_EQ(request.headers.at("host"), "dummy");
  EXPECT_EQ(request.body, "body");
  EXPECT_TRUE(request.keep_alive);
  EXPECT_EQ(wire.substr((*parsed)->consumed), "GET /readyz");
}

TEST(HttpMessageTest, WaitsForTheWholeBody) {
  auto parsed = ParseHttpRequest("POST /cni HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc", 100);
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(parsed->has_value());
  parsed = ParseHttpRequest("GET /healthz HTTP/1.1\r\nHost: x\r\n", 100);
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(parsed->has_value());
}

TEST(HttpMessageTest, DecodesAChunkedBody) {
  std::string wire =
      "POST /cni HTTP/1.1\r\nTransfer-Encoding: "
      "chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
  auto parsed = ParseHttpRequest(wire, 100);
  ASSERT_TRUE(parsed.ok());
  ASSERT_TRUE(parsed->has_value());
  EXPECT_EQ((*parsed)->request.body, "abcde");
  EXPECT_EQ((*parsed)->consumed, wire.size());
  auto partial = ParseHttpRequest(wire.substr(0, wire.size() - 2), 100);
  ASSERT_TRUE(partial.ok());
  EXPECT_FALSE(partial->has_value());
}

TEST(HttpMessageTest, ConnectionCloseAndHttp10EndTheConnection) {
  auto parsed = ParseHttpRequest("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 10);
  ASSERT_TRUE(parsed.ok() && parsed->has_value());
  EXPECT_FALSE((*parsed)->request.keep_alive);
  parsed = ParseHttpRequest("GET / HTTP/1.0\r\n\r\n", 10);
  ASSERT_TRUE(parsed.ok() && parsed->has_value());
  EXPECT_FALSE((*parsed)->request.keep_alive);
}

TEST(HttpMessageTest, RefusesMalformedAndOversizedRequests) {
  struct Case {
    const char* wire;
    int code;
  } errors[] = {
      {"GARBAGE\r\n\r\n", code::kDecode},
      {"GET / HTTP/2.0\r\n\r\n", code::kDecode},
      {"GET / HTTP/1.1\r\nno colon\r\n\r\n", code::kDecode},
      {"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n", code::kDecode},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", code::kDecode},
      {"POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", code::kInvalidConfig},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nff\r\n", code::kInvalidConfig},
  };
  for (const Case& c : errors) {
    auto parsed = ParseHttpRequest(c.wire, 10);
    ASSERT_FALSE(parsed.ok()) << c.wire;
    EXPECT_EQ(parsed.status().code(), c.code) << c.wire;
  }
}

TEST(HttpMessageTest, SerializesAResponseInOnePiece) {
  EXPECT_EQ(SerializeResponse({503, "{}", "application/json"}, false),
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            "Content-Length: 2\r\nConnection: close\r\n\r\n{}");
}

}  // namespace
}  // namespace multus::daemon
