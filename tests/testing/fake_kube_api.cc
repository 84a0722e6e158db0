#include "testing/fake_kube_api.h"

#include "multus/kube_decode.h"

namespace multus::test {

void FakeKubeApi::AddPod(Pod pod) {
  std::lock_guard lock(mutex_);
  std::string key = ObjectKey(pod.namespace_name, pod.name);
  pods_[key] = std::move(pod);
}

void FakeKubeApi::AddNad(Nad nad) {
  std::lock_guard lock(mutex_);
  std::string key = ObjectKey(nad.namespace_name, nad.name);
  nads_[key] = std::move(nad);
}

void FakeKubeApi::Record(std::string call) {
  std::lock_guard lock(mutex_);
  calls_.push_back(std::move(call));
}

Result<std::optional<Pod>> FakeKubeApi::GetPod(std::string_view ns, std::string_view name) {
  std::string key = ObjectKey(ns, name);
  Record("GetPod " + key);
  std::lock_guard lock(mutex_);
  auto it = pods_.find(key);
  return it == pods_.end() ? std::optional<Pod>() : std::optional<Pod>(it->second);
}

Result<std::optional<Nad>> FakeKubeApi::GetNad(std::string_view ns, std::string_view name) {
  std::string key = ObjectKey(ns, name);
  Record("GetNad " + key);
  std::lock_guard lock(mutex_);
  auto it = nads_.find(key);
  return it == nads_.end() ? std::optional<Nad>() : std::optional<Nad>(it->second);
}

Status FakeKubeApi::SetPodAnnotation(std::string_view ns, std::string_view name,
                                     std::string_view key, std::string_view value) {
  Record("SetPodAnnotation " + ObjectKey(ns, name) + " " + std::string(key) + "=" +
         std::string(value));
  return OkStatus();
}

Status FakeKubeApi::PostEvent(const Pod& pod, std::string_view type, std::string_view reason,
                              std::string_view message) {
  Record("PostEvent " + ObjectKey(pod.namespace_name, pod.name) + " " + std::string(type) + " " +
         std::string(reason) + ": " + std::string(message));
  return OkStatus();
}

std::vector<std::string> FakeKubeApi::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

}  // namespace multus::test
