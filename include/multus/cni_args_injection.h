// The `cni-args` of a network selection, merged into the delegate's config as args.cni.
#pragma once

#include <string>
#include <string_view>

#include "multus/status.h"

namespace multus {

// Returns `config` with `"args": {"cni": {...}}` merged from `cni_args` (a raw JSON object;
// its keys win), in every plugin of a conflist.
Result<std::string> InjectCniArgs(std::string_view config, std::string_view cni_args);

}  // namespace multus
