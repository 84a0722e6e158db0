// A delegate conf or conflist (confDir files, the multus config's delegates, NAD configs):
// LoadDelegateConf and every byte-level edit made to it before a plugin runs.
#include <nlohmann/json.hpp>

#include "fuzz_util.h"
#include "multus/cni_args_injection.h"
#include "multus/delegate_conf.h"
#include "multus/device_info.h"
#include "multus/pod_networks.h"

namespace multus {
namespace {

using nlohmann::json;

constexpr char kCapabilityArgs[] =
    R"({"mac":"c2:b0:57:49:47:f1","ips":["10.1.1.101/24"],"portMappings":[{"hostPort":8080,)"
    R"("containerPort":80,"protocol":"tcp"}],"bandwidth":{"ingressRate":1000},"deviceID":"0000:03:00.1"})";
constexpr char kPrevResult[] =
    R"({"cniVersion":"1.0.0","interfaces":[{"name":"net1","sandbox":"/var/run/netns/x"}],)"
    R"("ips":[{"address":"10.1.1.101/24","interface":0}]})";

// An edited config must still load, as the same kind of delegate with the same name.
void CheckStillLoads(const DelegateConf& before, const Result<std::string>& edited,
                     const char* edit) {
  FUZZ_CHECK(edited.ok(), std::string(edit) + ": " + edited.status().msg());
  Result<DelegateConf> after = LoadDelegateConf(*edited);
  FUZZ_CHECK(after.ok(),
             std::string(edit) + " broke the config: " + after.status().msg() + " in " + *edited);
  FUZZ_CHECK(after->name == before.name && after->is_list == before.is_list &&
                 after->plugins.size() == before.plugins.size(),
             std::string(edit) + " changed the delegate: " + *edited);
}

void CheckPluginStdin(const DelegateConf& conf) {
  for (const PluginConf& plugin : conf.plugins) {
    Result<std::string> in = BuildPluginStdin(conf, plugin, kCapabilityArgs, kPrevResult,
                                              {{"cni.dev/valid-attachments", "[]"}});
    FUZZ_CHECK(in.ok(), in.status().msg());
    json parsed = json::parse(*in, nullptr, false);
    FUZZ_CHECK(parsed.is_object(), "plugin stdin is not a JSON object: " + *in);
    FUZZ_CHECK(parsed["name"] == conf.name, "plugin stdin lost the name: " + *in);
    FUZZ_CHECK(parsed["prevResult"] == json::parse(kPrevResult), "prevResult lost: " + *in);
    FUZZ_CHECK(parsed["type"] == plugin.type, "plugin stdin changed the type: " + *in);
  }
}

}  // namespace
}  // namespace multus

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace multus;
  std::string_view text = fuzz::AsText(data, size);
  (void)ValidatePluginType(text);
  Result<DelegateConf> conf = LoadDelegateConf(text);
  if (!conf.ok()) return 0;
  CheckPluginStdin(*conf);
  Result<std::string> same = EditPluginObjects(
      text, [](std::string_view plugin) -> Result<std::string> { return std::string(plugin); });
  CheckStillLoads(*conf, same, "EditPluginObjects(identity)");
  CheckStillLoads(*conf, InjectDeviceId(text, "0000:03:00.1"), "InjectDeviceId");
  CheckStillLoads(*conf, InjectCniArgs(text, R"({"labels":[{"key":"app","value":"web"}]})"),
                  "InjectCniArgs");
  return 0;
}
