// Helpers shared by the libFuzzer targets: invariant checks that abort (so libFuzzer keeps the
// input), a per-process scratch directory; linking it also silences multus's log.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace multus::fuzz {

// Prints `what` with the location and aborts: libFuzzer saves the input as a crash.
[[noreturn]] void Fail(const char* file, int line, const std::string& what);

#define FUZZ_CHECK(cond, what)                                                        \
  do {                                                                                \
    if (!(cond)) ::multus::fuzz::Fail(__FILE__, __LINE__, std::string(#cond) + ": " + \
                                                              std::string(what));     \
  } while (0)

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Splits `text` at every `separator` (at least one piece, possibly empty).
std::vector<std::string_view> Split(std::string_view text, std::string_view separator);

// A directory private to this process, created on first use and removed at exit.
const std::string& ScratchDir();

// Writes (replaces) a file; aborts on failure, which would be a broken environment.
void WriteFileOrDie(const std::string& path, std::string_view bytes);

}  // namespace multus::fuzz
