#include "rotating_file_sink.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <optional>
#include <set>
#include <utility>
#include <vector>

namespace multus::log {
namespace {

constexpr std::string_view kGzSuffix = ".gz";
constexpr std::int64_t kMsPerDay = std::int64_t{24} * 60 * 60 * 1000;
// "2006-01-02T15-04-05.000", lumberjack's backupTimeFormat.
constexpr std::size_t kTimestampLength = 23;
// Rounds of "another process rotated the file first" after which a write stops rotating
// itself (it still never writes into a renamed file: that one may be compressed and removed
// at any moment, and the line with it).
constexpr int kMaxAttempts = 10;
// Reopens after which a write gives up: the path keeps changing under us.
constexpr int kMaxReopens = 1000;

// The pieces of "<dir/><stem><ext>"; ext starts at the last dot of the file name, as
// Go's filepath.Ext does.
struct PathParts {
  std::string dir;  // "" or ends with '/'
  std::string stem;
  std::string ext;
};

PathParts SplitPath(const std::string& path) {
  PathParts parts;
  const std::size_t slash = path.rfind('/');
  const std::size_t base_begin = slash == std::string::npos ? 0 : slash + 1;
  parts.dir = path.substr(0, base_begin);
  const std::string base = path.substr(base_begin);
  const std::size_t dot = base.rfind('.');
  parts.stem = dot == std::string::npos ? base : base.substr(0, dot);
  parts.ext = dot == std::string::npos ? "" : base.substr(dot);
  return parts;
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::int64_t NowMs() {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  return duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string FormatTimestamp(std::int64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[40];
  const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H-%M-%S", &tm);
  std::snprintf(text + n, sizeof text - n, ".%03d", static_cast<int>(unix_ms % 1000));
  return text;
}

// Inverse of FormatTimestamp; nullopt unless `text` has exactly that shape.
std::optional<std::int64_t> ParseTimestamp(std::string_view text) {
  constexpr std::string_view kShape = "dddd-dd-ddTdd-dd-dd.ddd";
  if (text.size() != kTimestampLength) return std::nullopt;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool digit = text[i] >= '0' && text[i] <= '9';
    if (kShape[i] == 'd' ? !digit : text[i] != kShape[i]) return std::nullopt;
  }
  auto number = [&](std::size_t pos, std::size_t len) {
    int value = 0;
    for (std::size_t i = pos; i < pos + len; ++i) value = value * 10 + (text[i] - '0');
    return value;
  };
  std::tm tm{};
  tm.tm_year = number(0, 4) - 1900;
  tm.tm_mon = number(5, 2) - 1;
  tm.tm_mday = number(8, 2);
  tm.tm_hour = number(11, 2);
  tm.tm_min = number(14, 2);
  tm.tm_sec = number(17, 2);
  return static_cast<std::int64_t>(timegm(&tm)) * 1000 + number(20, 3);
}

Status ErrnoStatus(std::string_view what, const std::string& path) {
  return Status::IoFailure(std::string(what) + " " + path + ": " + std::strerror(errno));
}

bool Exists(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0;
}

// mkdir -p with mode 0755 for every directory it creates.
void MakeDirs(const std::string& dir) {
  for (std::size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos == dir.size() || dir[pos] == '/') {
      const std::string prefix = dir.substr(0, pos);
      if (mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) return;
    }
  }
}

// Opens `path` for appending, creating it 0600 (and its directory) if missing. Only a regular
// file, never through a symlink (finding 11: a planted link made us append to, rotate and copy
// the mode of its target): -1 with errno ELOOP or EINVAL otherwise.
int OpenForAppend(const std::string& path) {
  constexpr int kFlags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
  int fd = open(path.c_str(), kFlags, 0600);
  if (fd < 0 && errno == ENOENT) {
    const std::string dir = SplitPath(path).dir;
    if (!dir.empty()) MakeDirs(dir);
    fd = open(path.c_str(), kFlags, 0600);
  }
  struct stat st {};
  if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
    close(fd);
    errno = EINVAL;
    return -1;
  }
  return fd;
}

void Flock(int fd, int operation) {
  // Locking is best effort: without it concurrent rotations may interleave, nothing more.
  while (flock(fd, operation) != 0 && errno == EINTR) {
  }
}

// Best effort: a log file with the wrong mode or owner is still a log file.
void CopyModeAndOwner(int fd, const struct stat& from) {
  if (fchmod(fd, from.st_mode & 07777) != 0) {
    // keeps 0600
  }
  if (fchown(fd, from.st_uid, from.st_gid) != 0) {
    // keeps our own uid and gid
  }
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return ErrnoStatus("cannot write log file", path);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return OkStatus();
}

struct Backup {
  std::string name;  // file name inside the log directory
  std::int64_t unix_ms;
  bool compressed;
};

// Rotated files of the log, newest first. Files whose names merely look alike (a
// timestamp that does not parse) are never touched.
std::vector<Backup> ListBackups(const PathParts& parts) {
  std::vector<Backup> backups;
  const std::string dir = parts.dir.empty() ? "." : parts.dir;
  DIR* handle = opendir(dir.c_str());
  if (handle == nullptr) return backups;
  const std::string prefix = parts.stem + "-";
  while (const dirent* entry = readdir(handle)) {
    std::string_view name = entry->d_name;
    if (name.substr(0, prefix.size()) != prefix) continue;
    const bool compressed = EndsWith(name, std::string(parts.ext) + std::string(kGzSuffix));
    std::string_view rest = name.substr(prefix.size());
    rest.remove_suffix(compressed ? kGzSuffix.size() : 0);
    if (!EndsWith(rest, parts.ext)) continue;
    rest.remove_suffix(parts.ext.size());
    if (auto ms = ParseTimestamp(rest)) backups.push_back({std::string(name), *ms, compressed});
  }
  closedir(handle);
  std::sort(backups.begin(), backups.end(), [](const Backup& a, const Backup& b) {
    return a.unix_ms != b.unix_ms ? a.unix_ms > b.unix_ms : a.name > b.name;
  });
  return backups;
}

// Writes `<path>.gz` through a hidden temporary file, so a concurrent or interrupted
// compression never leaves a truncated archive under the final name, then removes `path`.
void Compress(const std::string& dir, const std::string& name) {
  const std::string path = dir + name;
  const std::string temp = dir + "." + name + ".gz.tmp" + std::to_string(getpid());
  const int in = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (in < 0) return;
  struct stat st {};
  const int out =
      fstat(in, &st) == 0 ? open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
  if (out < 0) {
    close(in);
    return;
  }
  CopyModeAndOwner(out, st);  // as lumberjack does for the archive
  gzFile gz = gzdopen(out, "wb");
  bool ok = gz != nullptr;
  char buffer[64 * 1024];
  while (ok) {
    const ssize_t n = read(in, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = n == 0;
      break;
    }
    ok = gzwrite(gz, buffer, static_cast<unsigned>(n)) == n;
  }
  if (gz != nullptr) {
    ok = gzclose(gz) == Z_OK && ok;  // closes `out`
  } else {
    close(out);
  }
  close(in);
  if (ok && rename(temp.c_str(), (path + std::string(kGzSuffix)).c_str()) == 0) {
    unlink(path.c_str());
  } else {
    unlink(temp.c_str());
  }
}

}  // namespace

