#include "options.h"

#include <charconv>
#include <optional>
#include <sstream>
#include <string_view>
#include <variant>

namespace multus::install {
namespace {

using StringField = std::string InstallOptions::*;
using BoolField = bool InstallOptions::*;
using IntField = int InstallOptions::*;

struct Flag {
  std::string_view name;
  std::variant<StringField, BoolField, IntField> field;
  std::string_view help;
  bool hidden = false;
};

const Flag kFlags[] = {
    {"cni-bin-dir", &InstallOptions::cni_bin_dir, "directory the multus binary is copied into"},
    {"cni-conf-dir", &InstallOptions::cni_conf_dir,
     "directory 00-multus.conf[list] and multus.d/ are written into"},
    {"cni-version", &InstallOptions::cni_version,
     "expected cniVersion of the master config (empty: take the master's)"},
    {"multus-conf-file", &InstallOptions::multus_conf_file,
     "\"auto\" to generate the config, or a file copied into --cni-conf-dir as is"},
    {"multus-bin-file", &InstallOptions::multus_bin_file, "the multus binary to install"},
    {"multus-cni-conf-dir", &InstallOptions::multus_cni_conf_dir,
     "multus's own confDir, created if missing (container path)"},
    {"multus-cni-conf-dir-host", &InstallOptions::multus_cni_conf_dir_host,
     "host path written as \"confDir\" (default: --multus-cni-conf-dir without a leading /host)"},
    {"skip-multus-binary-copy", &InstallOptions::skip_multus_binary_copy,
     "do not copy the multus binary"},
    {"multus-kubeconfig-file-host", &InstallOptions::multus_kubeconfig_file_host,
     "host path of multus.d/multus.kubeconfig, written as \"kubeconfig\""},
    {"multus-master-cni-file-name", &InstallOptions::multus_master_cni_file_name,
     "use this file of --multus-autoconfig-dir as the master instead of the first one"},
    {"namespace-isolation", &InstallOptions::namespace_isolation,
     "emit \"namespaceIsolation\": true"},
    {"global-namespaces", &InstallOptions::global_namespaces, "emit \"globalNamespaces\""},
    {"multus-autoconfig-dir", &InstallOptions::multus_autoconfig_dir,
     "directory searched for the master CNI config"},
    {"multus-log-to-stderr", &InstallOptions::multus_log_to_stderr,
     "false emits \"logToStderr\": false"},
    {"multus-log-level", &InstallOptions::multus_log_level,
     "emit \"logLevel\" (debug, verbose, error or panic)"},
    {"multus-log-file", &InstallOptions::multus_log_file, "emit \"logFile\""},
    {"override-network-name", &InstallOptions::override_network_name,
     "name the multus network after the master instead of multus-cni-network"},
    {"cleanup-config-on-exit", &InstallOptions::cleanup_config_on_exit,
     "remove the multus config on SIGTERM/SIGINT"},
    {"skip-config-watch", &InstallOptions::skip_config_watch,
     "do not regenerate the multus config when the master changes (credentials are still kept "
     "fresh)"},
    {"rename-conf-file", &InstallOptions::rename_conf_file,
     "rename the master config to <name>.old once the multus config is written"},
    {"readiness-indicator-file", &InstallOptions::readiness_indicator_file,
     "emit \"readinessindicatorfile\""},
    {"additional-bin-dir", &InstallOptions::additional_bin_dir, "emit \"binDir\""},
    {"skip-tls-verify", &InstallOptions::skip_tls_verify,
     "kubeconfig with insecure-skip-tls-verify instead of the CA", true},
    {"force-cni-version", &InstallOptions::force_cni_version,
     "overwrite the master's cniVersion with --cni-version (testing only)", true},
    {"service-account-dir", &InstallOptions::service_account_dir,
     "directory holding the service-account token and ca.crt"},
    {"master-wait-seconds", &InstallOptions::master_wait_seconds,
     "how long to wait for a master CNI config to appear (0: fail at once)"},
    {"resync-seconds", &InstallOptions::resync_seconds,
     "full re-check period of the watch loop, on top of inotify"},
    {"oneshot", &InstallOptions::oneshot, "install once and exit (no watch, no cleanup)"},
    {"help", &InstallOptions::help, "print this help and exit"},
    {"version", &InstallOptions::version, "print the version and exit"},
};

// Go's strconv.ParseBool spellings, which pflag accepts.
bool ParseBool(std::string_view v, bool* out) {
  for (std::string_view t : {"1", "t", "T", "true", "TRUE", "True"}) {
    if (v == t) return *out = true, true;
  }
  for (std::string_view f : {"0", "f", "F", "false", "FALSE", "False"}) {
    if (v == f) return *out = false, true;
  }
  return false;
}

const Flag* FindFlag(std::string_view name) {
  for (const Flag& flag : kFlags) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

Status BadFlag(std::string msg) {
  return Status::InvalidConfig(std::move(msg), "run multus-install --help for the flags");
}

}  // namespace

Result<InstallOptions> ParseOptions(const std::vector<std::string>& args) {
  InstallOptions options;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "-h") arg = "--help";
    if (arg.size() < 2 || arg[0] != '-') {
      return BadFlag("unexpected argument \"" + std::string(arg) + "\"");
    }
    arg.remove_prefix(arg.starts_with("--") ? 2 : 1);
    std::string_view name = arg;
    std::optional<std::string> value;
    if (size_t eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = std::string(arg.substr(eq + 1));
    }
    const Flag* flag = FindFlag(name);
    if (flag == nullptr) return BadFlag("unknown flag: --" + std::string(name));

