// The answers every binary of the project prints the same way, whatever its job: the CNI
// error object and the VERSION object (multus, multus-shim, the daemon's socket).
#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "multus/cni_env.h"
#include "multus/status.h"

namespace multus {

// The CNI error object: {"cniVersion","code","msg","details"}, indented, newline-terminated.
// Bytes that are not UTF-8 are replaced, so the answer is always valid JSON.
std::string ErrorJson(const Status& status, std::string_view cni_version);

// The text a CNI plugin prints when run without CNI_COMMAND: its `about` line, then
// "CNI protocol versions supported: 0.1.0, ..., 1.1.0".
std::string AboutText(std::string_view about);

// Code 2 (incompatible CNI versions) for a config whose cniVersion is not supported.
Status UnsupportedVersion(std::string_view config_version);

// The VERSION answer: {"cniVersion": current, "supportedVersions": [...]}, newline-terminated.
std::string VersionJson();

// True when argv[1] is one of `names` (the --version and --help flags).
bool IsFlag(const std::vector<std::string>& argv, std::initializer_list<std::string_view> names);

// What every CNI binary's entry does around its own work: reads the CNI variables; answers
// "about" (no CNI_COMMAND, on stderr) and VERSION itself; runs `command` for any other
// CNI_COMMAND, its output to stdout; turns an exception that escaped into an internal error.
// The caller answers a failure its own way (in the config's version, where it logs).
Status AnswerCniCall(const EnvMap& env, std::string_view about, std::string& stdout_data,
                     std::string& stderr_data,
                     const std::function<Result<std::string>(const CniEnv&)>& command);

}  // namespace multus
