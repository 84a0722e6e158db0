// The CNI_* environment of one invocation: parsing and validation as the CNI spec and
// libcni's skel do it.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "multus/cni_args.h"
#include "multus/status.h"

namespace multus {

using EnvMap = std::map<std::string, std::string>;

struct CniEnv {
  std::string command;  // ADD | DEL | CHECK | GC | STATUS | VERSION; empty: print about text
  std::string container_id;
  std::string netns;
  std::string ifname;
  std::string args;  // raw CNI_ARGS
  std::string path;  // raw CNI_PATH
};

// The Kubernetes keys kubelet passes in CNI_ARGS.
struct K8sArgs {
  std::string pod_namespace;
  std::string pod_name;
  std::string pod_infra_container_id;
  std::string pod_uid;
  // Every pair of CNI_ARGS in order, parsed once: the delegates get them (ComposeCniArgs).
  KeyValues pairs;
};

// Reads and validates the env for the command. Errors (code 4): missing required variables
// (named in the message), unknown command, bad container ID, bad interface name.
Result<CniEnv> ParseCniEnv(const EnvMap& env);

// `^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$`, as libcni requires of container IDs and network names.
bool IsValidCniIdentifier(std::string_view id);

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF).
bool IsValidUtf8(std::string_view text);

// Interface name rules of the kernel and libcni: 1..15 bytes, not "." or "..", no '/', ':'
// or whitespace. Code 4 with a message naming the problem.
Status ValidateIfName(std::string_view ifname);

// Parses CNI_ARGS (code 4 for a pair without '=') and extracts the K8S_POD_* keys. Unknown keys are
// an error (code 4) unless IgnoreUnknown is 1/true, as libcni's LoadArgs does.
Result<K8sArgs> ParseK8sArgs(std::string_view args);

// "[<namespace>/<name>/<uid>]": the pod prefix of every error and log line.
std::string PodRef(const K8sArgs& k8s);

}  // namespace multus
