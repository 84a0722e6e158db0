// The body of a Kubernetes watch: one JSON event per line,
// {"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR","object":{...}}. Private to the core.
#pragma once

#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "multus/status.h"

namespace multus {

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark, kError };

struct WatchEvent {  // NOLINT(bugprone-exception-escape): misreads json's noexcept move
  WatchEventType type = WatchEventType::kError;
  nlohmann::json object;
  std::string resource_version;  // the object's; "" for ERROR
  int error_code = 0;            // ERROR: the Status object's code (410: start over with a LIST)
  std::string error_message;
};

// Decodes one line. Code 6 for a line that is not a watch event, of an unknown type, or an
// ERROR whose object is not a Status. The object itself is decoded later, by the store.
Result<WatchEvent> ParseWatchEvent(std::string_view line);

// Cuts a streamed body into lines, whatever the chunking: a line may span chunks and a chunk
// may hold several lines.
class LineBuffer {
 public:
  explicit LineBuffer(size_t max_line) : max_line_(max_line) {}
  // Hands each line completed by `chunk` to `on_line` (blank lines skipped). False when
  // `on_line` returned false or a line grew beyond max_line (the rest is not read).
  bool Append(std::string_view chunk, const std::function<bool(std::string_view)>& on_line);
  bool overflowed() const { return overflowed_; }

 private:
  size_t max_line_;
  std::string partial_;
  bool overflowed_ = false;
};

}  // namespace multus