std::string BackupName(const std::string& path, std::int64_t unix_ms) {
  const PathParts parts = SplitPath(path);
  return parts.dir + parts.stem + "-" + FormatTimestamp(unix_ms) + parts.ext;
}

void CleanUpBackups(const std::string& path, const RotationOptions& options) {
  const PathParts parts = SplitPath(path);
  const std::int64_t cutoff_ms = NowMs() - std::int64_t{options.max_age_days} * kMsPerDay;
  // A plain file and its .gz twin (left by an interrupted compression) count once.
  std::set<std::string> kept;
  std::vector<std::string> to_compress;
  for (const Backup& backup : ListBackups(parts)) {
    std::string plain = backup.name;
    if (backup.compressed) plain.resize(plain.size() - kGzSuffix.size());
    const bool counted = kept.count(plain) > 0;
    const bool too_many =
        options.max_backups > 0 && !counted && static_cast<int>(kept.size()) >= options.max_backups;
    const bool too_old = options.max_age_days > 0 && backup.unix_ms < cutoff_ms;
    if (too_many || too_old) {
      unlink((parts.dir + backup.name).c_str());
      continue;
    }
    kept.insert(plain);
    if (options.compress && !backup.compressed) to_compress.push_back(backup.name);
  }
  for (const std::string& name : to_compress) Compress(parts.dir, name);
}

