#include "multus/unix_http_message.h"

#include <gtest/gtest.h>

namespace multus {
namespace {

TEST(HttpMessageTest, FormatsAPostWithContentLength) {
  EXPECT_EQ(FormatHttpRequest("POST", "/cni", R"({"a":1})"),
            "POST /cni HTTP/1.1\r\nHost: dummy\r\nUser-Agent: multus\r\n"
            "Connection: close\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n"
            R"({"a":1})");
}

TEST(HttpMessageTest, FormatsAGetWithoutBodyHeaders) {
  EXPECT_EQ(FormatHttpRequest("GET", "/readyz", ""),
            "GET /readyz HTTP/1.1\r\nHost: dummy\r\nUser-Agent: multus\r\n"
            "Connection: close\r\n\r\n");
}

UnixHttpReply Complete(std::string_view data, bool eof = false) {
  auto reply = ParseHttpReply(data, eof);
  EXPECT_TRUE(reply.ok()) << reply.status().msg();
  if (!reply.ok() || !reply->has_value()) {
    ADD_FAILURE() << "incomplete: " << data;
    return {};
  }
  return **reply;
}

TEST(HttpMessageTest, ReadsAContentLengthBody) {
  UnixHttpReply reply = Complete("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "hello");
}

TEST(HttpMessageTest, ReadsAChunkedBodyWithExtensionsAndTrailers) {
  UnixHttpReply reply = Complete(
      "HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4\r\n{\"a\"\r\nA;ext=1\r\n:123456789\r\n1\r\n}\r\n0\r\nX-Trailer: t\r\n\r\n");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.body, "{\"a\":123456789}");
}

TEST(HttpMessageTest, ReadsABodyDelimitedByTheClose) {
  EXPECT_EQ(Complete("HTTP/1.0 500 Oops\r\n\r\nbroken", true).body, "broken");
}

TEST(HttpMessageTest, SkipsInterimReplies) {
  UnixHttpReply reply =
      Complete("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "");
}

TEST(HttpMessageTest, AsksForMoreUntilTheReplyIsComplete) {
  const std::string full =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
  for (size_t cut = 0; cut < full.size(); ++cut) {
    SCOPED_TRACE(cut);
    auto reply = ParseHttpReply(full.substr(0, cut), false);
    ASSERT_TRUE(reply.ok()) << reply.status().msg();
    EXPECT_FALSE(reply->has_value());
  }
  EXPECT_EQ(Complete(full).body, "abc");
  auto length = ParseHttpReply("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabc", false);
  ASSERT_TRUE(length.ok());
  EXPECT_FALSE(length->has_value());
}

TEST(HttpMessageTest, RefusesMalformedRepliesWithCode6) {
  struct Case {
    const char* data;
    bool eof;
  } errors[] = {
      {"HTTX/1.1 200 OK\r\n\r\n", false},
      {"HTTP/1.1 2x0 OK\r\n\r\n", false},
      {"HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", false},
      {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", false},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", false},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", false},
      {"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", true},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", true},
      {"HTTP/1.1 200 OK\r\n", true},
      {"", true},
  };
  for (const Case& c : errors) {
    SCOPED_TRACE(c.data);
    auto reply = ParseHttpReply(c.data, c.eof);
    ASSERT_FALSE(reply.ok());
    EXPECT_EQ(reply.status().code(), 6);
  }
}

}  // namespace
}  // namespace multus
