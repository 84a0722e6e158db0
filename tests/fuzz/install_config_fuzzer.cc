// multus-install's generated multus config around a master CNI config found in the host's
// confDir (written by the cluster's primary CNI): RenderMultusConfig, then what the runtime and
// multus do with the file. A master that multus accepts as a delegate, once wrapped, must give
// a file libcni loads and a plugin stdin ParseNetConf accepts, with that master as the cluster
// network. The input's length picks the settings (--override-network-name,
// --force-cni-version 1.1.0).
#include <nlohmann/json.hpp>

#include "fuzz_util.h"
#include "master_config.h"
#include "multus/delegate_conf.h"
#include "multus/multus_type.h"
#include "multus/net_conf.h"
#include "multus_config.h"

namespace multus {
namespace {

install::ConfigSettings Settings(size_t size) {
  install::ConfigSettings settings;
  settings.override_network_name = size % 2 == 1;
  settings.force_cni_version = size / 2 % 2 == 1;
  if (settings.force_cni_version) settings.cni_version = "1.1.0";
  settings.kubeconfig = "/etc/cni/net.d/multus.d/multus.kubeconfig";
  settings.namespace_isolation = true;
  settings.global_namespaces = "default,kube-public";
  settings.log_level = "verbose";
  settings.log_file = "/var/log/multus.log";
  settings.bin_dir = "/opt/cni/bin";
  settings.conf_dir = "/etc/cni/multus/net.d";
  settings.readiness_indicator_file = "/run/flannel/subnet.env";
  return settings;
}

// The master as it will be embedded, when multus accepts it as a delegate; else nullopt.
std::optional<DelegateConf> AcceptedMaster(std::string_view text,
                                           const install::ConfigSettings& settings) {
  std::string master(text);
  if (settings.force_cni_version) {
    nlohmann::ordered_json parsed = nlohmann::ordered_json::parse(text, nullptr, false);
    if (!parsed.is_object()) return std::nullopt;
    parsed["cniVersion"] = settings.cni_version;
    master = parsed.dump();
  }
  Result<DelegateConf> conf = LoadDelegateConf(master);
  if (!conf.ok()) return std::nullopt;
  return std::move(conf).value();
}

}  // namespace
}  // namespace multus

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace multus;
  std::string_view text = fuzz::AsText(data, size);
  (void)LooksLikeMultusConfig(text);
  const install::ConfigSettings settings = Settings(size);
  Result<install::RenderedConfig> rendered = install::RenderMultusConfig(text, settings);
  if (!rendered.ok()) return 0;
  const std::optional<DelegateConf> master = AcceptedMaster(text, settings);
  if (!master) return 0;
  FUZZ_CHECK(!LooksLikeMultusConfig(text), "a multus master was wrapped");

  // libcni loads the file, then runs its (first) plugin with name and cniVersion injected.
  Result<DelegateConf> file = LoadDelegateConf(rendered->content);
  FUZZ_CHECK(file.ok(), "libcni cannot load the generated config: " + file.status().msg() + "\n" +
                            rendered->content);
  FUZZ_CHECK(file->is_list == (rendered->file_name == install::kConflistFileName),
             "file name and content disagree: " + rendered->file_name);
  Result<std::string> in = BuildPluginStdin(*file, file->plugins.front(), "{}", "");
  FUZZ_CHECK(in.ok(), in.status().msg());
  Result<NetConf> conf = ParseNetConf(*in);
  FUZZ_CHECK(conf.ok(), "multus refuses the generated config: " + conf.status().msg() + "\n" + *in);
  FUZZ_CHECK(conf->delegates.size() == 1, "expected the master as the only delegate");
  const DelegateConf& embedded = conf->delegates[0];
  FUZZ_CHECK(embedded.name == master->name && embedded.plugins.size() == master->plugins.size(),
             "the embedded master changed: " + embedded.bytes);
  FUZZ_CHECK(conf->kubeconfig == settings.kubeconfig && conf->namespace_isolation,
             "settings lost: " + *in);
  return 0;
}
