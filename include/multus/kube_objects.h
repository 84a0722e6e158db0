// The Kubernetes objects multus reads, reduced to what it uses: plain data, no API access.
#pragma once

#include <map>
#include <string>

namespace multus {

struct Pod {
  std::string namespace_name;
  std::string name;
  std::string uid;
  std::map<std::string, std::string> annotations;
  // Static pods (annotation kubernetes.io/config.source not "api") may have another UID.
  bool is_static = false;
};

struct Nad {
  std::string namespace_name;
  std::string name;
  std::string config;  // spec.config, exact text ("" when absent)
  std::map<std::string, std::string> annotations;
};

}  // namespace multus
