#include "multus/multus_type.h"

#include <nlohmann/json.hpp>
#include <string>

#include "multus/json_parse.h"

namespace multus {
namespace {

bool HasMultusType(const nlohmann::json& conf) {
  auto it = conf.find("type");
  return it != conf.end() && it->is_string() && IsMultusType(it->get_ref<const std::string&>());
}

}  // namespace

bool IsMultusType(std::string_view type) { return type == "multus" || type == "multus-shim"; }

bool LooksLikeMultusConfig(std::string_view text) {
  nlohmann::json conf;
  try {
    conf = ParseJson(text);
  } catch (const nlohmann::json::exception&) {
    return false;
  }
  if (!conf.is_object()) return false;
  if (HasMultusType(conf)) return true;
  auto plugins = conf.find("plugins");
  if (plugins == conf.end() || !plugins->is_array()) return false;
  for (const auto& plugin : *plugins) {
    if (plugin.is_object() && HasMultusType(plugin)) return true;
  }
  return false;
}

}  // namespace multus
