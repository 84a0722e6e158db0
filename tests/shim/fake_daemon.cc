#include "fake_daemon.h"

#include <algorithm>

namespace multus::shim::test {

Result<HttpReply> FakeDaemon::Send(const HttpRequest& request) {
  requests.push_back(request);
  if (gone_) {
    return Status::TryAgainLater("cannot connect to " + request.socket_path +
                                 ": No such file or directory");
  }
  for (auto it = handlers_.rbegin(); it != handlers_.rend(); ++it) {
    if (it->first == request.path) return it->second(request);
  }
  return HttpReply{200, ""};
}

void FakeDaemon::On(const std::string& path, Handler handler) {
  handlers_.emplace_back(path, std::move(handler));
}

void FakeDaemon::GoAway() { gone_ = true; }

int FakeDaemon::Count(const std::string& path) const {
  return static_cast<int>(std::count_if(requests.begin(), requests.end(),
                                        [&](const HttpRequest& r) { return r.path == path; }));
}

}  // namespace multus::shim::test
