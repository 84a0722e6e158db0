#include "shim_conf.h"

#include <sys/un.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "multus/json_parse.h"
#include "multus/text.h"

namespace multus::shim {
namespace {

using nlohmann::json;

Status WrongType(std::string_view key, std::string_view expected) {
  return Status::InvalidConfig("invalid multus-shim config: \"" + std::string(key) + "\" must be " +
                               std::string(expected));
}

Status SetString(const json& value, std::string_view key, std::string& out) {
  if (!value.is_string()) return WrongType(key, "a string");
  out = value.get<std::string>();
  return OkStatus();
}

Status SetSeconds(const json& value, std::string_view key, int minimum, std::chrono::seconds& out) {
  if (!value.is_number_integer() || value.get<long long>() < minimum ||
      value.get<long long>() > kMaxTimeoutSeconds) {
    return WrongType(key, "a whole number of seconds from " + std::to_string(minimum) + " to " +
                              std::to_string(kMaxTimeoutSeconds));
  }
  out = std::chrono::seconds(value.get<long long>());
  return OkStatus();
}

Status SetKey(ShimConf& conf, std::string& socket_dir, std::string_view key, const json& value) {
  const std::string lower = AsciiLower(key);
  if (lower == "cniversion") return SetString(value, "cniVersion", conf.cni_version);
  if (lower == "daemonsocketdir") return SetString(value, "daemonSocketDir", socket_dir);
  if (lower == "cnidir") return SetString(value, "cniDir", conf.cni_dir);
  if (lower == "logfile") return SetString(value, "logFile", conf.log.file);
  if (lower == "logtostderr") {
    if (!value.is_boolean()) return WrongType("logToStderr", "true or false");
    conf.log.to_stderr = value.get<bool>();
    return OkStatus();
  }
  if (lower == "loglevel") {
    std::string text;
    RETURN_IF_ERROR(SetString(value, "logLevel", text));
    if (text.empty()) return OkStatus();
    ASSIGN_OR_RETURN(conf.log.level, log::ParseLevel(text));
    return OkStatus();
  }
  if (lower == "daemonreadinesstimeout") {
    return SetSeconds(value, "daemonReadinessTimeout", 0, conf.readiness_timeout);
  }
  if (lower == "daemonrequesttimeout") {
    return SetSeconds(value, "daemonRequestTimeout", 1, conf.request_timeout);
  }
  return OkStatus();  // the daemon's keys
}

Result<json> ParseObject(std::string_view bytes) {
  json doc;
  try {
    doc = ParseJson(bytes);
  } catch (const json::exception& e) {
    return Status::Decode(std::string("cannot parse the multus-shim config: ") + e.what());
  }
  if (!doc.is_object()) return Status::Decode("the multus-shim config is not a JSON object");
  return doc;
}

}  // namespace

Result<ShimConf> ParseShimConf(std::string_view bytes) {
  if (bytes.empty()) {
    return Status::InvalidConfig("no multus-shim config on stdin",
                                 "the runtime passes the CNI config on stdin");
  }
  ASSIGN_OR_RETURN(json doc, ParseObject(bytes));
  ShimConf conf;
  std::string socket_dir(kDefaultSocketDir);
  for (const auto& [key, value] : doc.items()) {
    RETURN_IF_ERROR(SetKey(conf, socket_dir, key, value));
  }
  if (socket_dir.empty()) socket_dir = kDefaultSocketDir;
  if (conf.cni_dir.empty()) conf.cni_dir = kDefaultCniDir;
  if (socket_dir.front() != '/') {
    return WrongType("daemonSocketDir", "an absolute path (it is \"" + socket_dir + "\")");
  }
  if (conf.cni_dir.front() != '/') {
    return WrongType("cniDir", "an absolute path (it is \"" + conf.cni_dir + "\")");
  }
  if (socket_dir.back() != '/') socket_dir += '/';
  conf.socket_path = socket_dir + std::string(kSocketName);
  if (conf.socket_path.size() >= sizeof(sockaddr_un::sun_path)) {
    return WrongType("daemonSocketDir", "shorter: the socket path " + conf.socket_path +
                                            " does not fit a unix socket address (" +
                                            std::to_string(sizeof(sockaddr_un::sun_path) - 1) +
                                            " bytes)");
  }
  return conf;
}

ShimConf ParseReportingConf(std::string_view bytes) {
  ShimConf conf;
  Result<json> doc = ParseObject(bytes);
  if (!doc.ok()) return conf;
  std::string ignored;
  for (const auto& [key, value] : doc->items()) {
    const std::string lower = AsciiLower(key);
    if (lower == "cniversion" || lower == "logfile" || lower == "loglevel" ||
        lower == "logtostderr") {
      (void)SetKey(conf, ignored, key, value);
    }
  }
  return conf;
}

}  // namespace multus::shim
