// An Executor that times every delegate exec into the daemon's metrics (per network, plugin and
// verb, failures counted), around the real one: the seam the core already has for process creation.
#pragma once

#include <memory>

#include "metrics.h"
#include "multus/executor.h"

namespace multus::daemon {

std::unique_ptr<Executor> MakeTimedExecutor(std::unique_ptr<Executor> inner, Metrics& metrics);

}  // namespace multus::daemon
