// CNI spec versions: the supported list and ordering.
#pragma once

#include <array>
#include <string_view>

namespace multus {

inline constexpr std::array<std::string_view, 7> kSupportedVersions = {
    "0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"};
inline constexpr std::string_view kCurrentVersion = "1.1.0";

// An empty cniVersion means 0.1.0 (SPEC.md).
std::string_view EffectiveVersion(std::string_view version);
bool IsSupportedVersion(std::string_view version);
// True for "a.b" or "a.b.c" with decimal numbers: what a cniVersion given by hand must be.
bool IsWellFormedVersion(std::string_view version);
// Compares dotted versions numerically; empty counts as 0.1.0. Returns <0, 0 or >0.
int CompareVersions(std::string_view a, std::string_view b);
inline bool VersionAtLeast(std::string_view version, std::string_view minimum) {
  return CompareVersions(version, minimum) >= 0;
}

}  // namespace multus
