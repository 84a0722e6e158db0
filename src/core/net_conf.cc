#include "multus/net_conf.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "multus/cni_env.h"
#include "multus/delegate_conf.h"
#include "multus/json_parse.h"
#include "multus/json_raw.h"
#include "multus/text.h"

namespace multus {
namespace {

using nlohmann::json;

Status WrongType(std::string_view key, std::string_view expected) {
  return Status::InvalidConfig("invalid multus config: \"" + std::string(key) + "\" must be " +
                               std::string(expected));
}

// Each setter checks the JSON type of one key and stores it; `raw` is the value as written.
using Setter = std::function<Status(NetConf&, const json&, std::string_view raw)>;

Setter String(std::string NetConf::*field, const std::string& key) {
  return [field, key](NetConf& conf, const json& value, std::string_view) {
    if (!value.is_string()) return WrongType(key, "a string");
    conf.*field = value.get<std::string>();
    return OkStatus();
  };
}

Setter Bool(bool NetConf::*field, const std::string& key) {
  return [field, key](NetConf& conf, const json& value, std::string_view) {
    if (!value.is_boolean()) return WrongType(key, "true or false");
    conf.*field = value.get<bool>();
    return OkStatus();
  };
}

Setter StringList(std::vector<std::string> NetConf::*field, const std::string& key) {
  return [field, key](NetConf& conf, const json& value, std::string_view) {
    if (!value.is_array()) return WrongType(key, "a list of strings");
    std::vector<std::string> items;
    for (const auto& item : value) {
      if (!item.is_string()) return WrongType(key, "a list of strings");
      items.push_back(item.get<std::string>());
    }
    conf.*field = std::move(items);
    return OkStatus();
  };
}

Status SetGlobalNamespaces(NetConf& conf, const json& value, std::string_view) {
  if (!value.is_string()) return WrongType("globalNamespaces", "a comma-separated string");
  conf.global_namespaces.clear();
  std::string_view rest = value.get_ref<const std::string&>();
  while (true) {
    size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front())))
      item.remove_prefix(1);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back())))
      item.remove_suffix(1);
    if (!item.empty()) conf.global_namespaces.emplace_back(item);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return OkStatus();
}

Status SetLogLevel(NetConf& conf, const json& value, std::string_view) {
  if (!value.is_string()) return WrongType("logLevel", "a string");
  if (value.get_ref<const std::string&>().empty()) return OkStatus();
  Result<log::Level> level = log::ParseLevel(value.get<std::string>());
  if (!level.ok()) return level.status();
  conf.log.level = *level;
  return OkStatus();
}

Status SetLogOptions(NetConf& conf, const json& value, std::string_view) {
  if (!value.is_object()) return WrongType("logOptions", "an object");
  for (const auto& [key, option] : value.items()) {
    std::string lower = AsciiLower(key);
    int* number = lower == "maxage"       ? &conf.log.file_options.max_age_days
                  : lower == "maxsize"    ? &conf.log.file_options.max_size_mb
                  : lower == "maxbackups" ? &conf.log.file_options.max_backups
                                          : nullptr;
    if (number != nullptr) {
      if (!option.is_number_integer()) return WrongType("logOptions." + key, "an integer");
      *number = option.get<int>();
    } else if (lower == "compress") {
      if (!option.is_boolean()) return WrongType("logOptions.compress", "true or false");
      conf.log.file_options.compress = option.get<bool>();
    }
  }
  return OkStatus();
}

