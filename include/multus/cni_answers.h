// The answers every binary of the project prints the same way, whatever its job: the CNI
// error object and the VERSION object (multus, multus-shim, the daemon's socket).
#pragma once

#include <string>
#include <string_view>

#include "multus/status.h"

namespace multus {

// The CNI error object: {"cniVersion","code","msg","details"}, indented, newline-terminated.
// Bytes that are not UTF-8 are replaced, so the answer is always valid JSON.
std::string ErrorJson(const Status& status, std::string_view cni_version);

// The text a CNI plugin prints when run without CNI_COMMAND: its `about` line, then
// "CNI protocol versions supported: 0.1.0, ..., 1.1.0".
std::string AboutText(std::string_view about);

// Code 2 (incompatible CNI versions) for a config whose cniVersion is not supported.
Status UnsupportedVersion(std::string_view config_version);

// The VERSION answer: {"cniVersion": current, "supportedVersions": [...]}, newline-terminated.
std::string VersionJson();

}  // namespace multus
