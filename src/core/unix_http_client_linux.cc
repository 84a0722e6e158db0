#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "multus/unix_http.h"
#include "multus/unix_http_message.h"

namespace multus {
namespace {

using Clock = std::chrono::steady_clock;

// The daemon's replies are a CNI result or error: kilobytes. More is a broken daemon.
constexpr size_t kMaxReplyBytes = 16 << 20;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Status SocketError(std::string_view what, const std::string& path, int err) {
  std::string msg = std::string(what) + " " + path + ": " + std::strerror(err);
  // No socket file, or nobody listening on it: the daemon is not running (yet).
  if (err == ENOENT || err == ECONNREFUSED) return Status::TryAgainLater(msg);
  return Status::IoFailure(msg);
}

Status TimedOut(const UnixHttpRequest& request) {
  return Status::IoFailure(request.method + " " + request.path + " on " + request.socket_path +
                           ": no complete reply within " + std::to_string(request.timeout.count()) +
                           " ms");
}

// Waits until `fd` is ready for `events` or the deadline passes (false).
bool WaitFor(int fd, short events, Clock::time_point deadline) {
  while (true) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    int n = poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1 << 30)));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return true;  // the next read/write reports the error
  }
}

Status Connect(int fd, const UnixHttpRequest& request, Clock::time_point deadline) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (request.socket_path.size() >= sizeof(address.sun_path)) {
    return Status::InvalidConfig("daemon socket path is too long: " + request.socket_path);
  }
  std::memcpy(address.sun_path, request.socket_path.c_str(), request.socket_path.size() + 1);
  while (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    // A non-blocking AF_UNIX connect fails with EAGAIN while the listen backlog is full.
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return SocketError("cannot connect to", request.socket_path, errno);
    if (Clock::now() >= deadline) return TimedOut(request);
    usleep(10000);
  }
  return OkStatus();
}

Status WriteAll(int fd, std::string_view bytes, const UnixHttpRequest& request,
                Clock::time_point deadline) {
  while (!bytes.empty()) {
    ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && errno != EINTR && errno != EAGAIN) {
      return SocketError("cannot send to", request.socket_path, errno);
    } else if (n < 0 && errno == EAGAIN && !WaitFor(fd, POLLOUT, deadline)) {
      return TimedOut(request);
    }
  }
  return OkStatus();
}

Result<UnixHttpReply> ReadReply(int fd, const UnixHttpRequest& request,
                                Clock::time_point deadline) {
  std::string data;
  char buffer[16384];
  while (true) {
    ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      if (!WaitFor(fd, POLLIN, deadline)) return TimedOut(request);
      continue;
    }
    if (n < 0) return SocketError("cannot read the reply from", request.socket_path, errno);
    data.append(buffer, static_cast<size_t>(n));
    if (data.size() > kMaxReplyBytes) {
      return Status::Decode("the reply of multus-daemon is larger than 16 MiB");
    }
    ASSIGN_OR_RETURN(std::optional<UnixHttpReply> reply, ParseHttpReply(data, n == 0));
    if (reply) return std::move(*reply);
  }
}

class SocketHttpClient : public UnixHttpClient {
 public:
  Result<UnixHttpReply> Send(const UnixHttpRequest& request) override {
    const Clock::time_point deadline = Clock::now() + request.timeout;
    Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) return SocketError("cannot create a socket for", request.socket_path, errno);
    RETURN_IF_ERROR(Connect(fd.get(), request, deadline));
    RETURN_IF_ERROR(WriteAll(fd.get(),
                             FormatHttpRequest(request.method, request.path, request.body), request,
                             deadline));
    return ReadReply(fd.get(), request, deadline);
  }
};

}  // namespace

std::unique_ptr<UnixHttpClient> MakeUnixHttpClient() {
  return std::make_unique<SocketHttpClient>();
}

}  // namespace multus
