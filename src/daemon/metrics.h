// The daemon's Prometheus metrics, rendered in the text exposition format (version 0.0.4):
//   multus_server_request_total{handler,code,method}   counter (upstream's name and labels)
//   multus_cni_request_duration_seconds{command}       histogram of CNI calls by verb
//   multus_cni_requests_in_flight                      gauge: CNI calls running
//   multus_cni_requests_queued                         gauge: CNI calls waiting for a worker
//   multus_cni_requests_rejected_total{reason}         counter: queue_full, shutting_down, deadline
//   multus_delegate_duration_seconds{network,plugin,command}  histogram of each delegate exec
//   multus_delegate_failures_total{network,plugin,command}    counter: non-zero exit, or killed
//   multus_api_retries_total                           counter: the shared API client's retries
// plus any gauge registered with AddGauge (the watch cache reports its sizes there).
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

namespace multus::daemon {

class Metrics {
 public:
  // One sample of a registered gauge: label text as `name="value",...` (may be empty) and value.
  using Sample = std::pair<std::string, double>;
  using GaugeSource = std::function<std::vector<Sample>()>;

  void CountRequest(const std::string& handler, int code, const std::string& method);
  void ObserveCni(const std::string& command, double seconds);
  void CountRejected(const std::string& reason);
  // One delegate exec: its network (the config's name), plugin (binary name), CNI verb, time,
  // and whether it succeeded.
  void ObserveDelegate(const std::string& network, const std::string& plugin,
                       const std::string& command, double seconds, bool ok);
  // A request of the daemon's shared Kubernetes client is sent again (transient failure, or
  // a conflict).
  void CountApiRetry();
  // Gauges read when /metrics is served (the name must be a valid metric name).
  void AddGauge(const std::string& name, const std::string& help, GaugeSource source);

  std::string Render() const;

 private:
  struct Histogram {
    std::vector<unsigned long long> buckets;  // cumulative per bound of kBounds
    unsigned long long count = 0;
    double sum = 0;
  };
  static void Observe(Histogram& histogram, double seconds);
  static void RenderHistograms(std::string& out, const std::string& name, const std::string& help,
                               const std::map<std::string, Histogram>& histograms);

  struct Gauge {
    std::string name, help;
    GaugeSource source;
  };

  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, int, std::string>, unsigned long long> requests_;
  std::map<std::string, Histogram> durations_;  // label text -> histogram
  std::map<std::string, Histogram> delegate_durations_;
  std::map<std::string, unsigned long long> delegate_failures_;
  std::map<std::string, unsigned long long> rejected_;
  unsigned long long api_retries_ = 0;
  std::vector<Gauge> gauges_;
};

}  // namespace multus::daemon
