#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "event_loop.h"

namespace multus::install {
namespace {

constexpr uint32_t kWatchMask = IN_CREATE | IN_CLOSE_WRITE | IN_MODIFY | IN_DELETE | IN_MOVED_FROM |
                                IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF |
                                IN_ONLYDIR;
constexpr int kSettleMs = 100;

}  // namespace

Result<std::unique_ptr<EventLoop>> EventLoop::Create() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  if (sigprocmask(SIG_BLOCK, &set, nullptr) != 0) {
    return Status::IoFailure(std::string("cannot block signals: ") + std::strerror(errno));
  }
  int signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (signal_fd < 0) {
    return Status::IoFailure(std::string("signalfd: ") + std::strerror(errno));
  }
  int inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (inotify_fd < 0) {
    int err = errno;
    close(signal_fd);
    return Status::IoFailure(std::string("inotify_init1: ") + std::strerror(err));
  }
  return std::unique_ptr<EventLoop>(new EventLoop(inotify_fd, signal_fd));
}

EventLoop::~EventLoop() {
  close(inotify_fd_);
  close(signal_fd_);
}

void EventLoop::SetDirectories(std::vector<std::string> dirs) {
  for (int wd : watches_) {
    if (wd >= 0) inotify_rm_watch(inotify_fd_, wd);
  }
  dirs_ = std::move(dirs);
  watches_.assign(dirs_.size(), -1);
  AddMissingWatches();
}

void EventLoop::AddMissingWatches() {
  for (size_t i = 0; i < dirs_.size(); ++i) {
    if (watches_[i] < 0) watches_[i] = inotify_add_watch(inotify_fd_, dirs_[i].c_str(), kWatchMask);
  }
}

bool EventLoop::DrainInotify() {
  alignas(inotify_event) char buf[16384];
  bool intact = true;
  for (;;) {
    ssize_t n = read(inotify_fd_, buf, sizeof(buf));
    if (n <= 0) break;
    for (ssize_t off = 0; off < n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buf + off);
      if (event->mask & IN_Q_OVERFLOW) intact = false;
      if (event->mask & IN_IGNORED) {
        // The directory went away (or was replaced): watch it again when it is back.
        for (int& wd : watches_) {
          if (wd == event->wd) wd = -1;
        }
        intact = false;
      }
      off += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
    }
  }
  return intact;
}

EventLoop::Wake EventLoop::Wait(int timeout_ms) {
  AddMissingWatches();
  // A directory that is not watched yet can only be noticed by polling: wake every second.
  for (int wd : watches_) {
    if (wd < 0 && timeout_ms > 1000) timeout_ms = 1000;
  }
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  bool changed = false;
  Clock::time_point first_change;
  for (;;) {
    // A file rewritten without pause must not keep us waiting: settle for 1 s at most.
    if (changed && Clock::now() - first_change > std::chrono::seconds(1)) {
      AddMissingWatches();
      return Wake::kChange;
    }
    int wait_ms = changed ? kSettleMs
                          : static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 deadline - Clock::now())
                                                 .count());
    if (wait_ms < 0) wait_ms = 0;
    pollfd fds[2] = {{signal_fd_, POLLIN, 0}, {inotify_fd_, POLLIN, 0}};
    int ready = poll(fds, 2, wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info;
      if (read(signal_fd_, &info, sizeof(info)) == sizeof(info)) {
        last_signal_ = static_cast<int>(info.ssi_signo);
        return Wake::kSignal;
      }
    }
    if (ready > 0 && (fds[1].revents & POLLIN)) {
      DrainInotify();
      if (!changed) first_change = Clock::now();
      changed = true;
      continue;  // wait for the burst to settle
    }
    if (changed) {
      AddMissingWatches();
      return Wake::kChange;
    }
    if (ready == 0 || Clock::now() >= deadline) return Wake::kTimeout;
  }
}

}  // namespace multus::install
