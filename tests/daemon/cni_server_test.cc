#include "cni_server.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>

#include "multus/base64.h"

namespace multus::daemon {
namespace {

using nlohmann::json;

HttpRequest Post(const std::string& path, const std::string& command,
                 const std::string& config = R"({"cniVersion":"0.4.0","name":"n"})") {
  HttpRequest request;
  request.method = "POST";
  request.path = path;
  request.body = json{{"env", {{"CNI_COMMAND", command}, {"CNI_IFNAME", "eth0"}}},
                      {"config", Base64Encode(config)}}
                     .dump();
  return request;
}

HttpRequest Get(const std::string& path) {
  HttpRequest request;
  request.method = "GET";
  request.path = path;
  return request;
}

int CniCode(const HttpResponse& response) { return json::parse(response.body).at("code"); }

struct Recorder {
  std::mutex mutex;
  std::vector<std::pair<EnvMap, std::string>> calls;
  CniRunner Runner(CniOutput output) {
    return [this, output](const EnvMap& env, std::string_view config) {
      std::lock_guard<std::mutex> lock(mutex);
      calls.emplace_back(env, std::string(config));
      return output;
    };
  }
};

TEST(CniServerTest, ReadinessFollowsTheServingState) {
  EXPECT_EQ(ReadyzStatus(ServingState::kServing), 200);
  EXPECT_EQ(ReadyzStatus(ServingState::kDraining), 503);
}

TEST(CniServerTest, RunsAnAddWithTheOverriddenConfigAndWrapsTheResult) {
  Metrics metrics;
  Recorder recorder;
  CniServerOptions options;
  options.overrides = {{"confDir", "\"/etc/forced\""}};
  CniServer server(options, recorder.Runner({0, R"({"cniVersion":"0.4.0","ips":[]})"}), metrics);
  HttpResponse response = server.Handle(Post("/cni", "ADD"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"Result":{"cniVersion":"0.4.0","ips":[]}})");
  ASSERT_EQ(recorder.calls.size(), 1u);
  EXPECT_EQ(recorder.calls[0].first.at("CNI_COMMAND"), "ADD");
  EXPECT_EQ(recorder.calls[0].second,
            R"({"cniVersion":"0.4.0","name":"n","confDir":"/etc/forced"})");
  std::string text = metrics.Render();
  EXPECT_NE(text.find(R"(multus_server_request_total{handler="/cni",code="200",method="POST"} 1)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(multus_cni_request_duration_seconds_count{command="ADD"} 1)"),
            std::string::npos)
      << text;
}

TEST(CniServerTest, AFailedCallIsItsCniErrorWith400) {
  Metrics metrics;
  Recorder recorder;
  std::string error = R"({"cniVersion":"0.4.0","code":7,"msg":"bad","details":""})";
  CniServer server({}, recorder.Runner({1, error}), metrics);
  HttpResponse response = server.Handle(Post("/cni", "DEL"));
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.body, error);
}

TEST(CniServerTest, HealthAndReadinessAndDrain) {
  Metrics metrics;
  Recorder recorder;
  CniServer server({}, recorder.Runner({0, ""}), metrics);
  EXPECT_EQ(server.Handle(Get("/healthz")).status, 200);
  EXPECT_EQ(server.Handle(Get("/readyz")).status, 200);
  EXPECT_EQ(server.Handle(Post("/cni", "DEL")).status, 200);
  server.BeginDrain();
  EXPECT_EQ(server.Handle(Get("/readyz")).status, 503);
  EXPECT_EQ(server.Handle(Get("/healthz")).status, 200);
  HttpResponse refused = server.Handle(Post("/cni", "ADD"));
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(CniCode(refused), 11);
  EXPECT_EQ(json::parse(refused.body).at("cniVersion"), "0.4.0");
  EXPECT_EQ(recorder.calls.size(), 1u);
}

TEST(CniServerTest, UnknownPathsMethodsAndHotPlug) {
  Metrics metrics;
  Recorder recorder;
  CniServer server({}, recorder.Runner({0, ""}), metrics);
  EXPECT_EQ(server.Handle(Get("/nope")).status, 404);
  EXPECT_EQ(server.Handle(Get("/cni")).status, 405);
  HttpResponse delegate = server.Handle(Post("/delegate", "ADD"));
  EXPECT_EQ(delegate.status, 501);
  EXPECT_EQ(CniCode(delegate), 2);
  HttpRequest bad = Post("/cni", "ADD");
  bad.body = "{}";
  HttpResponse response = server.Handle(bad);
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(CniCode(response), 4);
  EXPECT_TRUE(recorder.calls.empty());
}

// A runner that blocks until released, to fill the workers and the queue.
struct SlowRunner {
  std::mutex mutex;
  std::condition_variable cv;
  bool released = false;
  int started = 0;
  CniRunner Runner() {
    return [this](const EnvMap&, std::string_view) {
      std::unique_lock<std::mutex> lock(mutex);
      ++started;
      cv.notify_all();
      cv.wait(lock, [this] { return released; });
      return CniOutput{0, ""};
    };
  }
  void WaitStarted(int n) {
    std::unique_lock<std::mutex> lock(mutex);
    cv.wait(lock, [&] { return started >= n; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mutex);
    released = true;
    cv.notify_all();
  }
};

TEST(CniServerTest, AFullQueueRefusesAtOnceWithCode11) {
  Metrics metrics;
  SlowRunner slow;
  CniServerOptions options;
  options.workers = 1;
  options.queue_length = 1;
  CniServer server(options, slow.Runner(), metrics);
  auto first = std::async(std::launch::async, [&] { return server.Handle(Post("/cni", "ADD")); });
  slow.WaitStarted(1);
  auto second = std::async(std::launch::async, [&] { return server.Handle(Post("/cni", "ADD")); });
  // Once the second waits in the queue, a third finds it full.
  while (metrics.Render().find("multus_cni_requests_queued 1\n") == std::string::npos) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  HttpResponse third = server.Handle(Post("/cni", "ADD"));
  EXPECT_EQ(third.status, 503);
  EXPECT_EQ(CniCode(third), 11);
  slow.Release();
  EXPECT_EQ(first.get().status, 200);
  EXPECT_EQ(second.get().status, 200);
  EXPECT_TRUE(server.WaitIdle(std::chrono::seconds(10)));
  EXPECT_NE(metrics.Render().find(R"(multus_cni_requests_rejected_total{reason="queue_full"})"),
            std::string::npos);
}

TEST(CniServerTest, ACallPastItsDeadlineIsAnsweredWithCode11) {
  Metrics metrics;
  SlowRunner slow;
  CniServerOptions options;
  options.workers = 1;
  options.request_timeout = std::chrono::milliseconds(50);
  CniServer server(options, slow.Runner(), metrics);
  HttpResponse response = server.Handle(Post("/cni", "ADD"));
  EXPECT_EQ(response.status, 504);
  EXPECT_EQ(CniCode(response), 11);
  slow.Release();
  EXPECT_TRUE(server.WaitIdle(std::chrono::seconds(10)));
}

}  // namespace
}  // namespace multus::daemon
