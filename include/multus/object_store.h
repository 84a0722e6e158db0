// The node daemon's in-memory copy of one kind of object (pods of the node, NADs), kept up to
// date by a Reflector (reflector.h) and read by CachedKubeApi from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "multus/kube_decode.h"

namespace multus {

// What a reflector feeds: the API's JSON objects, decoded (and so trimmed) once, here. Called
// from the reflector's thread only. Put, Remove and Stage throw nlohmann::json::exception for
// an object they cannot decode.
class WatchTarget {
 public:
  virtual ~WatchTarget() = default;
  // ADDED or MODIFIED: stores the object, replacing the one of the same namespace/name.
  virtual void Put(const nlohmann::json& object) = 0;
  // DELETED: forgets the object of that namespace/name.
  virtual void Remove(const nlohmann::json& object) = 0;
  // A LIST: every item is staged, then CommitStaged replaces the whole store with them (an
  // object deleted while the watch was down disappears); DiscardStaged drops a failed list.
  virtual void Stage(const nlohmann::json& object) = 0;
  virtual void CommitStaged() = 0;
  virtual void DiscardStaged() = 0;
};

// Objects of type T (Pod, Nad: anything with namespace_name and name) keyed by namespace/name.
// One writer (the reflector), any number of readers.
template <typename T>
class ObjectStore final : public WatchTarget {
 public:
  using Decode = T (*)(const nlohmann::json& object);
  explicit ObjectStore(Decode decode) : decode_(decode) {}

  void Put(const nlohmann::json& object) override {
    T value = decode_(object);
    std::string key = ObjectKey(value.namespace_name, value.name);
    Change([&] { objects_.insert_or_assign(std::move(key), std::move(value)); });
  }
  void Remove(const nlohmann::json& object) override {
    std::string key = ObjectKeyOf(object);
    Change([&] { objects_.erase(key); });
  }
  void Stage(const nlohmann::json& object) override {
    T value = decode_(object);
    staged_.insert_or_assign(ObjectKey(value.namespace_name, value.name), std::move(value));
  }
  void CommitStaged() override {
    Change([&] {
      objects_.swap(staged_);
      synced_ = true;
    });
    staged_.clear();
  }
  void DiscardStaged() override { staged_.clear(); }

  // The object, or nullopt when the store does not have it.
  std::optional<T> Get(std::string_view ns, std::string_view name) const {
    std::shared_lock lock(mutex_);
    return Find(ObjectKey(ns, name));
  }
  // Get, waiting up to `timeout` for the object to arrive (a pod created a moment ago).
  std::optional<T> WaitFor(std::string_view ns, std::string_view name,
                           std::chrono::milliseconds timeout) const {
    std::string key = ObjectKey(ns, name);
    std::shared_lock lock(mutex_);
    std::optional<T> found;
    changed_.wait_for(lock, timeout, [&] { return (found = Find(key)).has_value(); });
    return found;
  }
  // True once a first LIST is in: before that, a missing object proves nothing.
  bool synced() const {
    std::shared_lock lock(mutex_);
    return synced_;
  }
  size_t size() const {
    std::shared_lock lock(mutex_);
    return objects_.size();
  }

 private:
  std::optional<T> Find(const std::string& key) const {
    auto it = objects_.find(key);
    if (it == objects_.end()) return std::nullopt;
    return it->second;
  }
  template <typename F>
  void Change(F&& change) {
    {
      std::unique_lock lock(mutex_);
      change();
    }
    changed_.notify_all();
  }

  Decode decode_;
  mutable std::shared_mutex mutex_;
  mutable std::condition_variable_any changed_;
  std::unordered_map<std::string, T> objects_;
  std::unordered_map<std::string, T> staged_;  // the reflector's thread only
  bool synced_ = false;
};

}  // namespace multus
