#include "multus/kube_decode.h"

#include <nlohmann/json.hpp>

#include "multus/json_parse.h"

namespace multus {
namespace {

using nlohmann::json;

const json& Metadata(const json& object) { return object.at("metadata"); }

std::map<std::string, std::string> Annotations(const json& metadata) {
  std::map<std::string, std::string> out;
  auto annotations = metadata.find("annotations");
  if (annotations == metadata.end() || !annotations->is_object()) return out;
  // Non-string values are not annotations Kubernetes would store; skip rather than fail.
  for (const auto& [key, value] : annotations->items()) {
    if (value.is_string()) out[key] = value.get<std::string>();
  }
  return out;
}

}  // namespace

Pod DecodePod(const json& object) {
  const json& metadata = Metadata(object);
  Pod pod{metadata.value("namespace", ""), metadata.value("name", ""), metadata.value("uid", ""),
          Annotations(metadata), false};
  auto source = pod.annotations.find(std::string(kConfigSourceAnnotation));
  pod.is_static = source != pod.annotations.end() && source->second != "api";
  return pod;
}

Nad DecodeNad(const json& object) {
  const json& metadata = Metadata(object);
  Nad nad{metadata.value("namespace", ""), metadata.value("name", ""), "", Annotations(metadata)};
  auto spec = object.find("spec");
  if (spec != object.end() && spec->is_object()) {
    auto config = spec->find("config");
    if (config != spec->end() && config->is_string()) nad.config = config->get<std::string>();
  }
  return nad;
}

std::string ResourceVersionOf(const json& object) {
  auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return "";
  return metadata->value("resourceVersion", "");
}

std::string ObjectKeyOf(const json& object) {
  const json& metadata = Metadata(object);
  return ObjectKey(metadata.value("namespace", ""), metadata.value("name", ""));
}

std::string ApiErrorMessage(std::string_view body) {
  try {
    json parsed = ParseJson(body);
    if (parsed.is_object() && parsed.contains("message"))
      return parsed["message"].get<std::string>();
  } catch (const json::exception&) {
  }
  return std::string(body.substr(0, 200));
}

std::string ObjectKey(std::string_view ns, std::string_view name) {
  std::string key;
  key.reserve(ns.size() + 1 + name.size());
  return key.append(ns).append("/").append(name);
}

}  // namespace multus
