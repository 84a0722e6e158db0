// A fake multus-daemon for RunShim: records every request and answers from a handler (by
// default: /readyz and /healthz 200, /cni 200 with an empty body).
#pragma once

#include <functional>
#include <vector>

#include "daemon_client.h"

namespace multus::shim::test {

class FakeDaemon : public DaemonClient {
 public:
  using Handler = std::function<Result<HttpReply>(const HttpRequest&)>;

  Result<HttpReply> Send(const HttpRequest& request) override;

  // Replaces the answer for `path` (every method).
  void On(const std::string& path, Handler handler);
  // The daemon is gone: every request fails like a connect to a missing socket (code 11).
  void GoAway();

  std::vector<HttpRequest> requests;
  // Number of requests to `path`.
  int Count(const std::string& path) const;

 private:
  std::vector<std::pair<std::string, Handler>> handlers_;
  bool gone_ = false;
};

}  // namespace multus::shim::test
