// The seam between the shim and multus-daemon: one HTTP/1.1 request over the daemon's unix
// socket. The real client (unix_http_client_linux.cc) is the only code that touches a socket;
// unit tests substitute a fake daemon.
#pragma once

#include <chrono>
#include <string>

#include "multus/status.h"

namespace multus::shim {

struct HttpRequest {
  std::string socket_path;               // absolute path of the daemon's unix socket
  std::string method;                    // "GET" | "POST"
  std::string path;                      // "/cni", "/readyz", "/healthz"
  std::string body;                      // sent with Content-Type application/json when not empty
  std::chrono::milliseconds timeout{0};  // bounds connect, send and the whole reply
};

struct HttpReply {
  int status = 0;    // the HTTP status code
  std::string body;  // de-chunked
};

class DaemonClient {
 public:
  virtual ~DaemonClient() = default;
  // Sends `request` and returns the daemon's reply, whatever its status. Errors: code 11 when
  // the socket is absent or refuses the connection (no daemon), 5 on another I/O error or when
  // the timeout expires, 6 when the reply is not well-formed HTTP/1.1.
  virtual Result<HttpReply> Send(const HttpRequest& request) = 0;
};

}  // namespace multus::shim
