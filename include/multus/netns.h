// Working inside a pod's network namespace.
#pragma once

#include <functional>
#include <set>
#include <string>

#include "multus/status.h"

namespace multus {

// Runs `work` on a thread that entered the netns at `netns_path` (setns affects only the
// calling thread, so ours stays where it was). Code 4 when the netns cannot be entered.
Status RunInNetns(const std::string& netns_path, const std::function<Status()>& work);

// The names of the links in a netns. Code 4 when the netns cannot be entered.
Result<std::set<std::string>> LinkNames(const std::string& netns_path);

}  // namespace multus
