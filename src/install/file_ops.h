// File operations of the installer. Every write is atomic: a temp file in the target's
// directory, fsync, rename over the target, fsync of the directory. Errors are code 5 (I/O).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "multus/status.h"

namespace multus::install {

// The whole file; code 5 when it cannot be read (the message says why).
Result<std::string> ReadFile(const std::string& path);

// The file's contents, or nullopt when it does not exist or is unreadable.
std::optional<std::string> ReadFileIfExists(const std::string& path);

// Replaces `path` with `content` (mode `mode`) atomically. Readers see the old or the new file,
// never a partial one; a running executable at `path` keeps running (no ETXTBSY).
Status WriteFileAtomic(const std::string& path, std::string_view content, mode_t mode);

// Copies `src` over `dst` atomically with the source's permission bits. Leftover temp files
// of an earlier, interrupted copy to `dst` are removed first.
Status CopyFileAtomic(const std::string& src, const std::string& dst);

// Renames atomically; code 5 on failure.
Status RenameFile(const std::string& from, const std::string& to);

// mkdir -p with mode 0755 for the directories it creates.
Status MakeDirs(const std::string& path);

bool IsDirectory(const std::string& path);
bool IsRegularFile(const std::string& path);

// Removes the file; a missing file is not an error. Returns whether something was removed.
bool RemoveFileIfExists(const std::string& path);

// Names of the regular files (following symlinks) in `dir`, sorted bytewise.
std::vector<std::string> ListRegularFiles(const std::string& dir);

// Permission bits of `path`, or nullopt.
std::optional<mode_t> FileMode(const std::string& path);

// "/a/b/c" -> "/a/b" ("." without a slash); "/a/b/c" -> "c".
std::string DirName(const std::string& path);
std::string BaseName(const std::string& path);

}  // namespace multus::install
