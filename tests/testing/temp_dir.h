// A fresh directory under the test temp dir, removed with everything in it; plus small file
// helpers for tests that need config files, fake plugin binaries or netns stand-ins.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace multus::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name.
  std::string operator/(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

// Writes `bytes` to `path`, creating parent directories; `mode` applied after writing.
void WriteFile(const std::string& path, std::string_view bytes, unsigned mode = 0644);
// An empty executable file (a stand-in for a plugin binary).
void WriteExecutable(const std::string& path);
// The whole file, or "<missing>" when it cannot be read.
std::string ReadFile(const std::string& path);
bool Exists(const std::string& path);
// The names in `dir`, sorted.
std::vector<std::string> ListDir(const std::string& dir);

}  // namespace multus::test
