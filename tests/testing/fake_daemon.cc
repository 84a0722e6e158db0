#include "testing/fake_daemon.h"

#include <algorithm>

namespace multus::test {

Result<UnixHttpReply> FakeDaemon::Send(const UnixHttpRequest& request) {
  requests.push_back(request);
  if (gone_) {
    return Status::TryAgainLater("cannot connect to " + request.socket_path +
                                 ": No such file or directory");
  }
  // The latest handler for the path wins.
  auto latest = std::find_if(handlers_.rbegin(), handlers_.rend(),
                             [&](const auto& handler) { return handler.first == request.path; });
  if (latest != handlers_.rend()) return latest->second(request);
  return UnixHttpReply{200, ""};
}

void FakeDaemon::On(const std::string& path, Handler handler) {
  handlers_.emplace_back(path, std::move(handler));
}

void FakeDaemon::GoAway() { gone_ = true; }

int FakeDaemon::Count(const std::string& path) const {
  return static_cast<int>(std::count_if(requests.begin(), requests.end(),
                                        [&](const UnixHttpRequest& r) { return r.path == path; }));
}

}  // namespace multus::test
