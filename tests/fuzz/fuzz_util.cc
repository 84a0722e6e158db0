#include "fuzz_util.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "multus/log.h"

namespace multus::fuzz {

void Fail(const char* file, int line, const std::string& what) {
  std::fprintf(stderr, "\n==FUZZ INVARIANT== %s:%d: %s\n", file, line, what.c_str());
  std::fflush(stderr);
  std::abort();
}

std::vector<std::string_view> Split(std::string_view text, std::string_view separator) {
  std::vector<std::string_view> pieces;
  while (true) {
    const size_t at = text.find(separator);
    pieces.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return pieces;
    text.remove_prefix(at + separator.size());
  }
}

namespace {

// Every target feeds multus garbage on purpose: its log goes nowhere, from before the first
// input (a static initializer, so no target has to remember it).
[[maybe_unused]] const bool kQuietLogs = [] {
  log::Settings settings;
  settings.level = log::Level::kPanic;
  settings.to_stderr = false;
  log::Configure(settings);
  return true;
}();

}  // namespace

const std::string& ScratchDir() {
  static const std::string dir = [] {
    // tmpfs when there is one: the cache writes fsync.
    const char* env = std::getenv("TMPDIR");
    std::error_code ec;
    std::string base = env != nullptr && *env != '\0'                    ? env
                       : std::filesystem::is_directory("/dev/shm", ec) ? "/dev/shm"
                                                                         : "/tmp";
    std::string pattern = base + "/multus-fuzz-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) Fail(__FILE__, __LINE__, "mkdtemp " + pattern);
    static std::string for_exit;
    for_exit = pattern;
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(for_exit, ec);
    });
    return pattern;
  }();
  return dir;
}

void WriteFileOrDie(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) Fail(__FILE__, __LINE__, "cannot write " + path);
}

}  // namespace multus::fuzz
