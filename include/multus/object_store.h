// The node daemon's in-memory copy of one kind of object (pods of the node, NADs), kept up to
// date by a Reflector (reflector.h) and read by CachedKubeApi from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <optional>
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
// One writer (the reflector), any number of readers. A plain mutex held for a hash lookup and a
// shared_ptr copy, not a shared_mutex: glibc's rwlock prefers readers, and a stream of CNI
// calls starved the watch's writes in the tests. Readers copy the object outside the lock.
template <typename T>
class ObjectStore final : public WatchTarget {
 public:
  using Decode = T (*)(const nlohmann::json& object);
  explicit ObjectStore(Decode decode) : decode_(decode) {}

  void Put(const nlohmann::json& object) override {
    auto value = std::make_shared<const T>(decode_(object));
    std::string key = ObjectKey(value->namespace_name, value->name);
    Change([&] { objects_.insert_or_assign(std::move(key), std::move(value)); });
  }
  void Remove(const nlohmann::json& object) override {
    std::string key = ObjectKeyOf(object);
    std::shared_ptr<const T> gone;  // freed outside the lock
    Change([&] {
      auto it = objects_.find(key);
      if (it == objects_.end()) return;
      gone = std::move(it->second);
      objects_.erase(it);
    });
  }
  void Stage(const nlohmann::json& object) override {
    auto value = std::make_shared<const T>(decode_(object));
    staged_.insert_or_assign(ObjectKey(value->namespace_name, value->name), std::move(value));
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
    std::string key = ObjectKey(ns, name);
    std::shared_ptr<const T> found;
    {
      std::lock_guard lock(mutex_);
      found = Find(key);
    }
    return Copy(found);
  }
  // Get, waiting up to `timeout` for the object to arrive (a pod created a moment ago).
  std::optional<T> WaitFor(std::string_view ns, std::string_view name,
                           std::chrono::milliseconds timeout) const {
    std::string key = ObjectKey(ns, name);
    std::shared_ptr<const T> found;
    {
      std::unique_lock lock(mutex_);
      changed_.wait_for(lock, timeout, [&] { return (found = Find(key)) != nullptr; });
    }
    return Copy(found);
  }
  // True once a first LIST is in: before that, a missing object proves nothing.
  bool synced() const {
    std::lock_guard lock(mutex_);
    return synced_;
  }
  size_t size() const {
    std::lock_guard lock(mutex_);
    return objects_.size();
  }

 private:
  std::shared_ptr<const T> Find(const std::string& key) const {
    auto it = objects_.find(key);
    return it == objects_.end() ? nullptr : it->second;
  }
  static std::optional<T> Copy(const std::shared_ptr<const T>& found) {
    return found ? std::optional<T>(*found) : std::nullopt;
  }
  template <typename F>
  void Change(F&& change) {
    {
      std::lock_guard lock(mutex_);
      change();
    }
    changed_.notify_all();
  }

  Decode decode_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::unordered_map<std::string, std::shared_ptr<const T>> objects_;
  std::unordered_map<std::string, std::shared_ptr<const T>> staged_;  // the reflector's thread
  bool synced_ = false;
};

}  // namespace multus