    if (const auto* b = std::get_if<BoolField>(&flag->field)) {
      bool parsed = true;
      if (value && !ParseBool(*value, &parsed)) {
        return BadFlag("invalid value \"" + *value + "\" for --" + std::string(name) +
                       ": want true or false");
      }
      options.*(*b) = parsed;
      continue;
    }
    if (!value) {
      if (i + 1 >= args.size()) return BadFlag("flag needs an argument: --" + std::string(name));
      value = args[++i];
    }
    if (const auto* s = std::get_if<StringField>(&flag->field)) {
      options.*(*s) = *value;
    } else {
      int parsed = 0;
      auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), parsed);
      if (ec != std::errc() || end != value->data() + value->size() || parsed < 0) {
        return BadFlag("invalid value \"" + *value + "\" for --" + std::string(name) +
                       ": want a non-negative integer");
      }
      options.*std::get<IntField>(flag->field) = parsed;
    }
  }
  return options;
}

std::string UsageText() {
  const InstallOptions defaults;
  std::ostringstream out;
  out << "Usage: multus-install [flags]\n\n"
         "Installs the multus CNI plugin on this node: copies the binary, writes\n"
         "multus.d/multus.kubeconfig and the multus config, then keeps them up to date.\n\n"
         "Flags:\n";
  for (const Flag& flag : kFlags) {
    if (flag.hidden) continue;
    out << "  --" << flag.name;
    if (const auto* s = std::get_if<StringField>(&flag.field)) {
      out << "=string";
      if (!(defaults.*(*s)).empty()) out << " (default \"" << defaults.*(*s) << "\")";
    } else if (const auto* n = std::get_if<IntField>(&flag.field)) {
      out << "=int (default " << defaults.*(*n) << ")";
    } else if (defaults.*std::get<BoolField>(flag.field)) {
      out << " (default true)";
    }
    out << "\n      " << flag.help << "\n";
  }
  return out.str();
}

std::string ConfDirHostPath(const InstallOptions& options) {
  if (!options.multus_cni_conf_dir_host.empty()) return options.multus_cni_conf_dir_host;
  std::string_view dir = options.multus_cni_conf_dir;
  if (dir.starts_with("/host/")) dir.remove_prefix(5);
  return std::string(dir);
}

}  // namespace multus::install
