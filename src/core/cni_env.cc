#include "multus/cni_env.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <vector>

namespace multus {
namespace {

struct CommandSpec {
  std::string_view command;
  bool needs_container_id;
  bool needs_netns;
  bool needs_ifname;
  bool needs_path;
};

// Which variables each command requires (skel's table; STATUS needs no CNI_PATH, the
// spec makes it optional).
constexpr std::array<CommandSpec, 6> kCommands = {{
    {"ADD", true, true, true, true},
    {"DEL", true, false, true, true},
    {"CHECK", true, true, true, true},
    {"GC", false, false, false, true},
    {"STATUS", false, false, false, false},
    {"VERSION", false, false, false, false},
}};

std::string Get(const EnvMap& env, const std::string& key) {
  auto it = env.find(key);
  return it == env.end() ? "" : it->second;
}

bool IsTrue(std::string_view value) {
  return value == "1" || value == "true" || value == "True" || value == "TRUE";
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    // Sequence length and the smallest code point it may encode (no overlong forms).
    size_t length = byte < 0x80           ? 1
                    : (byte >> 5) == 0x6  ? 2
                    : (byte >> 4) == 0xE  ? 3
                    : (byte >> 3) == 0x1E ? 4
                                          : 0;
    if (length == 0 || i + length > text.size()) return false;
    uint32_t code_point = length == 1 ? byte : byte & (0x7F >> length);
    for (size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    static constexpr uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kSmallest[length] || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

bool IsValidCniIdentifier(std::string_view id) {
  if (id.empty() || !std::isalnum(static_cast<unsigned char>(id[0]))) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

Status ValidateIfName(std::string_view ifname) {
  if (ifname.empty()) return Status::InvalidEnv("interface name is empty");
  if (ifname.size() > 15) {
    return Status::InvalidEnv(
        "interface name is too long",
        "interface name should be less than 16 characters: " + std::string(ifname));
  }
  if (ifname == "." || ifname == "..") {
    return Status::InvalidEnv("interface name is . or ..");
  }
  for (char c : ifname) {
    if (c == '/' || c == ':' || std::isspace(static_cast<unsigned char>(c))) {
      return Status::InvalidEnv("interface name contains / or : or whitespace characters",
                                "interface name: \"" + std::string(ifname) + "\"");
    }
    // A NUL would cut the name short in the plugin's environment (bypassing the check for
    // existing interfaces); no control byte belongs in a name.
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Status::InvalidEnv("interface name contains control characters");
    }
  }
  // Stored in JSON caches, it must survive the round trip byte for byte.
  if (!IsValidUtf8(ifname)) return Status::InvalidEnv("interface name is not valid UTF-8");
  return OkStatus();
}

Result<CniEnv> ParseCniEnv(const EnvMap& env) {
  CniEnv out{Get(env, "CNI_COMMAND"), Get(env, "CNI_CONTAINERID"), Get(env, "CNI_NETNS"),
             Get(env, "CNI_IFNAME"),  Get(env, "CNI_ARGS"),        Get(env, "CNI_PATH")};
  if (out.command.empty()) return out;
  const auto* spec = std::find_if(kCommands.begin(), kCommands.end(),
                                  [&](const CommandSpec& s) { return s.command == out.command; });
  if (spec == kCommands.end()) {
    return Status::InvalidEnv("unknown CNI_COMMAND: " + out.command,
                              "expected one of ADD, DEL, CHECK, GC, STATUS, VERSION");
  }
  std::vector<std::string> missing;
  if (spec->needs_container_id && out.container_id.empty()) missing.push_back("CNI_CONTAINERID");
  if (spec->needs_netns && out.netns.empty()) missing.push_back("CNI_NETNS");
  if (spec->needs_ifname && out.ifname.empty()) missing.push_back("CNI_IFNAME");
  if (spec->needs_path && out.path.empty()) missing.push_back("CNI_PATH");
  if (!missing.empty()) {
    std::string names;
    for (const auto& name : missing) names += (names.empty() ? "" : ",") + name;
    return Status::InvalidEnv("required env variables [" + names + "] missing",
                              "the container runtime must set them for CNI_COMMAND=" + out.command);
  }
  if (!out.container_id.empty() && !IsValidCniIdentifier(out.container_id)) {
    return Status(
        code::kInvalidEnv, "invalid characters in containerID",
        "CNI_CONTAINERID must match ^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$: \"" + out.container_id + "\"");
  }
  if (!out.ifname.empty()) RETURN_IF_ERROR(ValidateIfName(out.ifname));
  return out;
}

Result<K8sArgs> ParseK8sArgs(std::string_view args) {
  K8sArgs k8s;
  ASSIGN_OR_RETURN(k8s.pairs, ParseCniArgs(args));
  bool ignore_unknown = false;
  std::vector<std::string> unknown;
  for (const auto& [key, value] : k8s.pairs) {
    if (key == "K8S_POD_NAMESPACE") {
      k8s.pod_namespace = value;
    } else if (key == "K8S_POD_NAME") {
      k8s.pod_name = value;
    } else if (key == "K8S_POD_INFRA_CONTAINER_ID") {
      k8s.pod_infra_container_id = value;
    } else if (key == "K8S_POD_UID") {
      k8s.pod_uid = value;
    } else if (key == "IgnoreUnknown") {
      ignore_unknown = IsTrue(value);
    } else if (key != "IP" && key != "MAC") {
      unknown.push_back(key);
    }
  }
  if (!unknown.empty() && !ignore_unknown) {
    std::string names;
    for (const auto& name : unknown) names += (names.empty() ? "" : " ") + name;
    return Status::InvalidEnv("CNI_ARGS: unknown args [" + names + "]",
                              "add IgnoreUnknown=1 to CNI_ARGS to pass other keys");
  }
  return k8s;
}

std::string PodRef(const K8sArgs& k8s) {
  return "[" + k8s.pod_namespace + "/" + k8s.pod_name + "/" + k8s.pod_uid + "]";
}

}  // namespace multus
