// A fake multus::Executor: records every ExecRequest (path, env, stdin) and replies from a
// scripted queue, else from a handler function, else with a plain success.
#pragma once

#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "multus/executor.h"

namespace multus::test {

class FakeExecutor : public Executor {
 public:
  using Handler = std::function<Result<ExecOutcome>(const ExecRequest&)>;

  Result<ExecOutcome> Run(const ExecRequest& request) override;

  // Queues one reply; queued replies are used first, in order.
  void Push(Result<ExecOutcome> reply) { queue_.push_back(std::move(reply)); }
  void PushSuccess(std::string stdout_data) { Push(ExecOutcome{0, false, std::move(stdout_data), ""}); }
  void PushFailure(int exit_code, std::string stdout_data, std::string stderr_data = "") {
    Push(ExecOutcome{exit_code, false, std::move(stdout_data), std::move(stderr_data)});
  }
  // Replies to requests when the queue is empty.
  void SetHandler(Handler handler) { handler_ = std::move(handler); }

  const std::vector<ExecRequest>& requests() const { return requests_; }
  void Clear() { requests_.clear(); }

  // A handler that behaves like a well-mannered IPAM-ish plugin: ADD answers a result in the
  // config's cniVersion (passing prevResult through when there is one, as a chained plugin
  // does), with the interface CNI_IFNAME and an address 10.0.<n>.2/24 numbered per ADD;
  // every other command answers nothing.
  static Handler LikePlugin();

 private:
  std::deque<Result<ExecOutcome>> queue_;
  Handler handler_;
  std::vector<ExecRequest> requests_;
};

// The value of `key` in a request's env ("" when absent), and how often it occurs.
std::string EnvValue(const ExecRequest& request, std::string_view key);
int EnvCount(const ExecRequest& request, std::string_view key);
// The plugin's file name (last path component).
std::string PluginName(const ExecRequest& request);

}  // namespace multus::test
