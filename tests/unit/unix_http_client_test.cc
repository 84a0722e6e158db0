// The real client against a real unix socket served by a thread of the test.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>

#include "multus/unix_http.h"
#include "testing/temp_dir.h"

namespace multus {
namespace {

using multus::test::TempDir;
using std::chrono::milliseconds;

int Listen(const std::string& path, bool listen_too = true) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0)
      << std::strerror(errno);
  if (listen_too) {
    EXPECT_EQ(listen(fd, 4), 0);
  }
  return fd;
}

// Accepts one connection, reads the request (headers + Content-Length body) into `request`,
// writes `reply` in small pieces and closes.
std::thread ServeOnce(int listener, const std::string& reply, std::string& request) {
  return std::thread([listener, reply, &request] {
    int conn = accept(listener, nullptr, nullptr);
    if (conn < 0) return;
    char buffer[4096];
    while (true) {
      size_t end = request.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t length_at = request.find("Content-Length: ");
        size_t length =
            length_at == std::string::npos ? 0 : std::stoul(request.substr(length_at + 16));
        if (request.size() >= end + 4 + length) break;
      }
      ssize_t n = read(conn, buffer, sizeof(buffer));
      if (n <= 0) break;
      request.append(buffer, static_cast<size_t>(n));
    }
    for (size_t at = 0; at < reply.size(); at += 7) {
      (void)!write(conn, reply.data() + at, std::min<size_t>(7, reply.size() - at));
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    close(conn);
  });
}

TEST(UnixHttpClientTest, SendsTheRequestAndReadsAChunkedReply) {
  TempDir dir;
  const std::string path = dir / "multus.sock";
  int listener = Listen(path);
  std::string request;
  std::thread server = ServeOnce(
      listener,
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\n{\"Res\r\n9\r\nult\":{}}\n\r\n0\r\n\r\n",
      request);
  auto client = MakeUnixHttpClient();
  Result<UnixHttpReply> reply =
      client->Send({path, "POST", "/cni", "{\"a\":1}", milliseconds(5000)});
  server.join();
  close(listener);
  ASSERT_TRUE(reply.ok()) << reply.status().msg();
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, "{\"Result\":{}}\n");
  EXPECT_EQ(request,
            "POST /cni HTTP/1.1\r\nHost: dummy\r\nUser-Agent: multus\r\nConnection: close\r\n"
            "Content-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}");
}

TEST(UnixHttpClientTest, NoSocketFileIsCode11) {
  TempDir dir;
  Result<UnixHttpReply> reply =
      MakeUnixHttpClient()->Send({dir / "multus.sock", "GET", "/readyz", "", milliseconds(500)});
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), 11);
  EXPECT_EQ(reply.status().msg(),
            "cannot connect to " + (dir / "multus.sock") + ": No such file or directory");
}

TEST(UnixHttpClientTest, ASocketNobodyListensOnIsCode11) {
  TempDir dir;
  int fd = Listen(dir / "multus.sock", false);
  Result<UnixHttpReply> reply =
      MakeUnixHttpClient()->Send({dir / "multus.sock", "GET", "/healthz", "", milliseconds(500)});
  close(fd);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), 11);
}

TEST(UnixHttpClientTest, ADaemonThatNeverAnswersTimesOutWithCode5) {
  TempDir dir;
  int listener = Listen(dir / "multus.sock");  // connections queue, nobody accepts
  auto start = std::chrono::steady_clock::now();
  Result<UnixHttpReply> reply =
      MakeUnixHttpClient()->Send({dir / "multus.sock", "POST", "/cni", "{}", milliseconds(200)});
  auto took = std::chrono::steady_clock::now() - start;
  close(listener);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), 5);
  EXPECT_NE(reply.status().msg().find("no complete reply within 200 ms"), std::string::npos);
  EXPECT_GE(took, milliseconds(200));
  EXPECT_LT(took, milliseconds(2000));
}

}  // namespace
}  // namespace multus