RotatingFileSink::RotatingFileSink(std::string path, RotationOptions options)
    : path_(std::move(path)), options_(options) {}

RotatingFileSink::~RotatingFileSink() { Close(); }

void RotatingFileSink::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

Status RotatingFileSink::EnsureOpen() {
  if (fd_ >= 0) return OkStatus();
  fd_ = OpenForAppend(path_);
  return fd_ >= 0 ? OkStatus() : ErrnoStatus("cannot open log file", path_);
}

bool RotatingFileSink::IsCurrent(std::int64_t* size) const {
  struct stat by_fd {};
  struct stat by_path {};
  if (fstat(fd_, &by_fd) != 0 || stat(path_.c_str(), &by_path) != 0) return false;
  *size = by_fd.st_size;
  return by_fd.st_dev == by_path.st_dev && by_fd.st_ino == by_path.st_ino;
}

// Several multus processes (one per CNI call) share the log file. Each write holds an
// exclusive flock and first checks that the path still names the open file: so the size
// limit holds across processes, and no line lands in a file another process rotated.
Status RotatingFileSink::Write(std::string_view data) {
  const auto incoming = static_cast<std::int64_t>(data.size());
  for (int attempt = 1; attempt <= kMaxReopens; ++attempt) {
    RETURN_IF_ERROR(EnsureOpen());
    Flock(fd_, LOCK_EX);
    std::int64_t size = 0;
    if (!IsCurrent(&size)) {
      Close();  // another process rotated it, or it was removed: reopen the path
      continue;
    }
    // After too many lost races the line goes to the current file whatever its size. An
    // oversized write to an empty file is kept whole rather than dropped, and so is one
    // that cannot rotate.
    if (attempt >= kMaxAttempts || size == 0 || size + incoming <= options_.max_bytes ||
        !Rotate().ok()) {
      Status status = WriteAll(fd_, data, path_);
      Flock(fd_, LOCK_UN);
      return status;
    }
  }
  return Status::IoFailure("log file " + path_ + " keeps changing; line dropped");
}

// Called with the exclusive lock held on the current file. On success the lock is
// released and fd_ is the new file (closed if it could not be opened: the next
// EnsureOpen reports that); on failure nothing has changed.
Status RotatingFileSink::Rotate() {
  struct stat st {};
  if (fstat(fd_, &st) != 0) return ErrnoStatus("cannot stat log file", path_);
  // Backup names must sort in rotation order even when rotations come faster than the
  // clock ticks and pruning has freed an older name: step past the newest backup when it
  // is (slightly) ahead, and never reuse an existing name.
  std::int64_t ms = NowMs();
  const std::vector<Backup> backups = ListBackups(SplitPath(path_));
  if (!backups.empty() && backups.front().unix_ms >= ms && backups.front().unix_ms - ms < 1000) {
    ms = backups.front().unix_ms + 1;
  }
  while (Exists(BackupName(path_, ms)) || Exists(BackupName(path_, ms) + std::string(kGzSuffix))) {
    ++ms;
  }
  if (rename(path_.c_str(), BackupName(path_, ms).c_str()) != 0) {
    return ErrnoStatus("cannot rotate log file", path_);
  }
  Close();  // releases the lock; the next write opens the new file
  fd_ = OpenForAppend(path_);
  if (fd_ >= 0) CopyModeAndOwner(fd_, st);  // as lumberjack does for the new file
  CleanUpBackups(path_, options_);
  return OkStatus();
}

}  // namespace multus::log
