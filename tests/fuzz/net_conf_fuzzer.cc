// The multus config (stdin of every call): ParseNetConf, then what ADD does with it without
// a cluster: the static networks, the plugins' stdin, and the plan through the scratch cache.
#include <nlohmann/json.hpp>

#include "fuzz_util.h"
#include "multus/cache.h"
#include "multus/cni_env.h"
#include "multus/delegate_conf.h"
#include "multus/net_conf.h"
#include "multus/network_plan.h"
#include "multus/network_source.h"

namespace multus {
namespace {

// clusterNetwork/defaultNetworks may name files; only names looked up in the scratch
// directory are followed, never a path taken from the input.
bool ReferencesArePlainNames(const NetConf& conf) {
  if (conf.cluster_network.find('/') != std::string::npos) return false;
  for (const std::string& reference : conf.default_networks) {
    if (reference.find('/') != std::string::npos) return false;
  }
  return true;
}

void CheckPluginStdin(const NetConf& conf) {
  // With clusterNetwork set, delegates are ignored: not kept.
  FUZZ_CHECK(conf.cluster_network.empty() || conf.delegates.empty(), "ignored delegates kept");
  for (const DelegateConf& loaded : conf.delegates) {
    Result<DelegateConf> delegate = LoadDelegateConf(loaded.bytes);
    FUZZ_CHECK(delegate.ok(), "a validated delegate no longer loads: " + delegate.status().msg());
    FUZZ_CHECK(delegate->name == loaded.name, "the loaded name differs: " + loaded.bytes);
    for (const PluginConf& plugin : delegate->plugins) {
      Result<std::string> in = BuildPluginStdin(*delegate, plugin, conf.runtime_config, "");
      FUZZ_CHECK(in.ok(), in.status().msg());
      nlohmann::json parsed = nlohmann::json::parse(*in, nullptr, false);
      FUZZ_CHECK(parsed.is_object(), "plugin stdin is not a JSON object: " + *in);
      FUZZ_CHECK(parsed["name"] == delegate->name, "plugin stdin lost the name: " + *in);
    }
  }
}

void CheckPlanRoundTrip(const NetConf& conf) {
  if (!ReferencesArePlainNames(conf)) return;
  NetConf local = conf;
  local.conf_dir = fuzz::ScratchDir();
  Result<std::vector<ResolvedNetwork>> networks = ResolveStaticNetworks(local, "default", nullptr);
  if (!networks.ok()) return;
  CniEnv env{"ADD", "3f2a9c1e5b7d", "/var/run/netns/cni-1", "eth0", "", "/opt/cni/bin"};
  K8sArgs k8s{"default", "web-0", "3f2a9c1e5b7d", "9a3e1c64-0d5e-4b55-a1b2-0c4f0e9d7a11", {}};
  Result<NetworkPlan> built = BuildPlan(*networks, local, env, k8s);
  FUZZ_CHECK(built.ok(), built.status().msg());
  const NetworkPlan& plan = *built;
  std::string saved = SerializePlan(plan);
  Result<NetworkPlan> loaded = ParsePlanCache(saved, "other", "/other", "eth9");
  FUZZ_CHECK(loaded.ok(), loaded.status().msg() + " in " + saved);
  FUZZ_CHECK(loaded->delegates.size() == plan.delegates.size(), saved);
  for (size_t i = 0; i < plan.delegates.size(); ++i) {
    FUZZ_CHECK(loaded->delegates[i].conf.bytes == plan.delegates[i].conf.bytes,
               "config bytes changed");
    FUZZ_CHECK(loaded->delegates[i].ifname == plan.delegates[i].ifname, "ifname changed");
  }
  FUZZ_CHECK(SerializePlan(*loaded) == saved, "the scratch cache is not a fixpoint: " + saved);
}

}  // namespace
}  // namespace multus

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // What clusterNetwork/defaultNetworks names resolve to (confDir is the scratch directory).
  const std::string& dir = multus::fuzz::ScratchDir();
  multus::fuzz::WriteFileOrDie(
      dir + "/10-macvlan.conf",
      R"({"cniVersion":"0.3.1","name":"macvlan-conf","type":"macvlan","master":"eth1"})");
  multus::fuzz::WriteFileOrDie(
      dir + "/20-sidecar.conflist",
      R"({"cniVersion":"1.0.0","name":"sidecar-net","plugins":[{"type":"bridge"},{"type":"tuning"}]})");
  multus::fuzz::WriteFileOrDie(dir + "/00-multus.conf",
                               R"({"cniVersion":"0.3.1","name":"multus","type":"multus"})");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = multus::fuzz::AsText(data, size);
  multus::Result<multus::NetConf> conf = multus::ParseNetConf(text);
  if (!conf.ok()) return 0;
  multus::CheckPluginStdin(*conf);
  multus::CheckPlanRoundTrip(*conf);
  return 0;
}
