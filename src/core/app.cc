#include "multus/app.h"

#include <initializer_list>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "multus/cni_answers.h"
#include "multus/cni_result.h"
#include "multus/cni_version.h"
#include "multus/kubeconfig.h"
#include "multus/log.h"
#include "multus/net_conf.h"

#ifndef MULTUS_VERSION
#define MULTUS_VERSION "dev"
#endif
#ifndef MULTUS_GIT_COMMIT
#define MULTUS_GIT_COMMIT "unknown"
#endif

namespace multus {
namespace {

using nlohmann::json;

// The CNI `about` string of upstream's plugin.
constexpr std::string_view kAbout = "meta-plugin that delegates to other CNI plugins";

std::string UsageText() {
  return "Usage: multus [--version | --help]\n"
         "\n"
         "The multus CNI meta-plugin. The container runtime runs it from its CNI bin directory\n"
         "(/opt/cni/bin) with the CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS "
         "and\n"
         "CNI_PATH environment variables and the multus config (00-multus.conf) on stdin; it\n"
         "prints the CNI result or a CNI error object on stdout.\n"
         "\n"
         "  -v, -version, --version  print the version and exit\n"
         "  -h, -help, --help        print this help and exit\n"
         "\n" +
         AboutText(kAbout);
}

// The verb gates of the spec: CHECK needs >= 0.4.0, GC and STATUS >= 1.1.0.
Status CheckVersion(const std::string& command, const std::string& version) {
  if (!IsSupportedVersion(version)) {
    return UnsupportedVersion(version);
  }
  std::string_view minimum = command == "CHECK"                       ? "0.4.0"
                             : command == "GC" || command == "STATUS" ? "1.1.0"
                                                                      : "0.1.0";
  if (!VersionAtLeast(version, minimum)) {
    return Status::IncompatibleVersion("config version does not allow " + command,
                                       "set cniVersion to " + std::string(minimum) + " or later");
  }
  return OkStatus();
}

struct Outcome {
  Status status;
  std::string output;
};

Outcome Dispatch(const CniEnv& env, const EnvMap& process_env, std::string_view stdin_data,
                 Deps& deps, std::string& cni_version) {
  if (stdin_data.size() > kMaxStdinBytes) {
    return {
        Status::InvalidConfig(
            "the config on stdin is larger than " + std::to_string(kMaxStdinBytes >> 20) + " MiB",
            "a multus config is a few kilobytes; check what the runtime passes"),
        ""};
  }
  Result<NetConf> conf = ParseNetConf(stdin_data);
  if (!conf.ok()) return {conf.status(), ""};
  cni_version = conf->cni_version.empty() ? std::string(kCurrentVersion) : conf->cni_version;
  if (deps.configure_log) deps.configure_log(conf->log);
  for (const std::string& key : conf->unknown_keys) {
    log::Warning("the multus config key \"{}\" is unknown and ignored (misspelt?)", key);
  }
  Status version_ok = CheckVersion(env.command, conf->cni_version);
  if (!version_ok.ok()) return {version_ok, ""};
  Result<K8sArgs> k8s = ParseK8sArgs(env.args);
  if (!k8s.ok()) return {k8s.status(), ""};
  if (!k8s->pod_name.empty() && !HasKubernetesAccess(conf->kubeconfig, process_env)) {
    log::Verbose("no kubeconfig and not in a cluster: the annotations of pod {}/{} are not read",
                 k8s->pod_namespace, k8s->pod_name);
  }
  Command cmd{env, *conf, *k8s, process_env, deps};
  if (env.command == "ADD") {
    Result<std::string> result = CmdAdd(cmd);
    return result.ok() ? Outcome{OkStatus(), *result} : Outcome{result.status(), ""};
  }
  if (env.command == "DEL") return {CmdDel(cmd), ""};
  if (env.command == "CHECK") return {CmdCheck(cmd), ""};
  if (env.command == "STATUS") return {CmdStatus(cmd), ""};
  return {CmdGc(cmd), ""};
}

}  // namespace

int Run(const std::vector<std::string>& argv, const EnvMap& env, std::string_view stdin_data,
        std::string& stdout_data, std::string& stderr_data, Deps& deps) {
  // Like upstream: the version on stdout, so that $(multus -version) captures it.
  if (IsFlag(argv, {"--version", "-version", "-v"})) {
    stdout_data = "multus: version:" MULTUS_VERSION ", commit:" MULTUS_GIT_COMMIT "\n";
    return 0;
  }
  if (IsFlag(argv, {"--help", "-help", "-h"})) {
    stdout_data = UsageText();
    return 0;
  }
  std::string cni_version;  // set once the config is parsed
  Status status = AnswerCniCall(
      env, kAbout, stdout_data, stderr_data, [&](const CniEnv& cni_env) -> Result<std::string> {
        Outcome outcome = Dispatch(cni_env, env, stdin_data, deps, cni_version);
        if (!outcome.status.ok()) return outcome.status;
        return std::move(outcome.output);
      });
  if (status.ok()) return 0;
  if (cni_version.empty()) {
    // Failed before the config was parsed: still answer in its version and log where it says.
    NetConf settings =
        stdin_data.size() > kMaxStdinBytes ? NetConf{} : ParseReportingSettings(stdin_data);
    if (deps.configure_log) deps.configure_log(settings.log);
    cni_version =
        settings.cni_version.empty() ? std::string(kCurrentVersion) : settings.cni_version;
  }
  log::Error("{} (code {}{}{})", status.msg(), status.code(), status.details().empty() ? "" : ": ",
             status.details());
  stdout_data = ErrorJson(status, cni_version);
  return 1;
}

}  // namespace multus
