// The real DaemonClient: a fresh AF_UNIX stream connection per request (the daemon socket is
// local; there is nothing to keep warm), non-blocking, every step bounded by one deadline.
#pragma once

#include <memory>

#include "daemon_client.h"

namespace multus::shim {

std::unique_ptr<DaemonClient> MakeUnixHttpClient();

}  // namespace multus::shim
