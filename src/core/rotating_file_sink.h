// A log file that rotates itself like gopkg.in/natefinch/lumberjack.v2, which upstream
// multus uses. Private to log.cc and its tests; knows nothing of spdlog.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "multus/status.h"

namespace multus::log {

struct RotationOptions {
  std::int64_t max_bytes = std::int64_t{100} << 20;  // rotate when a write would exceed it
  int max_backups = 5;  // rotated files kept, newest first (<= 0: all)
  int max_age_days = 5;  // rotated files older than this are removed (<= 0: kept)
  bool compress = true;  // gzip rotated files to "<name>.gz"
};

// Appends whole writes to `path`, created 0600 (an existing file keeps its mode) in a
// parent directory created 0755 if missing. A write that would push the file over
// max_bytes first renames it to "<stem>-<YYYY-MM-DDTHH-MM-SS.mmm><ext>" (UTC), opens a
// new file, then compresses and prunes the rotated files. Each write reaches the kernel
// before Write returns, so nothing is lost if the process exits abruptly. Other
// processes may append to, and rotate, the same file concurrently.
class RotatingFileSink {
 public:
  RotatingFileSink(std::string path, RotationOptions options);
  ~RotatingFileSink();
  RotatingFileSink(const RotatingFileSink&) = delete;
  RotatingFileSink& operator=(const RotatingFileSink&) = delete;

  // Appends `data` (one or more whole lines). Code 5 if the file cannot be opened or
  // written; the caller decides whether to report it, and the next write retries.
  Status Write(std::string_view data);

 private:
  Status EnsureOpen();
  // True if path_ still names the open file; sets *size to the file's size.
  bool IsCurrent(std::int64_t* size) const;
  Status Rotate();
  void Close();

  std::string path_;
  RotationOptions options_;
  int fd_ = -1;
};

// "<stem>-<YYYY-MM-DDTHH-MM-SS.mmm><ext>" for a backup of `path` taken at `unix_ms` (UTC).
std::string BackupName(const std::string& path, std::int64_t unix_ms);

// Compresses, then removes rotated backups of `path` as the options say. Errors are
// ignored file by file. Called after each rotation.
void CleanUpBackups(const std::string& path, const RotationOptions& options);

}  // namespace multus::log
