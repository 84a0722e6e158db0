// CNI_ARGS: the runtime's "K=V;K=V" pairs, kept in order (keys may repeat).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "multus/status.h"

namespace multus {

using KeyValues = std::vector<std::pair<std::string, std::string>>;

// Splits "K=V;K=V". Code 4 for a pair without '='.
Result<KeyValues> ParseCniArgs(std::string_view args);

}  // namespace multus