// apiTimeouts: {"requestMs", "addMs", "delMs"}, each a whole number of milliseconds in
// [1, 600000] (kubelet's own runtime request timeout is minutes, not hours).
Status SetApiTimeouts(NetConf& conf, const json& value, std::string_view) {
  if (!value.is_object()) return WrongType("apiTimeouts", "an object");
  for (const auto& [key, option] : value.items()) {
    std::string lower = AsciiLower(key);
    std::chrono::milliseconds* field = lower == "requestms" ? &conf.api_timeouts.request
                                       : lower == "addms"   ? &conf.api_timeouts.add
                                       : lower == "delms"   ? &conf.api_timeouts.del
                                                            : nullptr;
    if (field == nullptr) {
      conf.unknown_keys.push_back("apiTimeouts." + key);
      continue;
    }
    if (!option.is_number_integer() || option.get<long long>() < 1 ||
        option.get<long long>() > 600000) {
      return WrongType("apiTimeouts." + key, "a whole number of milliseconds from 1 to 600000");
    }
    *field = std::chrono::milliseconds(option.get<long long>());
  }
  return OkStatus();
}

Status SetRuntimeConfig(NetConf& conf, const json& value, std::string_view raw) {
  if (!value.is_object()) return WrongType("runtimeConfig", "an object");
  conf.runtime_config = std::string(raw);
  return OkStatus();
}

Status SetDelegates(NetConf& conf, const json& value, std::string_view raw) {
  if (!value.is_array()) return WrongType("delegates", "a list of CNI configs");
  ASSIGN_OR_RETURN(std::vector<std::string_view> items, RawArrayElements(raw));
  conf.delegates.clear();
  for (std::string_view item : items) conf.delegates.emplace_back().bytes = item;
  return OkStatus();
}

Status SetLogToStderr(NetConf& conf, const json& value, std::string_view) {
  if (!value.is_boolean()) return WrongType("logToStderr", "true or false");
  conf.log.to_stderr = value.get<bool>();
  return OkStatus();
}

Status SetLogFile(NetConf& conf, const json& value, std::string_view) {
  if (!value.is_string()) return WrongType("logFile", "a string");
  conf.log.file = value.get<std::string>();
  return OkStatus();
}

Status KeepRaw(NetConf& conf, const json&, std::string_view raw) {
  conf.valid_attachments = std::string(raw);
  return OkStatus();
}

// Lower-cased key -> setter. Go's encoding/json matches keys case-insensitively.
const std::map<std::string, Setter>& Setters() {
  static const std::map<std::string, Setter> setters = {
      {"cniversion", String(&NetConf::cni_version, "cniVersion")},
      {"name", String(&NetConf::name, "name")},
      {"type", String(&NetConf::type, "type")},
      {"confdir", String(&NetConf::conf_dir, "confDir")},
      {"cnidir", String(&NetConf::cni_dir, "cniDir")},
      {"bindir", String(&NetConf::bin_dir, "binDir")},
      {"kubeconfig", String(&NetConf::kubeconfig, "kubeconfig")},
      {"logtostderr", SetLogToStderr},
      {"logfile", SetLogFile},
      {"loglevel", SetLogLevel},
      {"logoptions", SetLogOptions},
      {"apitimeouts", SetApiTimeouts},
      {"daemonsocketdir", String(&NetConf::daemon_socket_dir, "daemonSocketDir")},
      {"namespaceisolation", Bool(&NetConf::namespace_isolation, "namespaceIsolation")},
      {"globalnamespaces", SetGlobalNamespaces},
      {"runtimeconfig", SetRuntimeConfig},
      {"readinessindicatorfile",
       String(&NetConf::readiness_indicator_file, "readinessindicatorfile")},
      {"systemnamespaces", StringList(&NetConf::system_namespaces, "systemNamespaces")},
      {"multusnamespace", String(&NetConf::multus_namespace, "multusNamespace")},
      {"retrydeleteonerror", Bool(&NetConf::retry_delete_on_error, "retryDeleteOnError")},
      {"clusternetwork", String(&NetConf::cluster_network, "clusterNetwork")},
      {"defaultnetworks", StringList(&NetConf::default_networks, "defaultNetworks")},
      {"delegates", SetDelegates},
      {"cni.dev/valid-attachments", KeepRaw},
  };
  return setters;
}

