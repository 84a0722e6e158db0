#include "testing/fake_transport.h"

#include <gtest/gtest.h>

#include <utility>

namespace multus::test {

void FakeTransport::Reply(long status, std::string body, std::string retry_after) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  response.retry_after = std::move(retry_after);
  script_.emplace_back(std::move(response));
}

void FakeTransport::Fail(Status status) { script_.emplace_back(std::move(status)); }

Result<HttpResponse> FakeTransport::Send(const HttpRequest& request) {
  requests_.push_back(request);
  if (script_.empty()) {
    ADD_FAILURE() << "FakeTransport: unscripted request " << request.method << " " << request.path;
    return Status::Internal("FakeTransport: no scripted reply for " + request.method + " " +
                            request.path);
  }
  std::variant<HttpResponse, Status> next = std::move(script_.front());
  script_.pop_front();
  if (auto* status = std::get_if<Status>(&next)) return *status;
  return std::get<HttpResponse>(std::move(next));
}

}  // namespace multus::test
