// One HTTP/1.1 request over multus-daemon's unix socket: how multus-shim forwards a CNI call
// and how the multus plugin's fast path asks the daemon (docs/thick-mode.md). The real client
// (unix_http_client_linux.cc) is the only code that touches the socket; unit tests substitute
// a fake daemon.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "multus/status.h"

namespace multus {

struct UnixHttpRequest {
  std::string socket_path;               // absolute path of the daemon's unix socket
  std::string method;                    // "GET" | "POST"
  std::string path;                      // "/cni", "/readyz", "/healthz"
  std::string body;                      // sent with Content-Type application/json when not empty
  std::chrono::milliseconds timeout{0};  // bounds connect, send and the whole reply
};

struct UnixHttpReply {
  int status = 0;    // the HTTP status code
  std::string body;  // de-chunked
};

class UnixHttpClient {
 public:
  virtual ~UnixHttpClient() = default;
  // Sends `request` and returns the daemon's reply, whatever its status. Errors: code 11 when
  // the socket is absent or refuses the connection (no daemon), 5 on another I/O error or when
  // the timeout expires, 6 when the reply is not well-formed HTTP/1.1.
  virtual Result<UnixHttpReply> Send(const UnixHttpRequest& request) = 0;
};

// A fresh AF_UNIX stream connection per request (the socket is local: there is nothing to
// keep warm), non-blocking, every step bounded by the request's deadline.
std::unique_ptr<UnixHttpClient> MakeUnixHttpClient();

}  // namespace multus