// Keys a multus config may carry that configure nothing here: the CNI protocol's own, the
// runtime's injections, and upstream keys that only its thick mode or installer read.
bool IsKnownOtherKey(const std::string& lower_key) {
  static const std::set<std::string> known = {
      "capabilities",          "args",         "prevresult", "ipam",    "dns",
      "cniversions",           "disablecheck", "disablegc",  "cniconf", "socketdir",
      "auxiliarycnichainname", "plugins"};
  return known.count(lower_key) > 0;
}

Status Validate(const NetConf& conf) {
  if (conf.name.empty()) {
    return Status::InvalidConfig("missing network name", "the multus config needs a \"name\"");
  }
  if (!IsValidCniIdentifier(conf.name)) {
    return Status::InvalidConfig(
        "invalid characters found in network name",
        "name \"" + conf.name + "\" must match ^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$");
  }
  if (conf.delegates.empty() && conf.cluster_network.empty()) {
    return Status::InvalidConfig("at least one delegate/clusterNetwork must be specified",
                                 "set \"clusterNetwork\" or a non-empty \"delegates\" list");
  }
  return OkStatus();
}

// `delegates` held only their bytes until now; `parsed` is the value they were read from.
// With clusterNetwork set they are ignored (never validated, not kept), as upstream.
Status LoadDelegates(NetConf& conf, const json* parsed) {
  if (!conf.cluster_network.empty()) {
    conf.delegates.clear();
    return OkStatus();
  }
  for (size_t i = 0; i < conf.delegates.size(); ++i) {
    Result<DelegateConf> delegate = LoadDelegateConf(conf.delegates[i].bytes, parsed->at(i));
    if (!delegate.ok()) {
      return delegate.status().Prefixed("failed to load delegate " + std::to_string(i) + " config");
    }
    conf.delegates[i] = std::move(delegate).value();
  }
  return OkStatus();
}

}  // namespace

NetConf ParseReportingSettings(std::string_view bytes) {
  static const std::set<std::string> kReportingKeys = {"cniversion", "logfile", "loglevel",
                                                       "logtostderr", "logoptions"};
  NetConf conf;
  try {
    if (!ParseJson(bytes).is_object()) return conf;
  } catch (const json::exception&) {
    return conf;
  }
  Result<std::vector<RawMember>> members = RawObjectMembers(bytes);
  if (!members.ok()) return conf;
  for (const RawMember& member : *members) {
    std::string key = AsciiLower(member.key);
    if (!kReportingKeys.count(key)) continue;
    NetConf candidate = conf;
    try {
      if (Setters().at(key)(candidate, ParseJson(member.value), member.value).ok()) {
        conf = std::move(candidate);
      }
    } catch (const json::exception&) {
    }
  }
  return conf;
}

Result<NetConf> ParseNetConf(std::string_view bytes) {
  json parsed;
  try {
    parsed = ParseJson(bytes);
  } catch (const json::exception& e) {
    return Status::Decode(std::string("error unmarshall network config: ") + e.what(),
                          "stdin must be the multus JSON config");
  }
  if (!parsed.is_object()) {
    return Status::Decode("error unmarshall network config: not a JSON object");
  }
  ASSIGN_OR_RETURN(std::vector<RawMember> members, RawObjectMembers(bytes));
  NetConf conf;
  const json* delegates = nullptr;  // the value conf.delegates were set from
  for (const RawMember& member : members) {
    std::string key = AsciiLower(member.key);
    auto setter = Setters().find(key);
    if (setter == Setters().end()) {
      if (!IsKnownOtherKey(key)) conf.unknown_keys.push_back(member.key);
      continue;
    }
    // The parsed document holds the last of repeated keys, as every occurrence is applied in
    // order and the last one wins anyway.
    const json& value = parsed.at(member.key);
    if (value.is_null()) continue;  // Go's decoder leaves a field alone for null
    RETURN_IF_ERROR(setter->second(conf, value, member.value));
    if (key == "delegates") delegates = &value;
  }
  RETURN_IF_ERROR(Validate(conf));
  RETURN_IF_ERROR(LoadDelegates(conf, delegates));
  return conf;
}

}  // namespace multus
