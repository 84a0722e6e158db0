// Working inside a pod's network namespace.
#pragma once

#include <functional>
#include <set>
#include <string>

#include "multus/status.h"

namespace multus {

// Runs `work` with the calling thread in the netns at `netns_path` (setns affects only that
// thread), and puts the thread back where it was: the process aborts if it cannot, rather than
// go on in the pod's netns. `work` must not start processes or open connections meant for the
// node. Code 4 when the netns cannot be entered; code 5 when this thread's own netns cannot be
// opened (/proc/thread-self/ns/net) to come back to.
Status RunInNetns(const std::string& netns_path, const std::function<Status()>& work);

// The names of the links in a netns. Code 4 when the netns cannot be entered.
Result<std::set<std::string>> LinkNames(const std::string& netns_path);

}  // namespace multus
