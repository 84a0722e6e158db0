#include "metrics.h"

#include <fmt/core.h>

#include <array>

namespace multus::daemon {
namespace {

// Seconds: a CNI call takes tens of milliseconds to minutes (a slow IPAM, the readiness wait).
constexpr std::array<double, 12> kBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                            0.5,   1,    2.5,   5,    10,  60};

std::string Number(double value) { return fmt::format("{}", value); }

}  // namespace

void Metrics::CountRequest(const std::string& handler, int code, const std::string& method) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{handler, code, method}];
}

void Metrics::ObserveCni(const std::string& command, double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  Histogram& histogram = durations_[command];
  histogram.buckets.resize(kBounds.size());
  for (size_t i = 0; i < kBounds.size(); ++i) {
    if (seconds <= kBounds[i]) ++histogram.buckets[i];
  }
  ++histogram.count;
  histogram.sum += seconds;
}

void Metrics::CountRejected(const std::string& reason) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++rejected_[reason];
}

void Metrics::AddGauge(const std::string& name, const std::string& help, GaugeSource source) {
  std::lock_guard<std::mutex> lock(mutex_);
  gauges_.push_back({name, help, std::move(source)});
}

std::string Metrics::Render() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  out += "# HELP multus_server_request_total Requests to the multus daemon's socket.\n";
  out += "# TYPE multus_server_request_total counter\n";
  for (const auto& [key, count] : requests_) {
    const auto& [handler, code, method] = key;
    out +=
        fmt::format("multus_server_request_total{{handler=\"{}\",code=\"{}\",method=\"{}\"}} {}\n",
                    handler, code, method, count);
  }
  out += "# HELP multus_cni_request_duration_seconds Time to answer a CNI call, by verb.\n";
  out += "# TYPE multus_cni_request_duration_seconds histogram\n";
  for (const auto& [command, histogram] : durations_) {
    for (size_t i = 0; i < kBounds.size(); ++i) {
      out +=
          fmt::format("multus_cni_request_duration_seconds_bucket{{command=\"{}\",le=\"{}\"}} {}\n",
                      command, Number(kBounds[i]), histogram.buckets[i]);
    }
    out +=
        fmt::format("multus_cni_request_duration_seconds_bucket{{command=\"{}\",le=\"+Inf\"}} {}\n",
                    command, histogram.count);
    out += fmt::format("multus_cni_request_duration_seconds_sum{{command=\"{}\"}} {}\n", command,
                       Number(histogram.sum));
    out += fmt::format("multus_cni_request_duration_seconds_count{{command=\"{}\"}} {}\n", command,
                       histogram.count);
  }
  out += "# HELP multus_cni_requests_rejected_total CNI calls refused without running.\n";
  out += "# TYPE multus_cni_requests_rejected_total counter\n";
  for (const auto& [reason, count] : rejected_) {
    out += fmt::format("multus_cni_requests_rejected_total{{reason=\"{}\"}} {}\n", reason, count);
  }
  for (const Gauge& gauge : gauges_) {
    out += "# HELP " + gauge.name + " " + gauge.help + "\n# TYPE " + gauge.name + " gauge\n";
    for (const auto& [labels, value] : gauge.source()) {
      out += gauge.name + (labels.empty() ? "" : "{" + labels + "}") + " " + Number(value) + "\n";
    }
  }
  return out;
}

}  // namespace multus::daemon
