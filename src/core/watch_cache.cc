#include "multus/watch_cache.h"

#include <algorithm>
#include <string_view>

#include "multus/annotations.h"

namespace multus {

Pod DecodeCachedPod(const nlohmann::json& object) {
  static constexpr std::string_view kRead[] = {kNetworksAnnotation, kDefaultNetworkAnnotation,
                                               kConfigSourceAnnotation};
  Pod pod = DecodePod(object);
  std::erase_if(pod.annotations, [](const auto& entry) {
    return std::find(std::begin(kRead), std::end(kRead), entry.first) == std::end(kRead);
  });
  return pod;
}

WatchCache::WatchCache(HttpTransport& transport, const KubeConfig& config,
                       std::string_view node_name, const Reflector::Wait& wait,
                       const Reflector::Random& random)
    : pod_reflector_(transport, config, PodReflectorOptions(node_name), pods_, wait, random),
      nad_reflector_(transport, config, NadReflectorOptions(), nads_, wait, random) {}

void WatchCache::Start() {
  pod_reflector_.Start();
  nad_reflector_.Start();
}

void WatchCache::Stop() {
  pod_reflector_.Stop();
  nad_reflector_.Stop();
}

}  // namespace multus
