#include "multus/cni_answers.h"

#include <nlohmann/json.hpp>

#include "multus/cni_version.h"

namespace multus {

using nlohmann::json;

std::string ErrorJson(const Status& status, std::string_view cni_version) {
  json error = {{"cniVersion", cni_version},
                {"code", status.code()},
                {"msg", status.msg()},
                {"details", status.details()}};
  return error.dump(4, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string AboutText(std::string_view about) {
  std::string list;
  for (std::string_view v : kSupportedVersions) list += (list.empty() ? "" : ", ") + std::string(v);
  return std::string(about) + "\nCNI protocol versions supported: " + list + "\n";
}

Status UnsupportedVersion(std::string_view config_version) {
  return Status::IncompatibleVersion("incompatible CNI versions",
                                     "config is \"" + std::string(config_version) +
                                         "\", plugin supports " + json(kSupportedVersions).dump());
}

std::string VersionJson() {
  return json{{"cniVersion", kCurrentVersion}, {"supportedVersions", kSupportedVersions}}.dump() +
         "\n";
}

}  // namespace multus
