#include "multus/cni_args.h"

namespace multus {

Result<KeyValues> ParseCniArgs(std::string_view args) {
  KeyValues pairs;
  while (!args.empty()) {
    size_t end = args.find(';');
    std::string_view pair = args.substr(0, end);
    args = end == std::string_view::npos ? std::string_view() : args.substr(end + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return Status::InvalidEnv("CNI_ARGS: invalid pair \"" + std::string(pair) + "\"",
                                "CNI_ARGS must be K=V pairs separated by ';'");
    }
    pairs.emplace_back(std::string(pair.substr(0, eq)), std::string(pair.substr(eq + 1)));
  }
  return pairs;
}

}  // namespace multus
