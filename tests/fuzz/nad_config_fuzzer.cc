// A NetworkAttachmentDefinition's spec.config, as the API returns it: NetworkFromNad turns it
// into a delegate (injecting the name when missing), then the pod's selection edits it.
#include "fuzz_util.h"
#include "multus/cni_args_injection.h"
#include "multus/delegate_conf.h"
#include "multus/device_info.h"
#include "multus/kube_client.h"
#include "multus/nad_network.h"
#include "multus/net_conf.h"
#include "multus/pod_networks.h"

namespace multus {
namespace {

void CheckLoads(const std::string& config, const char* what) {
  Result<DelegateConf> conf = LoadDelegateConf(config);
  FUZZ_CHECK(conf.ok(), std::string(what) + ": " + conf.status().msg() + " in " + config);
}

}  // namespace
}  // namespace multus

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // A NAD without spec.config uses the confDir file of its name.
  multus::fuzz::WriteFileOrDie(
      multus::fuzz::ScratchDir() + "/10-macvlan.conf",
      R"({"cniVersion":"0.3.1","name":"macvlan-conf","type":"macvlan","master":"eth1"})");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace multus;
  std::string_view text = fuzz::AsText(data, size);
  NetConf conf;
  conf.conf_dir = fuzz::ScratchDir();
  Nad nad{"default",
          "macvlan-conf",
          std::string(text),
          {{std::string(kResourceNameAnnotation), "intel.com/sriov"}}};
  Result<ResolvedNetwork> network = NetworkFromNad(nad, conf);
  if (!network.ok()) return 0;
  FUZZ_CHECK(network->display_name == "default/macvlan-conf", network->display_name);
  FUZZ_CHECK(network->resource_name == "intel.com/sriov", network->resource_name);
  CheckLoads(network->conf.bytes, "NetworkFromNad");
  Result<std::string> with_device = InjectDeviceId(network->conf.bytes, "0000:03:00.1");
  FUZZ_CHECK(with_device.ok(), with_device.status().msg());
  CheckLoads(*with_device, "InjectDeviceId");
  Result<std::string> with_args =
      InjectCniArgs(*with_device, R"({"labels":[{"key":"app","value":"web"}],"x":null})");
  FUZZ_CHECK(with_args.ok(), with_args.status().msg());
  CheckLoads(*with_args, "InjectCniArgs");
  return 0;
}
