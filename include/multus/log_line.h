// The log line every binary of the project writes, whatever writes it (spdlog in multus and
// the daemon, a plain file descriptor in multus-shim): the levels and the line format.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "multus/status.h"

namespace multus::log {

// Upstream's levels plus "warning", least verbose first. A message prints if its level <= the
// configured one. The default, warning, shows errors and what is probably a mistake (a
// misspelt config key) without the chatter of verbose.
enum class Level { kPanic = 0, kError = 1, kWarning = 2, kVerbose = 3, kDebug = 4 };

// The one line format of every binary of the project:
// "2026-11-22T20:41:32+00:00 [error] message\n" (RFC 3339, local time).
std::string FormatLine(Level level, std::string_view message,
                       std::chrono::system_clock::time_point when);

// "debug" | "verbose" | "warning" | "error" | "panic", case-insensitive. Code 7 otherwise.
Result<Level> ParseLevel(std::string_view text);

}  // namespace multus::log
