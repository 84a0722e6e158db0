// A fake multus-daemon behind the socket client (multus-shim, the plugin's fast path): records
// every request and answers from a handler (by default: /readyz and /healthz 200, /cni 200 with an
// empty body).
#pragma once

#include <functional>
#include <vector>

#include "multus/unix_http.h"

namespace multus::test {

class FakeDaemon : public UnixHttpClient {
 public:
  using Handler = std::function<Result<UnixHttpReply>(const UnixHttpRequest&)>;

  Result<UnixHttpReply> Send(const UnixHttpRequest& request) override;

  // Replaces the answer for `path` (every method).
  void On(const std::string& path, Handler handler);
  // The daemon is gone: every request fails like a connect to a missing socket (code 11).
  void GoAway();

  std::vector<UnixHttpRequest> requests;
  // Number of requests to `path`.
  int Count(const std::string& path) const;

 private:
  std::vector<std::pair<std::string, Handler>> handlers_;
  bool gone_ = false;
};

}  // namespace multus::test
