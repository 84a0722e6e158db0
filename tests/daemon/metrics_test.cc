#include "metrics.h"

#include <gtest/gtest.h>

#include "timed_executor.h"

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

// Answers every exec with the exit code it is given.
class ExitWith : public Executor {
 public:
  explicit ExitWith(int code) : code_(code) {}
  Result<ExecOutcome> Run(const ExecRequest&) override { return ExecOutcome{code_, false, "", ""}; }

 private:
  int code_;
};

TEST(MetricsTest, EveryDelegateExecIsTimedByPluginAndVerbAndFailuresCounted) {
  Metrics metrics;
  auto ok = MakeTimedExecutor(std::make_unique<ExitWith>(0), metrics);
  auto failing = MakeTimedExecutor(std::make_unique<ExitWith>(3), metrics);
  ExecRequest add{"/opt/cni/bin/bridge",
                  {"CNI_COMMAND=ADD", "CNI_IFNAME=eth0"},
                  R"({"cniVersion":"1.0.0","name":"cluster","type":"bridge"})",
                  {}};
  ExecRequest del{"/opt/cni/bin/macvlan", {"CNI_COMMAND=DEL"}, R"({"name":"say \"hi\"\n"})", {}};
  ASSERT_TRUE(ok->Run(add).ok());
  ASSERT_TRUE(ok->Run(add).ok());
  ASSERT_TRUE(failing->Run(del).ok());
  std::string text = metrics.Render();
  for (const char* line : {
           "# TYPE multus_delegate_duration_seconds histogram\n",
           "multus_delegate_duration_seconds_count{network=\"cluster\",plugin=\"bridge\","
           "command=\"ADD\"} 2\n",
           // A user's name cannot break the line or forge another sample: escaped.
           "multus_delegate_duration_seconds_count{network=\"say \\\"hi\\\"\\n\","
           "plugin=\"macvlan\",command=\"DEL\"} 1\n",
           "multus_delegate_failures_total{network=\"say \\\"hi\\\"\\n\",plugin=\"macvlan\","
           "command=\"DEL\"} 1\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
  EXPECT_EQ(text.find("multus_delegate_failures_total{network=\"cluster\""), std::string::npos);
}

TEST(MetricsTest, ApiRetriesAreCounted) {
  Metrics metrics;
  EXPECT_NE(metrics.Render().find("multus_api_retries_total 0\n"), std::string::npos);
  metrics.CountApiRetry();
  metrics.CountApiRetry();
  EXPECT_NE(metrics.Render().find("multus_api_retries_total 2\n"), std::string::npos);
}

}  // namespace
}  // namespace multus::daemon
