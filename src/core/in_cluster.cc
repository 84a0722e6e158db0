#include "multus/in_cluster.h"

#include <string>

namespace multus {
namespace {

// A host name or an IP literal: what kubelet puts in KUBERNETES_SERVICE_HOST. Anything else
// (spaces, control bytes, '/', '@') would change the URL's meaning or not survive the YAML.
bool IsHostText(std::string_view host) {
  for (char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == ':' || c == '_' || c == '%';
    if (!ok) return false;
  }
  return true;
}

bool IsPortText(std::string_view port) {
  if (port.empty() || port.size() > 5) return false;
  int value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  return value >= 1 && value <= 65535;
}

Status BadServiceEnv(const std::string& key, const std::string& value, const std::string& want) {
  return Status::InvalidEnv(
      key + " is not " + want + ": \"" + value + "\"",
      "fix the variable in the environment, or leave it unset to take the value "
      "kubelet sets");
}

}  // namespace

Result<std::string> InClusterServerUrl(const EnvMap& env) {
  auto get = [&env](const std::string& key) {
    auto it = env.find(key);
    return it == env.end() ? std::string() : it->second;
  };
  std::string host = get("KUBERNETES_SERVICE_HOST");
  if (host.empty()) {
    return Status::InvalidEnv(
        "KUBERNETES_SERVICE_HOST is not set",
        "run in a pod (the kubelet sets it), or set KUBERNETES_SERVICE_HOST and "
        "KUBERNETES_SERVICE_PORT by hand");
  }
  std::string protocol = get("KUBERNETES_SERVICE_PROTOCOL");
  std::string port = get("KUBERNETES_SERVICE_PORT");
  if (protocol.empty()) protocol = "https";
  if (port.empty()) port = "443";
  const bool bracketed = host.size() > 2 && host.front() == '[' && host.back() == ']';
  if (!IsHostText(bracketed ? std::string_view(host).substr(1, host.size() - 2) : host)) {
    return BadServiceEnv("KUBERNETES_SERVICE_HOST", host, "a host name or an IP address");
  }
  if (!IsPortText(port)) {
    return BadServiceEnv("KUBERNETES_SERVICE_PORT", port, "a port number (1-65535)");
  }
  if (protocol != "https" && protocol != "http") {
    return BadServiceEnv("KUBERNETES_SERVICE_PROTOCOL", protocol, "https or http");
  }
  if (!bracketed && host.find(':') != std::string::npos) host = "[" + host + "]";
  return protocol + "://" + host + ":" + port;
}

}  // namespace multus
