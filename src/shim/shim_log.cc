#include "shim_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>

namespace multus::shim {
namespace {

void WriteFd(int fd, std::string_view line) {
  while (!line.empty()) {
    ssize_t n = write(fd, line.data(), line.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    line.remove_prefix(static_cast<size_t>(n));
  }
}

class FdLogger : public Logger {
 public:
  ~FdLogger() override {
    if (file_ >= 0) close(file_);
  }

  void Configure(const LogSettings& settings) override {
    settings_ = settings;
    if (file_ >= 0) close(file_);
    file_ = -1;
    if (settings.file.empty()) return;
    // O_APPEND: concurrent shims (and multus, same format) each add whole lines.
    file_ = open(settings.file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (file_ < 0) {
      std::string why =
          "multus-shim logging: cannot open " + settings.file + ": " + std::strerror(errno) + "\n";
      WriteFd(STDERR_FILENO, why);
    }
  }

  void Write(LogLevel level, std::string_view message) override {
    if (level > settings_.level) return;
    std::string line = log::FormatLine(level, message, std::chrono::system_clock::now());
    // One write per line, so that lines of concurrent calls never interleave.
    if (settings_.to_stderr) WriteFd(STDERR_FILENO, line);
    if (file_ >= 0) WriteFd(file_, line);
  }

 private:
  LogSettings settings_;
  int file_ = -1;
};

}  // namespace

std::unique_ptr<Logger> MakeLogger() { return std::make_unique<FdLogger>(); }

}  // namespace multus::shim
