// A KubeApi that answers from maps and records every call, thread-safe, for the code above
// KubeApi (the daemon's cache, the plugin's fast path).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "multus/kube_api.h"

namespace multus::test {

class FakeKubeApi : public KubeApi {
 public:
  // What GetPod / GetNad answer for "<ns>/<name>"; others are nullopt.
  void AddPod(Pod pod);
  void AddNad(Nad nad);

  Result<std::optional<Pod>> GetPod(std::string_view ns, std::string_view name) override;
  Result<std::optional<Nad>> GetNad(std::string_view ns, std::string_view name) override;
  Status SetPodAnnotation(std::string_view ns, std::string_view name, std::string_view key,
                          std::string_view value) override;
  Status PostEvent(const Pod& pod, std::string_view type, std::string_view reason,
                   std::string_view message) override;

  // Every call: "GetPod ns/name", "GetNad ns/name", "SetPodAnnotation ns/name key=value",
  // "PostEvent ns/name type reason: message".
  std::vector<std::string> calls() const;

 private:
  void Record(std::string call);

  mutable std::mutex mutex_;
  std::map<std::string, Pod> pods_;
  std::map<std::string, Nad> nads_;
  std::vector<std::string> calls_;
};

}  // namespace multus::test
