// The CNI_* environment: CNI_ARGS ("K=V;K=V", with kubelet's K8S_POD_* keys) and the
// validation of every variable (ParseCniEnv). Input: CNI_ARGS; its lines "K=V" also form a
// whole environment.
#include <nlohmann/json.hpp>

#include "fuzz_util.h"
#include "multus/cni_env.h"

namespace multus {
namespace {

void CheckArgsRoundTrip(std::string_view args) {
  Result<KeyValues> pairs = ParseCniArgs(args);
  if (!pairs.ok()) {
    FUZZ_CHECK(pairs.status().code() == code::kInvalidEnv, pairs.status().msg());
    return;
  }
  std::string joined;
  for (const auto& [key, value] : *pairs) {
    FUZZ_CHECK(!key.empty() && key.find_first_of("=;") == std::string::npos, key);
    if (!joined.empty()) joined += ';';
    joined += key + "=" + value;
  }
  Result<KeyValues> again = ParseCniArgs(joined);
  FUZZ_CHECK(again.ok() && *again == *pairs, "CNI_ARGS do not round-trip: " + joined);
}

// IsValidUtf8 agrees with nlohmann's strict encoder (both refuse overlong forms, surrogates
// and code points past U+10FFFF).
void CheckUtf8(std::string_view text) {
  bool encodes = true;
  try {
    (void)nlohmann::json(std::string(text)).dump();
  } catch (const nlohmann::json::exception&) {
    encodes = false;
  }
  FUZZ_CHECK(IsValidUtf8(text) == encodes, "IsValidUtf8 disagrees with the JSON encoder");
}

void CheckEnv(std::string_view text) {
  EnvMap env;
  for (std::string_view line : fuzz::Split(text, "\n")) {
    const size_t eq = line.find('=');
    if (eq != std::string_view::npos) env[std::string(line.substr(0, eq))] = line.substr(eq + 1);
  }
  Result<CniEnv> parsed = ParseCniEnv(env);
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.status().code() == code::kInvalidEnv, parsed.status().msg());
    return;
  }
  if (parsed->command.empty()) return;  // no command: multus prints its about text
  if (!parsed->container_id.empty()) FUZZ_CHECK(IsValidCniIdentifier(parsed->container_id), "");
  if (!parsed->ifname.empty()) FUZZ_CHECK(ValidateIfName(parsed->ifname).ok(), parsed->ifname);
}

}  // namespace
}  // namespace multus

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace multus;
  std::string_view text = fuzz::AsText(data, size);
  CheckArgsRoundTrip(text);
  Result<K8sArgs> k8s = ParseK8sArgs(text);
  if (k8s.ok()) (void)PodRef(*k8s);
  CheckUtf8(text);
  if (ValidateIfName(text).ok()) {
    FUZZ_CHECK(!text.empty() && text.size() <= 15 && IsValidUtf8(text), "bad ifname accepted");
  }
  (void)IsValidCniIdentifier(text);
  CheckEnv(text);
  EnvMap env = {{"CNI_COMMAND", "ADD"},
                {"CNI_CONTAINERID", "3f2a9c1e5b7d"},
                {"CNI_NETNS", "/var/run/netns/cni-1"},
                {"CNI_IFNAME", "eth0"},
                {"CNI_PATH", "/opt/cni/bin"},
                {"CNI_ARGS", std::string(text)}};
  Result<CniEnv> parsed = ParseCniEnv(env);
  FUZZ_CHECK(parsed.ok() && parsed->args == text, "CNI_ARGS changed the env check");
  return 0;
}
