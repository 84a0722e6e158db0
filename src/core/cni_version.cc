#include "multus/cni_version.h"

#include <algorithm>
#include <charconv>

namespace multus {
namespace {

// Parses "a.b.c" into three numbers; missing or bad parts count as 0.
std::array<int, 3> SplitVersion(std::string_view version) {
  std::array<int, 3> parts = {0, 0, 0};
  for (int& part : parts) {
    size_t dot = version.find('.');
    std::string_view piece = version.substr(0, dot);
    std::from_chars(piece.data(), piece.data() + piece.size(), part);
    if (dot == std::string_view::npos) break;
    version.remove_prefix(dot + 1);
  }
  return parts;
}

}  // namespace

std::string_view EffectiveVersion(std::string_view version) {
  return version.empty() ? kSupportedVersions.front() : version;
}

bool IsSupportedVersion(std::string_view version) {
  return std::find(kSupportedVersions.begin(), kSupportedVersions.end(),
                   EffectiveVersion(version)) != kSupportedVersions.end();
}

int CompareVersions(std::string_view a, std::string_view b) {
  auto pa = SplitVersion(EffectiveVersion(a));
  auto pb = SplitVersion(EffectiveVersion(b));
  for (size_t i = 0; i < pa.size(); ++i) {
    if (pa[i] != pb[i]) return pa[i] < pb[i] ? -1 : 1;
  }
  return 0;
}

}  // namespace multus
