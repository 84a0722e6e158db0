// Parsing JSON that comes from outside (stdin, the API, plugins, files). nlohmann parses
// iteratively, but copies, compares and serializes recursively: a document nested deeper than
// kMaxJsonDepth is refused before it can exhaust the stack. A leading UTF-8 byte order mark,
// which nlohmann skips but the plugins (Go's encoding/json) and our byte-level editor reject,
// is refused too, before any plugin runs, and so is a NUL byte (nlohmann stops reading at one,
// so `{}\0garbage` would pass while every other JSON parser refuses it). Errors are thrown as
// nlohmann::json::exception, exactly like json::parse, so callers handle one kind.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace multus {

// CNI configs, results and pod objects nest a handful of levels; 128 leaves room for any
// real document and keeps the recursion far from the stack's end.
inline constexpr int kMaxJsonDepth = 128;

// Our own files (plan and result caches) wrap documents that passed kMaxJsonDepth a few levels
// deeper; they are read back with this limit, so whatever we accepted we can also delete.
inline constexpr int kMaxOwnFileJsonDepth = kMaxJsonDepth + 16;

// True when no array or object in `text` is nested deeper than `max_depth` (strings and
// escapes are skipped; the text need not be valid JSON).
bool JsonDepthWithin(std::string_view text, int max_depth);

class UnsafeJson : public nlohmann::json::exception {
 public:
  explicit UnsafeJson(const std::string& why);
};

// Throws UnsafeJson for the cases above.
void CheckJsonIsSafe(std::string_view text, int max_depth = kMaxJsonDepth);

template <typename Json = nlohmann::json>
Json ParseJson(std::string_view text, int max_depth = kMaxJsonDepth) {
  CheckJsonIsSafe(text, max_depth);
  return Json::parse(text);
}

}  // namespace multus
