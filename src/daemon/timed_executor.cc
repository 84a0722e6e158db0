#include "timed_executor.h"

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

namespace multus::daemon {
namespace {

class TimedExecutor : public Executor {
 public:
  TimedExecutor(std::unique_ptr<Executor> inner, Metrics& metrics)
      : inner_(std::move(inner)), metrics_(metrics) {}

  Result<ExecOutcome> Run(const ExecRequest& request) override {
    auto start = std::chrono::steady_clock::now();
    Result<ExecOutcome> outcome = inner_->Run(request);
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    bool ok = outcome.ok() && outcome->exit_code == 0 && !outcome->timed_out;
    metrics_.ObserveDelegate(NetworkName(request.stdin_data), PluginName(request.path),
                             Command(request), took.count(), ok);
    return outcome;
  }

 private:
  // The binary's name: a bounded label set (the plugins installed), never a path.
  static std::string PluginName(const std::string& path) {
    size_t slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
  }
  // The network the exec serves: its config's name (a conflist's plugins all carry it).
  static std::string NetworkName(const std::string& config) {
    nlohmann::json doc = nlohmann::json::parse(config, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object()) return "";
    auto name = doc.find("name");
    return name != doc.end() && name->is_string() ? name->get<std::string>() : "";
  }
  static std::string Command(const ExecRequest& request) {
    static const std::string kKey = "CNI_COMMAND=";
    for (const std::string& entry : request.env) {
      if (entry.compare(0, kKey.size(), kKey) == 0) return entry.substr(kKey.size());
    }
    return "";
  }

  std::unique_ptr<Executor> inner_;
  Metrics& metrics_;
};

}  // namespace

std::unique_ptr<Executor> MakeTimedExecutor(std::unique_ptr<Executor> inner, Metrics& metrics) {
  return std::make_unique<TimedExecutor>(std::move(inner), metrics);
}

}  // namespace multus::daemon
