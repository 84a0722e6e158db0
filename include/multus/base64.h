// Standard base64 (RFC 4648 §4, padded): the cache's config bytes, kubeconfig *-data.
#pragma once

#include <string>
#include <string_view>

#include "multus/status.h"

namespace multus {

std::string Base64Encode(std::string_view bytes);

// Strict: no whitespace, padding only at the end. Code 6 (decode) naming the offset.
Result<std::string> Base64Decode(std::string_view text);

}  // namespace multus
