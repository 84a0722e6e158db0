#include "daemon_config.h"

#include <cctype>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "multus/json_parse.h"
#include "multus/json_raw.h"
#include "multus/text.h"

namespace multus::daemon {
namespace {

using nlohmann::json;
using Setter = std::function<Status(DaemonConfig&, const json&)>;

Status WrongType(std::string_view key, std::string_view what) {
  return Status::InvalidConfig("daemon config: \"" + std::string(key) + "\" must be " +
                               std::string(what));
}

Setter String(std::string DaemonConfig::*field, std::string_view key) {
  return [field, key](DaemonConfig& config, const json& value) {
    if (!value.is_string()) return WrongType(key, "a string");
    config.*field = value.get<std::string>();
    return OkStatus();
  };
}

Setter Bool(bool DaemonConfig::*field, std::string_view key) {
  return [field, key](DaemonConfig& config, const json& value) {
    if (!value.is_boolean()) return WrongType(key, "true or false");
    config.*field = value.get<bool>();
    return OkStatus();
  };
}

Result<int> Integer(const json& value, std::string_view key, int min, int max) {
  if (!value.is_number_integer() || value.get<long long>() < min || value.get<long long>() > max) {
    return WrongType(key, "an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return static_cast<int>(value.get<long long>());
}

Setter Int(int DaemonConfig::*field, std::string_view key, int min, int max) {
  return [=](DaemonConfig& config, const json& value) -> Status {
    ASSIGN_OR_RETURN(config.*field, Integer(value, key, min, max));
    return OkStatus();
  };
}

Setter Seconds(std::chrono::seconds DaemonConfig::*field, std::string_view key) {
  return [=](DaemonConfig& config, const json& value) -> Status {
    ASSIGN_OR_RETURN(int seconds, Integer(value, key, 1, 24 * 3600));
    config.*field = std::chrono::seconds(seconds);
    return OkStatus();
  };
}

Status SetLogLevel(DaemonConfig& config, const json& value) {
  if (!value.is_string()) return WrongType("logLevel", "a string");
  if (value.get<std::string>().empty()) return OkStatus();
  Result<log::Level> level = log::ParseLevel(value.get<std::string>());
  if (!level.ok()) return level.status();
  config.log.level = *level;
  return OkStatus();
}

Status SetLogOptions(DaemonConfig& config, const json& value) {
  if (!value.is_object()) return WrongType("logOptions", "an object");
  log::FileOptions& options = config.log.file_options;
  for (const auto& [key, item] : value.items()) {
    std::string lower = AsciiLower(key);
    if (lower == "compress") {
      if (!item.is_boolean()) return WrongType("logOptions.compress", "true or false");
      options.compress = item.get<bool>();
      continue;
    }
    int* field = lower == "maxage"       ? &options.max_age_days
                 : lower == "maxsize"    ? &options.max_size_mb
                 : lower == "maxbackups" ? &options.max_backups
                                         : nullptr;
    if (field == nullptr) continue;
    ASSIGN_OR_RETURN(*field, Integer(item, "logOptions." + key, 0, 1 << 20));
  }
  return OkStatus();
}

Status SetPerNodeCertificate(DaemonConfig& config, const json& value) {
  if (!value.is_object()) return WrongType("perNodeCertificate", "an object");
  for (const auto& [key, item] : value.items()) {
    if (AsciiLower(key) != "enabled") continue;
    if (!item.is_boolean()) return WrongType("perNodeCertificate.enabled", "true or false");
    config.per_node_certificate = item.get<bool>();
  }
  return OkStatus();
}

// Lower-cased key -> setter, for the daemon's own keys.
const std::map<std::string, Setter>& Setters() {
  static const std::map<std::string, Setter> setters = {
      {"chrootdir", String(&DaemonConfig::chroot_dir, "chrootDir")},
      {"socketdir", String(&DaemonConfig::socket_dir, "socketDir")},
      {"logfile",
       [](DaemonConfig& c, const json& v) {
         if (!v.is_string()) return WrongType("logFile", "a string");
         c.log.file = v.get<std::string>();
         return OkStatus();
       }},
      {"loglevel", SetLogLevel},
      {"logtostderr",
       [](DaemonConfig& c, const json& v) {
         if (!v.is_boolean()) return WrongType("logToStderr", "true or false");
         c.log.to_stderr = v.get<bool>();
         return OkStatus();
       }},
      {"logoptions", SetLogOptions},
      {"metricsport", Int(&DaemonConfig::metrics_port, "metricsPort", 0, 65535)},
      {"enablepprof", Bool(&DaemonConfig::enable_pprof, "enablePprof")},
      {"connectionlimit", Int(&DaemonConfig::connection_limit, "connectionLimit", 0, 4096)},
      {"multusconfigfile", String(&DaemonConfig::multus_config_file, "multusConfigFile")},
      {"multusautoconfigdir", String(&DaemonConfig::multus_autoconfig_dir, "multusAutoconfigDir")},
      {"multusmastercni", String(&DaemonConfig::multus_master_cni, "multusMasterCNI")},
      {"cniconfigdir", String(&DaemonConfig::cni_config_dir, "cniConfigDir")},
      {"forcecniversion", Bool(&DaemonConfig::force_cni_version, "forceCNIVersion")},
      {"overridenetworkname", Bool(&DaemonConfig::override_network_name, "overrideNetworkName")},
      {"cniversion", String(&DaemonConfig::cni_version, "cniVersion")},
      {"readinessindicatorfile",
       String(&DaemonConfig::readiness_indicator_file, "readinessindicatorfile")},
      {"pernodecertificate", SetPerNodeCertificate},
      {"requestqueuelength",
       Int(&DaemonConfig::request_queue_length, "requestQueueLength", 0, 1 << 16)},
      {"requesttimeoutseconds", Seconds(&DaemonConfig::request_timeout, "requestTimeoutSeconds")},
      {"shutdowngraceseconds", Seconds(&DaemonConfig::shutdown_grace, "shutdownGraceSeconds")},
  };
  return setters;
}

// The multus config keys imposed on every request. Not among them: name, type and cniVersion
// (the request's config says what the runtime called and in which version it wants the
// result), capabilities and runtimeConfig (the runtime's injection, per call).
bool IsOverrideKey(const std::string& lower) {
  static const std::set<std::string> keys = {"confdir",
                                             "cnidir",
                                             "bindir",
                                             "kubeconfig",
                                             "logtostderr",
                                             "logfile",
                                             "loglevel",
                                             "logoptions",
                                             "apitimeouts",
                                             "namespaceisolation",
                                             "globalnamespaces",
                                             "readinessindicatorfile",
                                             "systemnamespaces",
                                             "multusnamespace",
                                             "retrydeleteonerror",
                                             "clusternetwork",
                                             "defaultnetworks",
                                             "delegates"};
  return keys.count(lower) > 0;
}

}  // namespace

Result<DaemonConfig> ParseDaemonConfig(std::string_view text) {
  json doc;
  try {
    doc = ParseJson(text);
  } catch (const json::exception& e) {
    return Status::Decode(std::string("daemon config is not valid JSON: ") + e.what());
  }
  if (!doc.is_object()) return Status::InvalidConfig("daemon config is not a JSON object");
  ASSIGN_OR_RETURN(std::vector<RawMember> members, RawObjectMembers(text));
  DaemonConfig config;
  for (const RawMember& member : members) {
    std::string lower = AsciiLower(member.key);
    json value = ParseJson(member.value);
    auto setter = Setters().find(lower);
    if (setter != Setters().end()) RETURN_IF_ERROR(setter->second(config, value));
    if (IsOverrideKey(lower)) config.overrides.emplace_back(member.key, std::string(member.value));
  }
  if (config.socket_dir.empty()) return Status::InvalidConfig("daemon config: empty socketDir");
  if (config.multus_config_file.empty()) config.multus_config_file = "auto";
  if (config.multus_master_cni.find('/') != std::string::npos) {
    return Status::InvalidConfig("daemon config: multusMasterCNI must be a file name, not a path");
  }
  if (config.force_cni_version && config.cni_version.empty()) {
    return Status::InvalidConfig("daemon config: forceCNIVersion needs cniVersion");
  }
  return config;
}

Result<std::string> ApplyOverrides(
    std::string_view request_conf,
    const std::vector<std::pair<std::string, std::string>>& overrides) {
  if (overrides.empty()) return std::string(request_conf);
  ASSIGN_OR_RETURN(std::vector<RawMember> members, RawObjectMembers(request_conf));
  std::string out(request_conf);
  for (const auto& [key, value] : overrides) {
    for (const RawMember& member : members) {
      if (member.key != key && AsciiLower(member.key) == AsciiLower(key)) {
        ASSIGN_OR_RETURN(out, RemoveRawMember(out, member.key));
      }
    }
  }
  ASSIGN_OR_RETURN(out, SetRawMembers(out, overrides));
  return out;
}

}  // namespace multus::daemon
