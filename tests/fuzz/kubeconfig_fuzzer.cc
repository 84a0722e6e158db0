// The kubeconfig YAML (multus config's "kubeconfig"): ParseKubeconfig, with credential files
// served from memory so that no path from the input is ever opened.
#include "fuzz_util.h"
#include "multus/kubeconfig.h"

namespace multus {
namespace {

// A file exists unless its path mentions "missing".
Result<std::string> FakeRead(const std::string& path) {
  if (path.find("missing") != std::string::npos) {
    return Status::InvalidConfig("cannot read credential file " + path);
  }
  return "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n# " + path;
}

}  // namespace
}  // namespace multus

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace multus;
  std::string_view text = fuzz::AsText(data, size);
  Result<KubeConfig> config = ParseKubeconfig(text, "/etc/cni/net.d/multus.d", FakeRead);
  if (!config.ok()) {
    FUZZ_CHECK(config.status().code() == code::kInvalidConfig, config.status().msg());
    return 0;
  }
  FUZZ_CHECK(!config->server.empty(), "a kubeconfig without a server was accepted");
  // Relative file references are resolved against the kubeconfig's directory.
  FUZZ_CHECK(config->token_file.empty() || config->token_file.front() == '/',
             "relative tokenFile: " + config->token_file);
  return 0;
}
