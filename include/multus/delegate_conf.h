// A delegate's CNI configuration: a single plugin conf or a conflist, kept as exact bytes.
#pragma once

#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "multus/status.h"

namespace multus {

struct PluginConf {
  std::string type;
  std::string bytes;                      // this plugin's object, exactly as written
  std::vector<std::string> capabilities;  // capability names set to true
};

struct DelegateConf {
  std::string bytes;  // the whole conf or conflist, exactly as written
  bool is_list = false;
  std::string name;
  std::string cni_version;  // of the conf, or of the list (highest supported of cniVersions)
  bool disable_check = false;
  bool disable_gc = false;
  std::vector<PluginConf> plugins;  // a single conf is its own only plugin
};

// Loads a conf (has a non-empty "type") or a conflist (has "plugins"). Code 7 (invalid
// config) when it is not an object or neither of the two, a plugin lacks "type", a type is
// not a plain file name, or the name is missing or has characters libcni refuses; code 6
// when it is not JSON at all.
Result<DelegateConf> LoadDelegateConf(std::string_view bytes);
// The same for `bytes` already parsed into `parsed` (one document, e.g. a member of the
// multus config): the checks are the same, the parse is not repeated.
Result<DelegateConf> LoadDelegateConf(std::string_view bytes, const nlohmann::json& parsed);

// A plugin `type` must be a plain, non-empty file name (never a path). Code 7 otherwise.
Status ValidatePluginType(std::string_view type);

// Applies `edit` to the conf's own object, or to every plugin object of a conflist (the
// plugins list is rebuilt; every other byte is kept).
Result<std::string> EditPluginObjects(
    std::string_view config, const std::function<Result<std::string>(std::string_view)>& edit);

// The stdin for one plugin call, libcni style: the plugin's bytes with `name` and
// `cniVersion` of the delegate, `runtimeConfig` holding the members of `capability_args`
// the plugin declares in `capabilities` (omitted when none), and `prevResult` when given.
// `extra_members` (raw JSON values) are added last (e.g. cni.dev/valid-attachments for GC).
Result<std::string> BuildPluginStdin(
    const DelegateConf& delegate, const PluginConf& plugin, std::string_view capability_args,
    std::string_view prev_result,
    const std::vector<std::pair<std::string, std::string>>& extra_members = {});

}  // namespace multus
