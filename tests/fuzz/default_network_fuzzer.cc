// The v1.multus-cni.io/default-network annotation, applied as ADD applies it: the pod's
// annotations (input: default-network value, optionally NUL and a networks value) go through
// ApplyPodAnnotations with NADs from a fake lookup and devices from a checkpoint, and the
// resulting plan through the scratch cache.
#include "fuzz_util.h"
#include "multus/annotations.h"
#include "multus/cache.h"
#include "multus/cni_env.h"
#include "multus/delegate_conf.h"
#include "multus/device_info.h"
#include "multus/net_conf.h"
#include "multus/network_plan.h"
#include "multus/network_source.h"
#include "multus/pod_networks.h"

namespace multus {
namespace {

constexpr char kPodUid[] = "9a3e1c64-0d5e-4b55-a1b2-0c4f0e9d7a11";

std::string CheckpointPath() { return fuzz::ScratchDir() + "/kubelet_internal_checkpoint"; }

// Every NAD exists except "missing-*"; "broken" fails the lookup; "sriov*" needs a device.
class FakeNads : public NadLookup {
 public:
  Result<std::optional<ResolvedNetwork>> Find(std::string_view ns, std::string_view name) override {
    if (name.starts_with("missing")) return std::optional<ResolvedNetwork>();
    if (name == "broken") return Status::TryAgainLater("apiserver unavailable");
    ResolvedNetwork network;
    network.display_name = std::string(ns) + "/" + std::string(name);
    network.conf = LoadDelegateConf(R"({"cniVersion":"1.0.0","name":"net","plugins":[)"
                                    R"({"type":"macvlan","capabilities":{"ips":true,"mac":true}},)"
                                    R"({"type":"tuning"}]})")
                       .value();
    if (name.starts_with("sriov")) network.resource_name = "intel.com/sriov";
    return std::optional<ResolvedNetwork>(network);
  }
};

void CheckPlan(const std::vector<ResolvedNetwork>& networks, const NetConf& conf) {
  for (const ResolvedNetwork& network : networks) {
    // What the plan carries is what its bytes load to.
    Result<DelegateConf> delegate = LoadDelegateConf(network.conf.bytes);
    FUZZ_CHECK(delegate.ok(), delegate.status().msg() + " in " + network.conf.bytes);
    FUZZ_CHECK(delegate->name == network.conf.name,
               "the loaded name differs: " + network.conf.bytes);
  }
  CniEnv env{"ADD", "3f2a9c1e5b7d", "/var/run/netns/cni-1", "eth0", "", "/opt/cni/bin"};
  K8sArgs k8s{"default", "web-0", "3f2a9c1e5b7d", kPodUid, {}};
  Result<NetworkPlan> plan = BuildPlan(networks, conf, env, k8s);
  FUZZ_CHECK(plan.ok(), plan.status().msg());
  std::string saved = SerializePlan(*plan);
  Result<NetworkPlan> loaded = ParsePlanCache(saved, "", "", "");
  FUZZ_CHECK(loaded.ok(), loaded.status().msg() + " in " + saved);
  FUZZ_CHECK(SerializePlan(*loaded) == saved, "the scratch cache is not a fixpoint: " + saved);
}

}  // namespace
}  // namespace multus

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  multus::fuzz::WriteFileOrDie(
      multus::CheckpointPath(),
      std::string(R"({"Data":{"PodDeviceEntries":[{"PodUID":")") + multus::kPodUid +
          R"(","ContainerName":"app","ResourceName":"intel.com/sriov","DeviceIDs":)"
          R"({"0":["0000:03:00.2","0000:03:00.1"]}}],"RegisteredDevices":{}},"Checksum":1})");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace multus;
  std::string_view text = fuzz::AsText(data, size);
  std::vector<std::string_view> values = fuzz::Split(text, std::string_view("\0", 1));

  // The parser alone, as the default-network annotation is read.
  Result<std::vector<NetworkSelection>> selections =
      ParseNetworkSelections(kDefaultNetworkAnnotation, values[0], "kube-system");
  if (!selections.ok()) {
    FUZZ_CHECK(selections.status().code() == code::kInvalidConfig, selections.status().msg());
  }

  NetConf conf;
  conf.conf_dir = fuzz::ScratchDir();
  conf.runtime_config = R"({"portMappings":[],"bandwidth":{}})";
  // Both isolation settings, chosen by the input's length so that each input is replayable.
  conf.namespace_isolation = size % 2 == 1;
  Pod pod{"default", "web-0", kPodUid, {}, false};
  pod.annotations[std::string(kDefaultNetworkAnnotation)] = std::string(values[0]);
  if (values.size() > 1) pod.annotations[std::string(kNetworksAnnotation)] = std::string(values[1]);

  conf.delegates = {
      LoadDelegateConf(R"({"cniVersion":"0.3.1","name":"k8s-pod-network","type":"calico"})")
          .value()};
  FakeNads nads;
  DeviceAllocator devices(CheckpointPath(), kPodUid);
  Result<std::vector<ResolvedNetwork>> networks = ResolvePodNetworks(conf, pod, nads, devices);
  if (!networks.ok()) return 0;
  CheckPlan(*networks, conf);
  return 0;
}
