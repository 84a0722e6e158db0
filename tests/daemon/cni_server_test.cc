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
  CniRunner Runner(const CniOutput& output) {
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

HttpRequest Delegate(const std::string& command, const std::string& attributes = "") {
  json body = {{"env",
                {{"CNI_COMMAND", command},
                 {"CNI_CONTAINERID", "cid1"},
                 {"CNI_NETNS", "/var/run/netns/pod"},
                 {"CNI_IFNAME", "net5"},
                 {"CNI_ARGS", "K8S_POD_NAMESPACE=ns;K8S_POD_NAME=pod;K8S_POD_UID=uid"}}},
               {"config", Base64Encode(R"({"cniVersion":"0.4.0","name":"mv","type":"macvlan"})")}};
  if (!attributes.empty()) body["interfaceAttributes"] = json::parse(attributes);
  HttpRequest request;
  request.method = "POST";
  request.path = "/delegate";
  request.body = body.dump();
  return request;
}

struct HotplugRecorder {
  std::mutex mutex;
  std::vector<HotplugRequest> calls;
  HotplugRunner Runner(const Result<std::string>& reply) {
    return [this, reply](const HotplugRequest& request) {
      std::lock_guard<std::mutex> lock(mutex);
      calls.push_back(request);
      return reply;
    };
  }
};

TEST(CniServerTest, DelegateAddRunsTheValidatedRequestAndWrapsItsResult) {
  Metrics metrics;
  Recorder recorder;
  HotplugRecorder hotplug;
  CniServer server({}, recorder.Runner({0, ""}), metrics);
  server.ServeHotplug(hotplug.Runner(std::string(R"({"cniVersion":"1.0.0","ips":[]})")));
  HttpResponse response =
      server.Handle(Delegate("ADD", R"({"ips":["10.1.1.5/24"],"mac":"02:00:00:00:00:05"})"));
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.body, R"({"Result":{"cniVersion":"1.0.0","ips":[]}})");
  ASSERT_EQ(hotplug.calls.size(), 1u);
  const HotplugRequest& call = hotplug.calls[0];
  EXPECT_EQ(call.env.command, "ADD");
  EXPECT_EQ(call.env.container_id, "cid1");
  EXPECT_EQ(call.env.ifname, "net5");
  EXPECT_EQ(call.k8s.pod_name, "pod");
  EXPECT_EQ(call.delegate.conf.name, "mv");
  EXPECT_EQ(json::parse(call.delegate.capability_args)["mac"], "02:00:00:00:00:05");
  EXPECT_TRUE(recorder.calls.empty());
  std::string text = metrics.Render();
  EXPECT_NE(
      text.find(R"(multus_server_request_total{handler="/delegate",code="200",method="POST"} 1)"),
      std::string::npos)
      << text;
}

TEST(CniServerTest, DelegateDelAnswersANullResult) {
  Metrics metrics;
  Recorder recorder;
  HotplugRecorder hotplug;
  CniServer server({}, recorder.Runner({0, ""}), metrics);
  server.ServeHotplug(hotplug.Runner(std::string()));
  HttpResponse response = server.Handle(Delegate("DEL"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"Result":null})");
}

TEST(CniServerTest, DelegateFailureIsTheCniErrorInTheConfigsVersion) {
  Metrics metrics;
  Recorder recorder;
  HotplugRecorder hotplug;
  CniServer server({}, recorder.Runner({0, ""}), metrics);
  server.ServeHotplug(hotplug.Runner(Status::InvalidConfig("net5 is taken", "pick another")));
  HttpResponse response = server.Handle(Delegate("ADD"));
  EXPECT_EQ(response.status, 400);
  json error = json::parse(response.body);
  EXPECT_EQ(error["code"], 7);
  EXPECT_EQ(error["msg"], "net5 is taken");
  EXPECT_EQ(error["cniVersion"], "0.4.0");
}

TEST(CniServerTest, DelegateBadInputIs400AndRunsNothing) {
  Metrics metrics;
  Recorder recorder;
  HotplugRecorder hotplug;
  CniServer server({}, recorder.Runner({0, ""}), metrics);
  server.ServeHotplug(hotplug.Runner(std::string()));
  HttpRequest no_container = Delegate("ADD");
  json body = json::parse(no_container.body);
  body["env"].erase("CNI_CONTAINERID");
  no_container.body = body.dump();
  HttpRequest bad_base64 = Delegate("ADD");
  body = json::parse(bad_base64.body);
  body["config"] = "%%%";
  bad_base64.body = body.dump();
  struct Case {
    std::string what;
    HttpRequest request;
    int code;
  } cases[] = {
      {"CHECK", Delegate("CHECK"), 4},
      {"no container", no_container, 4},
      {"config not base64", bad_base64, 6},
      {"bad ips", Delegate("ADD", R"({"ips":["nope"]})"), 7},
  };
  for (const Case& c : cases) {
    HttpResponse response = server.Handle(c.request);
    EXPECT_EQ(response.status, 400) << c.what;
    EXPECT_EQ(CniCode(response), c.code) << c.what << ": " << response.body;
  }
  EXPECT_TRUE(hotplug.calls.empty());
  EXPECT_NE(metrics.Render().find(
                R"(multus_server_request_total{handler="/delegate",code="400",method="POST"} 4)"),
            std::string::npos)
      << metrics.Render();
}

TEST(CniServerTest, DelegateIsRefusedWhileDrainingAndWhenTheQueueIsFull) {
  Metrics metrics;
  SlowRunner slow;
  HotplugRecorder hotplug;
  CniServerOptions options;
  options.workers = 1;
  options.queue_length = 0;
  CniServer server(options, slow.Runner(), metrics);
  server.ServeHotplug(hotplug.Runner(std::string()));
  // One worker, busy with a /cni call: a hot-plug waits in the same (here empty) queue.
  auto first = std::async(std::launch::async, [&] { return server.Handle(Post("/cni", "ADD")); });
  slow.WaitStarted(1);
  HttpResponse busy = server.Handle(Delegate("ADD"));
  EXPECT_EQ(busy.status, 503);
  EXPECT_EQ(CniCode(busy), 11);
  slow.Release();
  EXPECT_EQ(first.get().status, 200);
  EXPECT_TRUE(server.WaitIdle(std::chrono::seconds(10)));
  server.BeginDrain();
  HttpResponse draining = server.Handle(Delegate("DEL"));
  EXPECT_EQ(draining.status, 503);
  EXPECT_EQ(CniCode(draining), 11);
  EXPECT_TRUE(hotplug.calls.empty());
}

}  // namespace
}  // namespace multus::daemon
