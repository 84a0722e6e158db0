// Small text helpers every binary shares.
#pragma once

#include <string>
#include <string_view>

namespace multus {

// ASCII lower case: config keys (Go's encoding/json matches them case-insensitively), HTTP
// header names, log levels.
std::string AsciiLower(std::string_view text);

}  // namespace multus
