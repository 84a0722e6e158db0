// A scripted HttpTransport for list/watch: Send answers LIST pages from one queue, Stream plays
// watch responses (chunks, then an end, a failure or a hang) from another. When a script runs
// out, the request stops the reflector under test (through `stop`), so Run returns.
// Thread-safe: a reflector may run on its own thread.
#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "multus/http_transport.h"
#include "multus/status.h"

namespace multus::test {

class FakeWatchTransport : public HttpTransport {
 public:
  explicit FakeWatchTransport(std::stop_source stop) : stop_(std::move(stop)) {}
  FakeWatchTransport() : FakeWatchTransport(NewStopSource()) {}

  // A stop_source made on the heap and copied: GCC 12 at -Og with the sanitizers warns that a
  // local one "may be used uninitialized" in its own constructor (a false positive, fatal
  // with -Werror).
  static std::stop_source NewStopSource() { return *std::make_unique<std::stop_source>(); }

  // Queues a LIST answer.
  void Reply(long status, std::string body);
  // Queues a LIST that gets no answer: `failure` (e.g. code 11).
  void Fail(Status failure);
  // Queues a watch answered 200 whose body is `chunks`, then ended by the server.
  void Watch(std::vector<std::string> chunks);
  // Queues a watch that delivers `chunks`, then breaks with `failure`.
  void WatchBreaks(std::vector<std::string> chunks, Status failure);
  // Queues a watch answered with a non-2xx `status` and `body`.
  void WatchReply(long status, std::string body);
  // Queues a watch that delivers `chunks`, then waits for the caller's stop.
  void WatchHangs(std::vector<std::string> chunks);

  Result<HttpResponse> Send(const HttpRequest& request) override;
  Result<HttpResponse> Stream(const HttpRequest& request, const StreamControl& control,
                              const StreamSink& on_data) override;

  // Every request, Send and Stream alike, in order.
  std::vector<HttpRequest> requests() const;
  // Only the paths, in order.
  std::vector<std::string> paths() const;
  // What remains unplayed of both scripts.
  size_t pending() const;

 private:
  struct Play {
    long status = 200;
    std::string body;
    std::vector<std::string> chunks;
    std::optional<Status> failure;
    bool hang = false;
  };
  std::optional<Play> Next(std::deque<Play>& script, const HttpRequest& request);

  std::stop_source stop_;
  mutable std::mutex mutex_;
  std::deque<Play> lists_;
  std::deque<Play> watches_;
  std::vector<HttpRequest> requests_;
};

// Watch lines as the apiserver writes them: {"type":...,"object":...} and a newline.
std::string EventLine(std::string_view type, std::string_view object_json);
// A pod object in `ns` named `name` at resourceVersion `rv`, with one annotation a=`value`.
std::string PodJson(std::string_view ns, std::string_view name, std::string_view rv,
                    std::string_view value = "1");
// A LIST page of `items` (JSON objects) at `rv`, with a `continue` token if not empty.
std::string ListJson(const std::vector<std::string>& items, std::string_view rv,
                     std::string_view next = "");

}  // namespace multus::test
