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

bool IsWellFormedVersion(std::string_view version) {
  for (int i = 0; i < 3; ++i) {
    int part = 0;
    if (version.empty() || version.front() < '0' || version.front() > '9') return false;
    auto [end, ec] = std::from_chars(version.data(), version.data() + version.size(), part);
    if (ec != std::errc()) return false;
    version.remove_prefix(end - version.data());
    if (version.empty()) return i >= 1;  // "1.0" is accepted, "1" is not
    if (version.front() != '.' || i == 2) return false;
    version.remove_prefix(1);
  }
  return false;
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
