// File I/O with POSIX calls: every write goes temp file → fsync → rename → fsync of the
// directory (LevelDB's SetCurrentFile).
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <ctime>
#include <string>
#include <utility>

#include "multus/file_io.h"

namespace multus {
namespace {

constexpr mode_t kTempMode = 0600;  // until fchmod gives the file its mode

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

// Errors that mean "there is no such file": the goal of a removal is met.
bool CannotExist(int error) { return error == ENOENT || error == ENOTDIR || error == ENAMETOOLONG; }

}  // namespace

std::string DirName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Existing parents (such as /var/lib/cni above cniDir) belong to the node: left as they are,
// links included. With kRefuse the directory itself must be a real one: a symlink at cniDir,
// planted or not, would send our files (locks, caches, markers) elsewhere (audit finding 9).
Status MakeDirs(const std::string& dir, mode_t mode, LeafSymlink leaf) {
  struct stat st;
  const int found =
      leaf == LeafSymlink::kRefuse ? ::lstat(dir.c_str(), &st) : ::stat(dir.c_str(), &st);
  if (found == 0) {
    if (S_ISDIR(st.st_mode)) return OkStatus();
    return IoError("cannot use directory", dir, S_ISLNK(st.st_mode) ? ELOOP : ENOTDIR);
  }
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    const std::string prefix = dir.substr(0, pos);
    if (::mkdir(prefix.c_str(), mode) != 0 && errno != EEXIST) {
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

Result<std::string> ReadAll(int fd, const std::string& path) {
  std::string out;
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("cannot read", path, errno);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// A dot name in the target's directory: the rename stays within one filesystem, and
// directory listings (ListResultCaches, GC) skip it.
std::string TempName(const std::string& path, unsigned attempt) {
  static std::atomic<unsigned> counter{0};
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  // Our pid, asked once: a process that forked would share it, and O_EXCL makes it retry.
  static const pid_t pid = ::getpid();
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return dir + "." + base + ".tmp-" + std::to_string(pid) + "-" +
         std::to_string(counter.fetch_add(1)) + "-" + std::to_string(now.tv_nsec ^ attempt);
}

Result<std::pair<int, std::string>> CreateTemp(const std::string& path) {
  for (unsigned attempt = 0; attempt < 100; ++attempt) {
    std::string temp = TempName(path, attempt);
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, kTempMode);
    if (fd >= 0) return std::make_pair(fd, std::move(temp));
    if (errno != EEXIST && errno != EINTR) {
      return IoError("cannot create a temp file for", path, errno);
    }
  }
  return IoError("cannot create a temp file for", path, EEXIST);
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

Status WriteTemp(int raw_fd, const std::string& temp, std::string_view bytes,
                 const WriteOptions& options) {
  Fd fd(raw_fd);
  RETURN_IF_ERROR(WriteAll(fd.get(), bytes, temp));
  // The umask narrows the mode given to open; the caller's mode is what we promise.
  if (::fchmod(fd.get(), options.mode) != 0) return IoError("cannot chmod", temp, errno);
  if (options.durable && ::fsync(fd.get()) != 0) return IoError("cannot sync", temp, errno);
  if (fd.Close() != 0) return IoError("cannot close", temp, errno);
  return OkStatus();
}

}  // namespace

Status WriteFileAtomic(const std::string& path, std::string_view bytes,
                       const WriteOptions& options) {
  const std::string dir = DirName(path);
  if (options.own_directory) RETURN_IF_ERROR(MakeDirs(dir));
  ASSIGN_OR_RETURN(auto created, CreateTemp(path));
  const std::string& temp = created.second;
  Status status = WriteTemp(created.first, temp, bytes, options);
  if (status.ok() && ::rename(temp.c_str(), path.c_str()) != 0) {
    status = IoError("cannot rename " + temp + " to", path, errno);
  }
  if (!status.ok()) {
    ::unlink(temp.c_str());
    return status;
  }
  if (!options.durable) return OkStatus();
  Status synced = SyncDir(dir);
  return options.own_directory ? synced : OkStatus();
}

Status RenameFile(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return IoError("cannot rename " + from + " to", to, errno);
  }
  (void)SyncDir(DirName(to));
  return OkStatus();
}

Result<std::string> ReadFile(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return IoError("cannot open", path, errno);
  return ReadAll(fd.get(), path);
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
    return Status::IoFailure("cannot read " + path + ": not a regular file");
  }
  ASSIGN_OR_RETURN(std::string bytes, ReadAll(fd.get(), path));
  return std::optional<std::string>(std::move(bytes));
}

namespace {

// Calls `on_temp(full path, stat)` for each regular file in `dir` whose name starts with
// `prefix` and contains `infix`.
template <typename OnTemp>
void ForEachTempFile(const std::string& dir, const std::string& prefix, std::string_view infix,
                     OnTemp on_temp) {
  DIR* listing = ::opendir(dir.c_str());
  if (listing == nullptr) return;
  while (const dirent* entry = ::readdir(listing)) {
    std::string_view name(entry->d_name);
    if (!name.starts_with(prefix) || name.find(infix) == std::string_view::npos) continue;
    std::string full = dir + "/" + std::string(name);
    struct stat info;
    if (::lstat(full.c_str(), &info) == 0 && S_ISREG(info.st_mode)) on_temp(full, info);
  }
  ::closedir(listing);
}

}  // namespace

void RemoveTempFilesOf(const std::string& path) {
  const std::string prefix = "." + BaseName(path) + ".tmp-";
  ForEachTempFile(DirName(path), prefix, ".tmp-",
                  [](const std::string& temp, const struct stat&) { ::unlink(temp.c_str()); });
}

void RemoveStaleTempFiles(const std::string& dir, long max_age_seconds) {
  const time_t now = ::time(nullptr);
  ForEachTempFile(dir, ".", ".tmp-", [&](const std::string& temp, const struct stat& info) {
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

bool RemoveFile(const std::string& path) { return ::unlink(path.c_str()) == 0; }

Status CopyFileAtomic(const std::string& src, const std::string& dst) {
  struct stat st;
  if (::stat(src.c_str(), &st) != 0) return IoError("cannot stat", src, errno);
  ASSIGN_OR_RETURN(std::string bytes, ReadFile(src));
  RemoveTempFilesOf(dst);
  // multus-install before the shared file layer named its temp files ".<name>.multus-install.*".
  ForEachTempFile(DirName(dst), "." + BaseName(dst) + ".multus-install.", "",
                  [](const std::string& temp, const struct stat&) { ::unlink(temp.c_str()); });
  return WriteFileAtomic(dst, bytes, {.mode = st.st_mode & 07777, .own_directory = false});
}

std::optional<FileIdentity> StatFileIdentity(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  constexpr long kNanos = 1000000000L;
  return FileIdentity{st.st_dev, st.st_ino, st.st_size,
                      st.st_mtim.tv_sec * kNanos + st.st_mtim.tv_nsec,
                      st.st_ctim.tv_sec * kNanos + st.st_ctim.tv_nsec};
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool IsRegularFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::vector<std::string> ListRegularFiles(const std::string& dir) {
  std::vector<std::string> names;
  DIR* listing = ::opendir(dir.c_str());
  if (listing == nullptr) return names;
  while (const dirent* entry = ::readdir(listing)) {
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    if (IsRegularFile(dir + "/" + name)) names.push_back(std::move(name));
  }
  ::closedir(listing);
  std::sort(names.begin(), names.end());
  return names;
}

std::optional<mode_t> FileMode(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return st.st_mode & 07777;
}

}  // namespace multus
