// The Linux side of the cache: atomic writes, reads, removal and the per-container flock.
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <string>
#include <utility>

#include "multus/cache.h"

namespace multus {
namespace {

constexpr mode_t kDirMode = 0700;
constexpr mode_t kFileMode = 0600;

// Closes a descriptor on scope exit unless released.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now and reports close's own error (it can carry a deferred write error).
  int Close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

std::string Parent(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Errors that mean "there is no such file": the goal of a removal is met.
bool CannotExist(int error) { return error == ENOENT || error == ENOTDIR || error == ENAMETOOLONG; }

}  // namespace

// cniDir's parents such as /var/lib/cni belong to the node, not to us: left as they are. The
// directory itself must be a real one: a symlink there, planted or not, would send our files
// (locks, caches, markers) outside cniDir (audit finding 9). Its parents may be links.
Status MakeDirs(const std::string& dir) {
  struct stat st;
  if (::lstat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return OkStatus();
    return IoError("cannot use directory", dir, S_ISLNK(st.st_mode) ? ELOOP : ENOTDIR);
  }
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    const std::string prefix = dir.substr(0, pos);
    if (::mkdir(prefix.c_str(), kDirMode) != 0 && errno != EEXIST) {
      return IoError("cannot create directory", prefix, errno);
    }
  }
  return OkStatus();
}

namespace {

Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("cannot write", path, errno);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return OkStatus();
}

// A dot name in the target's directory: the rename stays within one filesystem, and
// directory listings (ListResultCaches, GC) skip it.
std::string TempName(const std::string& path, unsigned attempt) {
  static std::atomic<unsigned> counter{0};
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return dir + "." + base + ".tmp-" + std::to_string(::getpid()) + "-" +
         std::to_string(counter.fetch_add(1)) + "-" + std::to_string(now.tv_nsec ^ attempt);
}

Result<std::pair<int, std::string>> CreateTemp(const std::string& path) {
  for (unsigned attempt = 0; attempt < 100; ++attempt) {
    std::string temp = TempName(path, attempt);
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, kFileMode);
    if (fd >= 0) return std::make_pair(fd, std::move(temp));
    if (errno != EEXIST && errno != EINTR) {
      return IoError("cannot create temporary file", temp, errno);
    }
  }
  return IoError("cannot create temporary file for", path, EEXIST);
}

// Makes the rename itself durable. Some filesystems cannot fsync a directory (EINVAL);
// there the rename is as durable as that filesystem allows.
Status SyncDir(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return IoError("cannot open directory", dir, errno);
  if (::fsync(fd.get()) != 0 && errno != EINVAL)
    return IoError("cannot sync directory", dir, errno);
  return OkStatus();
}

Status WriteTemp(int raw_fd, const std::string& temp, std::string_view bytes) {
  Fd fd(raw_fd);
  RETURN_IF_ERROR(WriteAll(fd.get(), bytes, temp));
  // The umask may have narrowed the mode given to open; 0600 is what we promise.
  if (::fchmod(fd.get(), kFileMode) != 0) return IoError("cannot chmod", temp, errno);
  if (::fsync(fd.get()) != 0) return IoError("cannot sync", temp, errno);
  if (fd.Close() != 0) return IoError("cannot close", temp, errno);
  return OkStatus();
}

}  // namespace

Status WriteFileAtomic(const std::string& path, std::string_view bytes) {
  const std::string dir = Parent(path);
  RETURN_IF_ERROR(MakeDirs(dir));
  ASSIGN_OR_RETURN(auto created, CreateTemp(path));
  const std::string& temp = created.second;
  Status status = WriteTemp(created.first, temp, bytes);
  if (status.ok() && ::rename(temp.c_str(), path.c_str()) != 0) {
    status = IoError("cannot rename " + temp + " to", path, errno);
  }
  if (!status.ok()) {
    ::unlink(temp.c_str());
    return status;
  }
  return SyncDir(dir);
}

Result<std::optional<std::string>> ReadFileIfExists(const std::string& path) {
  // O_NONBLOCK: a FIFO planted at the path must not hang the call; only regular files count.
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (fd.get() < 0) {
    if (CannotExist(errno)) return std::optional<std::string>();
    return IoError("cannot open", path, errno);
  }
  struct stat info;
  if (::fstat(fd.get(), &info) != 0) return IoError("cannot stat", path, errno);
  if (!S_ISREG(info.st_mode)) {
    return Status(code::kIoFailure, "cannot read " + path + ": not a regular file");
  }
  std::string out;
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("cannot read", path, errno);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return std::optional<std::string>(std::move(out));
}

namespace {

// Calls `on_temp(full path, stat)` for each temp file (".<name>.tmp-*") in `dir`.
template <typename OnTemp>
void ForEachTempFile(const std::string& dir, const std::string& prefix, OnTemp on_temp) {
  DIR* listing = ::opendir(dir.c_str());
  if (listing == nullptr) return;
  while (const dirent* entry = ::readdir(listing)) {
    std::string_view name(entry->d_name);
    if (name.substr(0, prefix.size()) != prefix || name.find(".tmp-") == std::string_view::npos) {
      continue;
    }
    std::string full = dir + "/" + std::string(name);
    struct stat info;
    if (::lstat(full.c_str(), &info) == 0 && S_ISREG(info.st_mode)) on_temp(full, info);
  }
  ::closedir(listing);
}

}  // namespace

void RemoveTempFilesOf(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  const std::string prefix = "." + path.substr(slash + 1) + ".tmp-";
  ForEachTempFile(Parent(path), prefix,
                  [](const std::string& temp, const struct stat&) { ::unlink(temp.c_str()); });
}

void RemoveStaleTempFiles(const std::string& dir, long max_age_seconds) {
  const time_t now = ::time(nullptr);
  ForEachTempFile(dir, ".", [&](const std::string& temp, const struct stat& info) {
    if (now - info.st_mtime > max_age_seconds) ::unlink(temp.c_str());
  });
}

Status RemoveFileIfExists(const std::string& path) {
  if (::unlink(path.c_str()) == 0 || CannotExist(errno)) return OkStatus();
  const int unlink_error = errno;
  // A read-only directory answers EROFS/EACCES even for a file that is not there (finding 8):
  // DEL must not fail forever for a file it never wrote.
  struct stat info;
  if (::lstat(path.c_str(), &info) != 0 && CannotExist(errno)) return OkStatus();
  return IoError("cannot remove", path, unlink_error);
}

}  // namespace multus
