#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "file_ops.h"

namespace multus::install {
namespace {

Status IoError(std::string what, const std::string& path, int err) {
  return Status(code::kIoFailure, what + " " + path + ": " + std::strerror(err));
}

// Temp files are ".<name>.multus-install.XXXXXX": hidden, and never ending in .conf/.conflist,
// so neither the runtime nor our master selection can pick one up.
std::string TempPrefix(const std::string& path) {
  std::string prefix = ".";  // appended, not `"." + name`: GCC 12 -O3 warns (-Wrestrict)
  prefix += BaseName(path);
  prefix += ".multus-install.";
  return prefix;
}

void FsyncDir(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("cannot write", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return OkStatus();
}

void RemoveStaleTemps(const std::string& path) {
  const std::string dir = DirName(path);
  const std::string prefix = TempPrefix(path);
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  while (dirent* entry = readdir(d)) {
    if (std::string_view(entry->d_name).starts_with(prefix)) {
      unlinkat(dirfd(d), entry->d_name, 0);
    }
  }
  closedir(d);
}

}  // namespace

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Result<std::string> ReadFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open", path, errno);
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      return IoError("cannot read", path, err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

std::optional<std::string> ReadFileIfExists(const std::string& path) {
  auto content = ReadFile(path);
  if (!content.ok()) return std::nullopt;
  return std::move(content).value();
}

Status WriteFileAtomic(const std::string& path, std::string_view content, mode_t mode) {
  std::string temp = DirName(path) + "/" + TempPrefix(path) + "XXXXXX";
  int fd = mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) return IoError("cannot create a temp file for", path, errno);
  Status status = WriteAll(fd, content, temp);
  if (status.ok() && fchmod(fd, mode) != 0) status = IoError("cannot chmod", temp, errno);
  if (status.ok() && fsync(fd) != 0) status = IoError("cannot fsync", temp, errno);
  if (close(fd) != 0 && status.ok()) status = IoError("cannot close", temp, errno);
  if (status.ok() && rename(temp.c_str(), path.c_str()) != 0) {
    status = IoError("cannot rename " + temp + " to", path, errno);
  }
  if (!status.ok()) {
    unlink(temp.c_str());
    return status;
  }
  FsyncDir(DirName(path));
  return OkStatus();
}

Status CopyFileAtomic(const std::string& src, const std::string& dst) {
  struct stat st;
  if (stat(src.c_str(), &st) != 0) return IoError("cannot stat", src, errno);
  auto content = ReadFile(src);
  if (!content.ok()) return content.status();
  RemoveStaleTemps(dst);
  return WriteFileAtomic(dst, content.value(), st.st_mode & 07777);
}

Status RenameFile(const std::string& from, const std::string& to) {
  if (rename(from.c_str(), to.c_str()) != 0) {
    return IoError("cannot rename " + from + " to", to, errno);
  }
  FsyncDir(DirName(to));
  return OkStatus();
}

Status MakeDirs(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return Status(code::kIoFailure, "cannot create directory " + path + ": " + ec.message());
  return OkStatus();
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool IsRegularFile(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool RemoveFileIfExists(const std::string& path) { return unlink(path.c_str()) == 0; }

std::vector<std::string> ListRegularFiles(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* entry = readdir(d)) {
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    if (IsRegularFile(dir + "/" + name)) names.push_back(std::move(name));
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

std::optional<mode_t> FileMode(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return std::nullopt;
  return st.st_mode & 07777;
}

}  // namespace multus::install
