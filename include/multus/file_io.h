// Files on the node, for every binary (the plugin's cache, the installer's host files): whole-file
// reads, atomic replacement, mkdir -p, removal. Errors are code 5 (I/O) naming the path.
// Linux only: src/core/file_io_linux.cc.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "multus/status.h"

namespace multus {

struct WriteOptions {
  mode_t mode = 0600;  // the file's permission bits, whatever the umask
  // Our own directory (the cache): created when missing (MakeDirs), and a failed fsync of it
  // fails the write. Otherwise (the host's CNI directories, owned by the node) it must exist and
  // its fsync is best effort.
  bool own_directory = true;
  // Synced (file and directory) so that the new file survives a power loss. When false, the
  // replacement is still atomic for every reader, but after a power loss the file may be
  // missing, or (on some filesystems) empty: only for files whose loss costs nothing that
  // cannot be recovered (docs/cache-format.md, "What survives a power loss").
  bool durable = true;
};

// Writes `bytes` to `path` atomically: temp file ".<name>.tmp-*" in the same directory, fsync,
// rename, fsync of the directory (both fsyncs only when `durable`). Readers see the old or the new
// file, never a partial one; a running executable at `path` keeps running (no ETXTBSY).
Status WriteFileAtomic(const std::string& path, std::string_view bytes,
                       const WriteOptions& options = {});

// Copies `src` over `dst` atomically with the source's permission bits, into an existing
// directory. Temp files an interrupted copy to `dst` left are removed first.
Status CopyFileAtomic(const std::string& src, const std::string& dst);

// Renames atomically (and syncs the directory, best effort).
Status RenameFile(const std::string& from, const std::string& to);

enum class LeafSymlink {
  kRefuse,  // a symlink at `dir` itself is an error (ELOOP): our own directories (finding 9)
  kFollow,  // the node's directories, which may legitimately be links
};

// mkdir -p: what it creates gets `mode` (less the umask); existing directories are left as they
// are. Code 5 naming the directory.
Status MakeDirs(const std::string& dir, mode_t mode = 0700,
                LeafSymlink leaf = LeafSymlink::kRefuse);

// The whole file; code 5 when it cannot be opened or read.
Result<std::string> ReadFile(const std::string& path);

// The whole regular file; nullopt when it does not exist (or cannot: a path through a file or
// too long, finding 8); code 5 on any other error, a FIFO or directory included (never hangs).
Result<std::optional<std::string>> ReadFileIfExists(const std::string& path);

// Removes a file; a missing file is success, also where a read-only directory answers EROFS or
// EACCES for it (finding 8). Code 5 on other errors.
Status RemoveFileIfExists(const std::string& path);

// Removes a file; true when one was removed, false for any failure (missing included).
bool RemoveFile(const std::string& path);

// Removes the temp files that a write of `path` killed half-way left beside it; best effort.
// Call only under the lock that serializes writes of `path`.
void RemoveTempFilesOf(const std::string& path);

// Removes temp files older than `max_age_seconds` anywhere in `dir` (GC of crashed writes).
void RemoveStaleTempFiles(const std::string& dir, long max_age_seconds);

// What tells one version of a file from the next without reading it: kubelet replaces a
// projected file with a new one (new inode); an in-place rewrite changes size or times.
struct FileIdentity {
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = 0;
  long mtime_ns = 0;
  long ctime_ns = 0;
  bool operator==(const FileIdentity&) const = default;
};
// The identity of the file at `path` (following symlinks); nullopt when it cannot be stat'ed.
std::optional<FileIdentity> StatFileIdentity(const std::string& path);

bool IsDirectory(const std::string& path);    // following symlinks
bool IsRegularFile(const std::string& path);  // following symlinks

// Names of the regular files (following symlinks) in `dir`, sorted bytewise.
std::vector<std::string> ListRegularFiles(const std::string& dir);

// Permission bits of `path`, or nullopt.
std::optional<mode_t> FileMode(const std::string& path);

// "/a/b/c" -> "/a/b" ("/" for "/c", "." without a slash); "/a/b/c" -> "c".
std::string DirName(const std::string& path);
std::string BaseName(const std::string& path);

}  // namespace multus
