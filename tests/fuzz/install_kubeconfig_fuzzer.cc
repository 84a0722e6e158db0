// The kubeconfig multus-install writes (from KUBERNETES_SERVICE_* and the service account's
// ca.crt), read back by the plugin's ParseKubeconfig: what was written is what is read.
// Input: host NUL port NUL ca.crt bytes [NUL tokenFile path]; the protocol and
// insecure-skip-tls-verify follow the input's length.
#include "fuzz_util.h"
#include "kubeconfig_writer.h"
#include "multus/cni_env.h"
#include "multus/in_cluster.h"
#include "multus/kubeconfig.h"

namespace {

constexpr char kDir[] = "/etc/cni/net.d/multus.d";

multus::Result<std::string> AnyFile(const std::string&) { return std::string("token"); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace multus;
  std::vector<std::string_view> parts =
      fuzz::Split(fuzz::AsText(data, size), std::string_view("\0", 1));
  parts.resize(4);
  std::map<std::string, std::string> env = {{"KUBERNETES_SERVICE_HOST", std::string(parts[0])},
                                            {"KUBERNETES_SERVICE_PORT", std::string(parts[1])}};
  if (size % 3 == 1) env["KUBERNETES_SERVICE_PROTOCOL"] = "http";
  Result<std::string> server = InClusterServerUrl(env);
  if (!server.ok()) return 0;
  install::KubeconfigInputs inputs;
  inputs.server = *server;
  inputs.ca_pem = parts[2];
  inputs.skip_tls_verify = size % 2 == 1;
  inputs.token_file = parts[3].empty() ? "/etc/cni/net.d/multus.d/token" : parts[3];
  // Kubelet's environment and paths are text: bytes that are not UTF-8 are out of scope.
  if (!IsValidUtf8(inputs.server) || !IsValidUtf8(inputs.token_file)) return 0;

  const std::string yaml = install::RenderKubeconfig(inputs);
  Result<KubeConfig> read = ParseKubeconfig(yaml, kDir, AnyFile);
  FUZZ_CHECK(read.ok(),
             "the written kubeconfig does not parse: " + read.status().msg() + "\n" + yaml);
  FUZZ_CHECK(read->server == inputs.server, "server changed: " + read->server + "\n" + yaml);
  FUZZ_CHECK(read->insecure == inputs.skip_tls_verify, "insecure-skip-tls-verify changed");
  if (!inputs.skip_tls_verify) FUZZ_CHECK(read->ca_pem == inputs.ca_pem, "CA changed\n" + yaml);
  const std::string token_file = inputs.token_file.front() == '/'
                                     ? inputs.token_file
                                     : std::string(kDir) + "/" + inputs.token_file;
  FUZZ_CHECK(read->token_file == token_file,
             "tokenFile changed: " + read->token_file + "\n" + yaml);
  return 0;
}
