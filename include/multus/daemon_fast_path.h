// The multus plugin's fast path (docs/thick-mode.md, "The fast path"): when the multus config
// names multus-daemon's socket (daemonSocketDir) and the daemon is ready, the plugin's
// Kubernetes requests go to the daemon, which answers the reads from its watch-backed cache and
// makes the writes on its own warm connection. The plugin loads no TLS and reads no kubeconfig
// for them, and still runs every delegate itself, so no delegate is charged to the daemon.
//
// The protocol is the subset of the Kubernetes API that multus uses, each path prefixed with
// kFastPathPrefix (the version: a daemon that does not know it answers 404 and the plugin
// falls back), over HTTP/1.1 on the daemon's socket. Its file mode (0600, root) is the
// authentication: no token is sent.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "multus/http_transport.h"
#include "multus/kube_client.h"
#include "multus/unix_http.h"

namespace multus {

inline constexpr std::string_view kFastPathPrefix = "/fastpath/v1";

// How long the plugin waits for a write the daemon makes for it (network-status): the daemon's
// own budget for it, retries included (its client uses RetryPolicy's default), and a margin.
// Waiting only one request's timeout failed ADDs the daemon was still completing in a burst.
inline constexpr std::chrono::milliseconds kFastPathWriteWait =
    RetryPolicy{}.total_budget + std::chrono::milliseconds(2000);

// <dir>/multus.sock, the socket name upstream's daemon and shim use.
std::string DaemonSocketPath(std::string_view socket_dir);

// An HttpTransport whose requests go to the daemon at `socket_path`, prefixed.
std::unique_ptr<HttpTransport> MakeDaemonTransport(std::unique_ptr<UnixHttpClient> client,
                                                   std::string socket_path);

// A Kubernetes client through the daemon, when its /readyz answers 200 at once. Code 11 when
// there is no daemon or it is not ready: the caller does the work itself.
Result<KubeAccess> ConnectThroughDaemon(std::unique_ptr<UnixHttpClient> client,
                                        const std::string& socket_path, const RetryPolicy& policy);

}  // namespace multus
