// The API's pod and NAD JSON reduced to the structs multus keeps (kube_objects.h): one decoder
// for the client's GETs and the watch cache's lists and events.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "multus/kube_objects.h"

namespace multus {

// Set by kubelet on every pod: "api" for pods from the apiserver, "file"/"http" for static ones.
inline constexpr std::string_view kConfigSourceAnnotation = "kubernetes.io/config.source";

// metadata.{namespace,name,uid}, the string annotations, and is_static (annotation
// kubernetes.io/config.source other than "api"). Throws nlohmann::json::exception when the
// object or its metadata is not an object.
Pod DecodePod(const nlohmann::json& object);

// metadata.{namespace,name}, the string annotations and spec.config ("" when absent). Throws
// like DecodePod.
Nad DecodeNad(const nlohmann::json& object);

// metadata.resourceVersion; "" when absent, also for an object without usable metadata
// or for something that is not an object at all. Never throws.
std::string ResourceVersionOf(const nlohmann::json& object);

// ObjectKey of metadata.namespace and metadata.name. Throws like DecodePod.
std::string ObjectKeyOf(const nlohmann::json& object);

// The `message` of an API error answer (a Status object), else the start of the body.
std::string ApiErrorMessage(std::string_view body);

// "<namespace>/<name>": how the caches key objects.
std::string ObjectKey(std::string_view ns, std::string_view name);

}  // namespace multus
