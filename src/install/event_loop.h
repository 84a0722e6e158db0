// Waits for changes in a few directories (inotify) or a termination signal (signalfd).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "multus/status.h"

namespace multus::install {

class EventLoop {
 public:
  enum class Wake { kTimeout, kChange, kSignal };

  // Blocks SIGTERM, SIGINT and SIGHUP for the calling thread (they are read from a signalfd
  // instead) and opens an inotify instance. Code 5 on failure.
  static Result<std::unique_ptr<EventLoop>> Create();
  ~EventLoop();

  // Directories to watch. One that does not exist yet is retried before every wait.
  void SetDirectories(std::vector<std::string> dirs);

  // Returns on a termination signal, on a change in a watched directory (after the burst of
  // events has settled for ~100 ms, so a file written in several steps wakes us once), or when
  // `timeout_ms` has passed.
  Wake Wait(int timeout_ms);

  // The signal that ended the last Wait() with kSignal.
  int last_signal() const { return last_signal_; }

 private:
  EventLoop(int inotify_fd, int signal_fd) : inotify_fd_(inotify_fd), signal_fd_(signal_fd) {}
  void AddMissingWatches();
  bool DrainInotify();  // false when the inotify queue overflowed or watches were dropped

  int inotify_fd_;
  int signal_fd_;
  int last_signal_ = 0;
  std::vector<std::string> dirs_;
  std::vector<int> watches_;  // watch descriptor per dir, -1 when not (yet) watched
};

}  // namespace multus::install
