#include "testing/fake_watch_transport.h"

#include <gtest/gtest.h>

#include <condition_variable>

namespace multus::test {

void FakeWatchTransport::Reply(long status, std::string body) {
  std::lock_guard lock(mutex_);
  lists_.push_back(Play{status, std::move(body), {}, std::nullopt, false});
}

void FakeWatchTransport::Fail(Status failure) {
  std::lock_guard lock(mutex_);
  lists_.push_back(Play{0, "", {}, std::move(failure), false});
}

void FakeWatchTransport::Watch(std::vector<std::string> chunks) {
  std::lock_guard lock(mutex_);
  watches_.push_back(Play{200, "", std::move(chunks), std::nullopt, false});
}

void FakeWatchTransport::WatchBreaks(std::vector<std::string> chunks, Status failure) {
  std::lock_guard lock(mutex_);
  watches_.push_back(Play{200, "", std::move(chunks), std::move(failure), false});
}

void FakeWatchTransport::WatchReply(long status, std::string body) {
  std::lock_guard lock(mutex_);
  watches_.push_back(Play{status, std::move(body), {}, std::nullopt, false});
}

void FakeWatchTransport::WatchHangs(std::vector<std::string> chunks) {
  std::lock_guard lock(mutex_);
  watches_.push_back(Play{200, "", std::move(chunks), std::nullopt, true});
}

std::optional<FakeWatchTransport::Play> FakeWatchTransport::Next(std::deque<Play>& script,
                                                                 const HttpRequest& request) {
  std::lock_guard lock(mutex_);
  requests_.push_back(request);
  if (script.empty()) {
    stop_.request_stop();
    return std::nullopt;
  }
  Play play = std::move(script.front());
  script.pop_front();
  return play;
}

Result<HttpResponse> FakeWatchTransport::Send(const HttpRequest& request) {
  std::optional<Play> play = Next(lists_, request);
  if (!play) return Status::TryAgainLater("FakeWatchTransport: no more LIST answers");
  if (play->failure) return *play->failure;
  return HttpResponse{play->status, play->body, ""};
}

Result<HttpResponse> FakeWatchTransport::Stream(const HttpRequest& request,
                                                const StreamControl& control,
                                                const StreamSink& on_data) {
  std::optional<Play> play = Next(watches_, request);
  if (!play) return HttpResponse{200, "", ""};
  if (play->status != 200) return HttpResponse{play->status, play->body, ""};
  for (const std::string& chunk : play->chunks) {
    if (!on_data(chunk)) return HttpResponse{200, "", ""};
  }
  if (play->failure) return *play->failure;
  if (play->hang) {
    std::mutex mutex;
    std::condition_variable_any stopped;
    std::unique_lock lock(mutex);
    stopped.wait(lock, control.stop, [] { return false; });
  }
  return HttpResponse{200, "", ""};
}

std::vector<HttpRequest> FakeWatchTransport::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::vector<std::string> FakeWatchTransport::paths() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> paths;
  for (const HttpRequest& request : requests_) paths.push_back(request.path);
  return paths;
}

size_t FakeWatchTransport::pending() const {
  std::lock_guard lock(mutex_);
  return lists_.size() + watches_.size();
}

std::string EventLine(std::string_view type, std::string_view object_json) {
  return R"({"type":")" + std::string(type) + R"(","object":)" + std::string(object_json) + "}\n";
}

std::string PodJson(std::string_view ns, std::string_view name, std::string_view rv,
                    std::string_view value) {
  return R"({"kind":"Pod","metadata":{"namespace":")" + std::string(ns) + R"(","name":")" +
         std::string(name) + R"(","uid":"uid-)" + std::string(name) + R"(","resourceVersion":")" +
         std::string(rv) + R"(","annotations":{"a":")" + std::string(value) +
         R"("}},"spec":{"nodeName":"node1"}})";
}

std::string ListJson(const std::vector<std::string>& items, std::string_view rv,
                     std::string_view next) {
  std::string out = R"({"kind":"PodList","metadata":{"resourceVersion":")" + std::string(rv) +
                    R"(","continue":")" + std::string(next) + R"("},"items":[)";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + items[i];
  return out + "]}";
}

}  // namespace multus::test
