// Byte-level access to JSON text, so that config bytes pass through untouched except for
// the members we inject (no key reordering, no number round-trips through double).
// Inputs must already be valid JSON (callers validate with nlohmann first).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "multus/status.h"

namespace multus {

struct RawMember {
  std::string key;           // decoded key
  std::string_view raw_key;  // the key token as written, with quotes
  std::string_view value;    // the value token as written
};

// The members of a JSON object, in document order. Code 6 if `object` is not an object.
Result<std::vector<RawMember>> RawObjectMembers(std::string_view object);

// The elements of a JSON array, as written. Code 6 if `array` is not an array.
Result<std::vector<std::string_view>> RawArrayElements(std::string_view array);

// Returns `object` with each (key, raw JSON value) set: an existing member is replaced in
// place, a new one is appended. Every other byte of every other member is kept.
Result<std::string> SetRawMembers(std::string_view object,
                                  const std::vector<std::pair<std::string, std::string>>& updates);

// Returns `object` without the members named `key`.
Result<std::string> RemoveRawMember(std::string_view object, std::string_view key);

// Finds a member by exact key; empty view when absent.
std::string_view FindRawMember(const std::vector<RawMember>& members, std::string_view key);

}  // namespace multus
