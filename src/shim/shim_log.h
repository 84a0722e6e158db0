// The shim's logging: the line format of every binary of the project
// ("<RFC 3339 time> [<level>] <message>") to stderr and/or appended to logFile, without
// spdlog (the shim stays tiny) and without rotation (the shim logs a line or two per call;
// multus' own log file, rotated by multus, may be the same file).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "multus/log_line.h"
#include "multus/status.h"

namespace multus::shim {

// The project's levels and line format (multus/log_line.h); a line prints if its level <= the
// configured one.
using LogLevel = log::Level;

struct LogSettings {
  LogLevel level = LogLevel::kWarning;
  bool to_stderr = true;
  std::string file;  // empty: no log file
};

class Logger {
 public:
  virtual ~Logger() = default;
  // Applies the config's settings for the rest of the call.
  virtual void Configure(const LogSettings& settings) = 0;
  virtual void Write(LogLevel level, std::string_view message) = 0;
};

// Before Configure, errors and warnings go to stderr. A log file that cannot be opened is
// reported once on stderr; it never fails the CNI call.
std::unique_ptr<Logger> MakeLogger();

}  // namespace multus::shim
