// Keeps a WatchTarget (object_store.h) equal to one collection of the API, the Kubernetes way:
// LIST in pages, then WATCH from the list's resourceVersion with bookmarks; a watch that ends
// or drops resumes from the last resourceVersion seen; "410 Gone" (the version is no longer
// kept by the apiserver) lists again; failures back off exponentially with jitter.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>

#include "multus/http_transport.h"
#include "multus/kubeconfig.h"
#include "multus/object_store.h"

namespace multus {

struct ReflectorOptions {
  std::string path;            // the collection, e.g. /api/v1/pods
  std::string field_selector;  // e.g. spec.nodeName=node1; "" for every object
  int page_size = 500;         // LIST limit; the rest comes with `continue`
  // Each watch asks the server to end it after timeoutSeconds drawn from [t, 2t), so that
  // the watches of many nodes do not all restart at once.
  std::chrono::seconds watch_timeout{300};
  // A watch silent this long is presumed dead: more than the bookmark interval (~1 min).
  std::chrono::milliseconds idle_limit{std::chrono::seconds(150)};
  std::chrono::milliseconds request_timeout{std::chrono::seconds(30)};  // a LIST page
  std::chrono::milliseconds first_backoff{500};
  std::chrono::milliseconds max_backoff{std::chrono::seconds(30)};
};

// The pods scheduled to `node_name`, in every namespace.
ReflectorOptions PodReflectorOptions(std::string_view node_name);
// Every NetworkAttachmentDefinition, in every namespace.
ReflectorOptions NadReflectorOptions();

// For the daemon's metrics; counters only grow.
struct ReflectorStats {
  bool synced = false;  // a first LIST is in the store
  uint64_t events = 0;  // ADDED, MODIFIED, DELETED applied
  uint64_t bookmarks = 0;
  uint64_t relists = 0;         // LISTs after the first (410 Gone)
  uint64_t watch_restarts = 0;  // watches that ended or broke and were started again
  uint64_t api_errors = 0;      // failed requests, error events, undecodable objects
};

class Reflector {
 public:
  // Waits `duration` unless `stop` is requested first; false when stopped. Tests record the
  // duration and return at once.
  using Wait = std::function<bool(std::chrono::milliseconds duration, const std::stop_token& stop)>;
  // Uniform in [0, 1): jitter of backoffs and watch timeouts.
  using Random = std::function<double()>;

  // Null `wait` and `random`: real time and std::mt19937. The references must outlive the
  // reflector.
  Reflector(HttpTransport& transport, KubeConfig config, ReflectorOptions options,
            WatchTarget& target, Wait wait = nullptr, Random random = nullptr);
  ~Reflector();  // Stop()
  Reflector(const Reflector&) = delete;
  Reflector& operator=(const Reflector&) = delete;

  // Runs Run on a thread the reflector owns.
  void Start();
  // Stops that thread: the current request is aborted within about a second; joins.
  void Stop();
  // Lists and watches on the caller's thread until `stop` is requested.
  void Run(const std::stop_token& stop);

  bool synced() const { return synced_.load(); }
  ReflectorStats stats() const;

 private:
  enum class Step { kProgress, kQuiet, kGone, kFailed, kStopped };
  struct WatchState;

  Step List(const std::stop_token& stop);
  Step ListPage(std::string& next, std::string& resource_version);
  Step Watch(const std::stop_token& stop);
  bool HandleLine(std::string_view line, WatchState& state);
  Step Failed(std::string_view what);
  Result<HttpRequest> Get(std::string path) const;
  std::string ListPath(std::string_view next) const;
  std::string WatchPath();
  std::chrono::milliseconds NextBackoff();

  HttpTransport& transport_;
  KubeConfig config_;
  ReflectorOptions options_;
  WatchTarget& target_;
  Wait wait_;
  Random random_;
  std::string resource_version_;  // the last one seen; the Run thread only
  std::chrono::milliseconds backoff_{0};
  std::atomic<bool> synced_{false};
  std::atomic<uint64_t> events_{0}, bookmarks_{0}, relists_{0}, watch_restarts_{0}, api_errors_{0},
      lists_{0};
  std::jthread thread_;
};

}  // namespace multus
