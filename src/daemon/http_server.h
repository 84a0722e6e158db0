// A small HTTP/1.1 server over an already listening socket (unix or TCP): one thread accepts,
// one thread per connection reads requests and calls the handler. Bounded in connections and
// body size. Why not a library: Debian 12's cpp-httplib is split into a shared library built
// with OpenSSL, zlib and brotli and ships no static archive; libmicrohttpd's static archive
// references GnuTLS, whose own static link needs p11-kit, which has none. The node binaries
// are static (DESIGN.md §8), and the shim protocol is a handful of small POSTs.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "http_message.h"
#include "multus/status.h"

namespace multus::daemon {

// A listening unix socket at `path`: a stale socket there is removed first; the socket is
// made mode 0600. Code 5 naming the path.
Result<int> ListenUnix(const std::string& path);

// A listening TCP socket on every address of the node at `port`. Code 5.
Result<int> ListenTcp(int port);

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;
  struct Options {
    size_t max_connections = 256;  // further clients wait in the listen backlog
    size_t max_body = 8 << 20;
    std::chrono::milliseconds idle_timeout{60000};  // a keep-alive connection with no request
  };

  // Takes ownership of `listen_fd`.
  HttpServer(int listen_fd, Handler handler, Options options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  void Start();
  // Stops accepting and closes idle connections; waits up to `grace` for requests being
  // answered. True when every connection is closed (only then may the server be destroyed).
  bool Stop(std::chrono::milliseconds grace);

 private:
  void AcceptLoop();
  void Serve(int fd);

  int listen_fd_;
  int wake_fd_;  // eventfd: ends the accept loop's poll
  Handler handler_;
  Options options_;
  std::thread acceptor_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable changed_;
  size_t connections_ = 0;
};

}  // namespace multus::daemon
