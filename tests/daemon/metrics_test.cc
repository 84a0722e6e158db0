#include "metrics.h"

#include <gtest/gtest.h>

namespace multus::daemon {
namespace {

TEST(MetricsTest, RendersCountersHistogramAndRegisteredGauges) {
  Metrics metrics;
  metrics.CountRequest("/cni", 200, "POST");
  metrics.CountRequest("/cni", 200, "POST");
  metrics.ObserveCni("ADD", 0.02);
  metrics.CountRejected("queue_full");
  metrics.AddGauge("multus_cache_objects", "Objects in the watch cache.", [] {
    return std::vector<Metrics::Sample>{{"kind=\"pod\"", 3}, {"kind=\"nad\"", 2}};
  });
  std::string text = metrics.Render();
  for (const char* line : {
           "# TYPE multus_server_request_total counter\n",
           "multus_server_request_total{handler=\"/cni\",code=\"200\",method=\"POST\"} 2\n",
           "multus_cni_request_duration_seconds_bucket{command=\"ADD\",le=\"0.01\"} 0\n",
           "multus_cni_request_duration_seconds_bucket{command=\"ADD\",le=\"0.025\"} 1\n",
           "multus_cni_request_duration_seconds_bucket{command=\"ADD\",le=\"+Inf\"} 1\n",
           "multus_cni_request_duration_seconds_sum{command=\"ADD\"} 0.02\n",
           "multus_cni_request_duration_seconds_count{command=\"ADD\"} 1\n",
           "multus_cni_requests_rejected_total{reason=\"queue_full\"} 1\n",
           "# TYPE multus_cache_objects gauge\n",
           "multus_cache_objects{kind=\"pod\"} 3\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
}

}  // namespace
}  // namespace multus::daemon
