#include "cache_json.h"

#include "multus/json_parse.h"

namespace multus::cache_json {

Status Corrupt(std::string msg) {
  return Status::CorruptCache(std::move(msg),
                              "the file is kept for inspection; see docs/cache-format.md");
}

std::string Dump(const Json& doc) {
  return doc.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Json EmbedObjectText(std::string_view text) {
  if (text.empty()) return Json::object();
  Json parsed;
  try {
    parsed = ParseJson<Json>(text);
  } catch (const Json::exception&) {
  }
  if (parsed.is_object()) return parsed;
  return Json(std::string(text));
}

void PutConfig(Json& out, std::string_view key, const std::string& config) {
  try {
    (void)Json(config).dump();
    out[std::string(key)] = config;
  } catch (const Json::exception&) {
    out[std::string(key) + "Base64"] = Base64Encode(config);
  }
}

Json KeyValuesToJson(const KeyValues& pairs) {
  Json out = Json::array();
  for (const auto& [k, v] : pairs) out.push_back(Json::array({k, v}));
  return out;
}

const char* TypeName(const Json& doc) { return doc.type_name(); }

std::string DelegateWhere(size_t index) {
  return "scratch cache delegates[" + std::to_string(index) + "]: ";
}

}  // namespace multus::cache_json
