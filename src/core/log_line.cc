#include "multus/log_line.h"

#include <ctime>

#include "multus/text.h"

namespace multus::log {

namespace {

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kPanic:
      return "panic";
    case Level::kError:
      return "error";
    case Level::kWarning:
      return "warning";
    case Level::kVerbose:
      return "verbose";
    case Level::kDebug:
      break;
  }
  return "debug";
}

}  // namespace

std::string FormatLine(Level level, std::string_view message,
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

Result<Level> ParseLevel(std::string_view text) {
  std::string lower = AsciiLower(text);
  if (lower == "debug") return Level::kDebug;
  if (lower == "verbose") return Level::kVerbose;
  if (lower == "warning") return Level::kWarning;
  if (lower == "error") return Level::kError;
  if (lower == "panic") return Level::kPanic;
  return Status::InvalidConfig("cannot set logging level to " + std::string(text));
}

}  // namespace multus::log
