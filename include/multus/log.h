// Logging: one line per event, `<RFC3339 time> [<level>] <message>`, to stderr and/or a
// rotating file. Never stdout (it carries the CNI result). Never log tokens or keys.
#pragma once

#include <fmt/core.h>

#include <chrono>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "multus/log_line.h"
#include "multus/status.h"

namespace multus::log {

struct FileOptions {
  int max_age_days = 5;   // remove rotated files older than this (0: keep)
  int max_size_mb = 100;  // rotate when a write would exceed this size
  int max_backups = 5;    // keep at most this many rotated files (0: keep all)
  bool compress = true;   // gzip rotated files
};

struct Settings {
  Level level = Level::kWarning;
  bool to_stderr = true;
  std::string file;  // empty: no log file
  FileOptions file_options;
};

// Where the lines of the process go. Configure() installs the real one (stderr and/or the
// rotating file); a test installs its own to read what was logged.
class Output {
 public:
  virtual ~Output() = default;
  virtual void Write(Level level, std::string_view message) = 0;
  virtual void Flush() {}
};

// Sends every line up to `level` to `output` for the rest of the process (or the next call).
void Install(std::shared_ptr<Output> output, Level level);

// Installs the real output for `settings`. Until called, errors go to stderr. Only a
// program's main (through Deps) calls it: library code never reconfigures the process.
// A log file that cannot be opened is reported on stderr, never fails the CNI call.
void Configure(const Settings& settings);

// Sends the lines at `level` or less verbose to `out` alone, until the next Configure: how
// multus-install logs to the stream its caller gives it. `out` must outlive that use.
void ConfigureStream(std::ostream& out, Level level);

bool Enabled(Level level);
void Write(Level level, std::string_view message);
// Flushes the sinks (called before the process exits).
void Flush();

template <typename... Args>
void Debug(fmt::format_string<Args...> format, Args&&... args) {
  if (Enabled(Level::kDebug))
    Write(Level::kDebug, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void Verbose(fmt::format_string<Args...> format, Args&&... args) {
  if (Enabled(Level::kVerbose))
    Write(Level::kVerbose, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void Warning(fmt::format_string<Args...> format, Args&&... args) {
  if (Enabled(Level::kWarning))
    Write(Level::kWarning, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void Error(fmt::format_string<Args...> format, Args&&... args) {
  if (Enabled(Level::kError))
    Write(Level::kError, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace multus::log
