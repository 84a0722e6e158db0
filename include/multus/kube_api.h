// What multus asks of Kubernetes, whoever answers: the API client itself (one process per
// call), the node daemon's watch-backed cache, or the plugin's fast path through the daemon.
#pragma once

#include <optional>
#include <string_view>

#include "multus/kube_objects.h"
#include "multus/status.h"

namespace multus {

class KubeApi {
 public:
  virtual ~KubeApi() = default;
  // The pod; nullopt when it does not exist. Failures say what to fix (code 7) or that the
  // runtime should retry (code 11).
  virtual Result<std::optional<Pod>> GetPod(std::string_view ns, std::string_view name) = 0;
  // A NetworkAttachmentDefinition; nullopt when it does not exist.
  virtual Result<std::optional<Nad>> GetNad(std::string_view ns, std::string_view name) = 0;
  // Sets one annotation of the pod (network-status); a pod that is gone is success.
  virtual Status SetPodAnnotation(std::string_view ns, std::string_view name, std::string_view key,
                                  std::string_view value) = 0;
  // A core/v1 Event about the pod. Best effort: callers log failures and go on.
  virtual Status PostEvent(const Pod& pod, std::string_view type, std::string_view reason,
                           std::string_view message) = 0;
};

}  // namespace multus
