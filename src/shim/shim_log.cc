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

std::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kPanic:
      return "panic";
    case LogLevel::kError:
      return "error";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kVerbose:
      return "verbose";
    case LogLevel::kDebug:
      return "debug";
  }
  return "unknown";
}

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
    std::string line = FormatLogLine(level, message, std::chrono::system_clock::now());
    // One write per line, so that lines of concurrent calls never interleave.
    if (settings_.to_stderr) WriteFd(STDERR_FILENO, line);
    if (file_ >= 0) WriteFd(file_, line);
  }

 private:
  LogSettings settings_;
  int file_ = -1;
};

}  // namespace

Result<LogLevel> ParseLogLevel(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (LogLevel level : {LogLevel::kPanic, LogLevel::kError, LogLevel::kWarning, LogLevel::kVerbose,
                         LogLevel::kDebug}) {
    if (lower == LevelName(level)) return level;
  }
  return Status::InvalidConfig("cannot set logging level to " + std::string(text));
}

std::string FormatLogLine(LogLevel level, std::string_view message,
                          std::chrono::system_clock::time_point when) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  std::tm local{};
  localtime_r(&seconds, &local);
  char stamp[40];
  size_t length = std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S%z", &local);
  std::string_view time(stamp, length);
  std::string line;
  line.reserve(length + message.size() + 16);
  // strftime's %z is +0000; RFC 3339 wants +00:00.
  line.append(time.substr(0, length - 2)).append(":").append(time.substr(length - 2));
  line.append(" [").append(LevelName(level)).append("] ").append(message).append("\n");
  return line;
}

std::unique_ptr<Logger> MakeLogger() { return std::make_unique<FdLogger>(); }

}  // namespace multus::shim
