// What delegate plugins print (results, CNI error objects, stderr), as DelegateRunner reads it
// through ADD (with prevResult chaining and the result cache), CHECK, DEL, STATUS and GC.
// The input scripts the plugins' answers, one per call, separated by "\n---\n":
// "[<exit code>\n]<stdout>[\n+++\n<stderr>]". Once the script is used up a plugin cannot be
// started (code 5). The delegate's cniVersion follows the input's length (0.3.1/0.4.0/1.1.0).
#include <charconv>
#include <deque>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "fuzz_util.h"
#include "multus/cache.h"
#include "multus/delegate_runner.h"
#include "multus/executor.h"

namespace multus {
namespace {

constexpr char kContainerId[] = "3f2a9c1e5b7d";

ExecOutcome ParseAnswer(std::string_view chunk) {
  ExecOutcome outcome{0, false, "", ""};
  const size_t newline = chunk.find('\n');
  const std::string_view head = chunk.substr(0, newline);
  int exit_code = 0;
  auto [end, error] = std::from_chars(head.data(), head.data() + head.size(), exit_code);
  if (error == std::errc() && end == head.data() + head.size() && !head.empty()) {
    outcome.exit_code = exit_code;
    chunk = newline == std::string_view::npos ? "" : chunk.substr(newline + 1);
  }
  std::vector<std::string_view> streams = fuzz::Split(chunk, "\n+++\n");
  outcome.stdout_data = streams[0];
  if (streams.size() > 1) outcome.stderr_data = streams[1];
  return outcome;
}

class ScriptedPlugins : public Executor {
 public:
  explicit ScriptedPlugins(std::string_view script) {
    for (std::string_view chunk : fuzz::Split(script, "\n---\n"))
      answers_.push_back(ParseAnswer(chunk));
  }
  Result<ExecOutcome> Run(const ExecRequest& request) override {
    FUZZ_CHECK(nlohmann::json::parse(request.stdin_data, nullptr, false).is_object(),
               "plugin stdin is not a JSON object: " + request.stdin_data);
    if (answers_.empty()) return Status::IoFailure("cannot start " + request.path);
    ExecOutcome answer = std::move(answers_.front());
    answers_.pop_front();
    return answer;
  }

 private:
  std::deque<ExecOutcome> answers_;
};

std::string Config(size_t size) {
  constexpr const char* kVersions[] = {"0.3.1", "0.4.0", "1.1.0"};
  return std::string(R"({"cniVersion":")") + kVersions[size % 3] +
         R"(","name":"net","plugins":[{"type":"bridge","capabilities":{"mac":true}},)"
         R"({"type":"tuning"}]})";
}

void CheckResultCache(const nlohmann::json& added) {
  const std::string path = ResultCachePath(fuzz::ScratchDir(), "net", kContainerId, "net1");
  Result<std::optional<std::string>> bytes = ReadFileIfExists(path);
  FUZZ_CHECK(bytes.ok() && bytes->has_value(), "ADD succeeded without a result cache");
  Result<CachedResult> cached = ParseCachedResult(**bytes);
  FUZZ_CHECK(cached.ok(), "ADD wrote a result cache it cannot read: " + cached.status().msg());
  FUZZ_CHECK(nlohmann::json::parse(cached->result, nullptr, false) == added,
             "the cached result differs from ADD's: " + cached->result);
}

}  // namespace
}  // namespace multus

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const std::string bin = multus::fuzz::ScratchDir() + "/bin";
  std::filesystem::create_directories(bin);
  multus::fuzz::WriteFileOrDie(bin + "/bridge", "");
  multus::fuzz::WriteFileOrDie(bin + "/tuning", "");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace multus;
  std::string_view text = fuzz::AsText(data, size);
  ScriptedPlugins plugins(text);
  Invocation invocation{
      kContainerId,
      "/var/run/netns/cni-1",
      {fuzz::ScratchDir() + "/bin"},
      ComposeCniArgs({{"K8S_POD_NAMESPACE", "default"}, {"K8S_POD_NAME", "web-0"}}),
      {{"PATH", "/usr/bin"}},
      fuzz::ScratchDir(),
      std::chrono::milliseconds(1000),
      {}};  // found_plugins: none, the runner searches the path
  DelegateRunner runner(plugins, invocation);
  PlannedDelegate delegate;
  delegate.display_name = "default/net";
  delegate.LoadConfig(Config(size));
  delegate.ifname = "net1";
  delegate.capability_args = R"({"mac":"c2:b0:57:49:47:f1"})";

  Result<DelegateResult> added = runner.Add(delegate);
  if (added.ok()) {
    FUZZ_CHECK(added->original.is_object(), added->original.dump());
    CheckResultCache(added->original);
    (void)runner.RewriteCachedResult(delegate, *added);
  }
  (void)runner.Check(delegate);
  (void)runner.PluginStatus(delegate);
  (void)runner.Gc(delegate, R"([{"containerID":"3f2a9c1e5b7d","ifname":"net1"}])");
  (void)runner.Del(delegate);
  (void)runner.ForgetResult(delegate);
  return 0;
}
