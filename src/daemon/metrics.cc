#include "metrics.h"

#include <fmt/core.h>

#include <array>

namespace multus::daemon {
namespace {

// Seconds: a CNI call takes tens of milliseconds to minutes (a slow IPAM, the readiness wait).
constexpr std::array<double, 12> kBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                            0.5,   1,    2.5,   5,    10,  60};

std::string Number(double value) { return fmt::format("{}", value); }

// A label value as the text format quotes it: network names and plugin types come from users'
// configs, and a quote or newline in one must not break (or forge) the exposition.
std::string LabelValue(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    out += c == '\n' ? std::string("\\n") : std::string(1, c);
  }
  return out;
}

}  // namespace

void Metrics::CountRequest(const std::string& handler, int code, const std::string& method) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{handler, code, method}];
}

void Metrics::Observe(Histogram& histogram, double seconds) {
  histogram.buckets.resize(kBounds.size());
  for (size_t i = 0; i < kBounds.size(); ++i) {
    if (seconds <= kBounds[i]) ++histogram.buckets[i];
  }
  ++histogram.count;
  histogram.sum += seconds;
}

void Metrics::ObserveCni(const std::string& command, double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  Observe(durations_[fmt::format("command=\"{}\"", command)], seconds);
}

void Metrics::ObserveDelegate(const std::string& network, const std::string& plugin,
                              const std::string& command, double seconds, bool ok) {
  std::string labels = fmt::format("network=\"{}\",plugin=\"{}\",command=\"{}\"",
                                   LabelValue(network), LabelValue(plugin), LabelValue(command));
  std::lock_guard<std::mutex> lock(mutex_);
  Observe(delegate_durations_[labels], seconds);
  if (!ok) ++delegate_failures_[labels];
}

void Metrics::CountApiRetry() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++api_retries_;
}

void Metrics::RenderHistograms(std::string& out, const std::string& name, const std::string& help,
                               const std::map<std::string, Histogram>& histograms) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " histogram\n";
  for (const auto& [labels, histogram] : histograms) {
    for (size_t i = 0; i < kBounds.size(); ++i) {
      out += fmt::format("{}_bucket{{{},le=\"{}\"}} {}\n", name, labels, Number(kBounds[i]),
                         histogram.buckets[i]);
    }
    out += fmt::format("{}_bucket{{{},le=\"+Inf\"}} {}\n", name, labels, histogram.count);
    out += fmt::format("{}_sum{{{}}} {}\n", name, labels, Number(histogram.sum));
    out += fmt::format("{}_count{{{}}} {}\n", name, labels, histogram.count);
  }
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
  RenderHistograms(out, "multus_cni_request_duration_seconds",
                   "Time to answer a CNI call, by verb.", durations_);
  RenderHistograms(out, "multus_delegate_duration_seconds",
                   "Time of each delegate plugin exec, by network, plugin and verb.",
                   delegate_durations_);
  out += "# HELP multus_delegate_failures_total Delegate execs that failed or were killed.\n";
  out += "# TYPE multus_delegate_failures_total counter\n";
  for (const auto& [labels, count] : delegate_failures_) {
    out += fmt::format("multus_delegate_failures_total{{{}}} {}\n", labels, count);
  }
  out += "# HELP multus_cni_requests_rejected_total CNI calls refused without running.\n";
  out += "# TYPE multus_cni_requests_rejected_total counter\n";
  for (const auto& [reason, count] : rejected_) {
    out += fmt::format("multus_cni_requests_rejected_total{{reason=\"{}\"}} {}\n", reason, count);
  }
  out += "# HELP multus_api_retries_total Requests of the shared Kubernetes client sent again.\n";
  out += "# TYPE multus_api_retries_total counter\n";
  out += fmt::format("multus_api_retries_total {}\n", api_retries_);
  for (const Gauge& gauge : gauges_) {
    out += "# HELP " + gauge.name + " " + gauge.help + "\n# TYPE " + gauge.name + " gauge\n";
    for (const auto& [labels, value] : gauge.source()) {
      out += gauge.name + (labels.empty() ? "" : "{" + labels + "}") + " " + Number(value) + "\n";
    }
  }
  return out;
}

}  // namespace multus::daemon
