// Recognizing multus's own configs: the plugin must never delegate to itself (upstream W27) and
// the installer must never wrap or pick a multus config as the master.
#pragma once

#include <string_view>

namespace multus {

// True for the plugin types of multus: "multus" and the thick plugin's "multus-shim".
bool IsMultusType(std::string_view type);

// Whether `text` is a CNI config whose type (or one of whose plugins' type) is multus; false
// for anything that is not a JSON object.
bool LooksLikeMultusConfig(std::string_view text);

}  // namespace multus
