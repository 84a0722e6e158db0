#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "http_server.h"
#include "multus/log.h"

namespace multus::daemon {
namespace {

constexpr int kBacklog = 128;
constexpr int kTickMs = 200;  // how often an idle connection looks at the stop flag

Status SocketError(const std::string& what) {
  return Status::IoFailure(what + ": " + std::strerror(errno));
}

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

int ErrorStatus(const Status& status) { return status.code() == code::kDecode ? 400 : 413; }

}  // namespace

Result<int> ListenUnix(const std::string& path) {
  sockaddr_un address{};
  if (path.size() >= sizeof(address.sun_path)) {
    return Status::IoFailure("socket path " + path + " is too long");
  }
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return SocketError("socket");
  struct stat info;
  // A socket left by a daemon that died: nobody listens on it any more.
  if (lstat(path.c_str(), &info) == 0 && S_ISSOCK(info.st_mode)) unlink(path.c_str());
  // Created 0600 from the start (umask), not chmod'ed after others could connect.
  mode_t old_mask = umask(0177);
  int rc = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  umask(old_mask);
  if (rc != 0 || chmod(path.c_str(), 0600) != 0 || listen(fd, kBacklog) != 0) {
    Status error = SocketError("cannot listen on " + path);
    close(fd);
    return error;
  }
  return fd;
}

Result<int> ListenTcp(int port) {
  int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  bool v6 = fd >= 0;
  if (!v6) fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return SocketError("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  int rc;
  if (v6) {
    int zero = 0;  // dual stack: IPv4 clients too
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_port = htons(static_cast<uint16_t>(port));
    address.sin6_addr = in6addr_any;
    rc = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  } else {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_ANY);
    rc = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  }
  if (rc != 0 || listen(fd, kBacklog) != 0) {
    Status error = SocketError("cannot listen on port " + std::to_string(port));
    close(fd);
    return error;
  }
  return fd;
}

HttpServer::HttpServer(int listen_fd, Handler handler, Options options)
    : listen_fd_(listen_fd),
      wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      handler_(std::move(handler)),
      options_(options) {}

HttpServer::~HttpServer() {
  Stop(std::chrono::milliseconds(0));
  close(listen_fd_);
  close(wake_fd_);
}

void HttpServer::Start() {
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

bool HttpServer::Stop(std::chrono::milliseconds grace) {
  stopping_ = true;
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
  if (acceptor_.joinable()) acceptor_.join();
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, grace, [this] { return connections_ == 0; });
}

void HttpServer::AcceptLoop() {
  while (!stopping_) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [this] { return connections_ < options_.max_connections || stopping_; });
    }
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0 && errno != EINTR) break;
    if (stopping_ || !(fds[0].revents & POLLIN)) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++connections_;
    }
    std::thread([this, fd] {
      Serve(fd);
      close(fd);
      std::lock_guard<std::mutex> lock(mutex_);
      --connections_;
      changed_.notify_all();
    }).detach();
  }
}

void HttpServer::Serve(int fd) {
  std::string buffer;
  char chunk[16384];
  int idle_ms = 0;
  for (;;) {
    Result<std::optional<ParsedRequest>> parsed = ParseHttpRequest(buffer, options_.max_body);
    if (!parsed.ok()) {
      HttpResponse response{ErrorStatus(parsed.status()), parsed.status().msg() + "\n",
                            "text/plain"};
      (void)SendAll(fd, SerializeResponse(response, false));
      return;
    }
    if (*parsed) {
      HttpResponse response = handler_((*parsed)->request);
      bool keep_alive = (*parsed)->request.keep_alive && !stopping_;
      if (!SendAll(fd, SerializeResponse(response, keep_alive)) || !keep_alive) return;
      buffer.erase(0, (*parsed)->consumed);
      idle_ms = 0;
      continue;
    }
    // Between requests a stopping server closes; a half-received request gets its chance.
    if (stopping_ && buffer.empty()) return;
    if (idle_ms >= options_.idle_timeout.count()) return;
    pollfd pfd{fd, POLLIN, 0};
    int ready = poll(&pfd, 1, kTickMs);
    if (ready < 0 && errno != EINTR) return;
    if (ready <= 0) {
      idle_ms += kTickMs;
      continue;
    }
    ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    buffer.append(chunk, static_cast<size_t>(n));
  }
}

}  // namespace multus::daemon
