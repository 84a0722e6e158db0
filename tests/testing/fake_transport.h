// A scripted HttpTransport: records every request and answers from a queue of canned replies
// or failures, so the Kubernetes client is tested without a network.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <variant>
#include <vector>

#include "multus/http_transport.h"
#include "multus/status.h"

namespace multus::test {

class FakeTransport : public HttpTransport {
 public:
  // Queues a response with this status, body and Retry-After header.
  void Reply(long status, std::string body = "", std::string retry_after = "");
  // Queues a transport failure (e.g. code 11 for a refused connection or a timeout).
  void Fail(Status status);

  // Records `request` and pops the next scripted answer. An unscripted request fails the
  // test and returns code 999.
  Result<HttpResponse> Send(const HttpRequest& request) override;

  const std::vector<HttpRequest>& requests() const { return requests_; }
  // Scripted answers not consumed yet.
  size_t pending() const { return script_.size(); }

 private:
  std::deque<std::variant<HttpResponse, Status>> script_;
  std::vector<HttpRequest> requests_;
};

}  // namespace multus::test
