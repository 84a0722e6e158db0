// The shim's config: the keys it reads from the CNI config on stdin. Everything else in the
// config is the daemon's business (the shim sends the config bytes untouched).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "multus/status.h"
#include "shim_log.h"

namespace multus::shim {

inline constexpr std::string_view kDefaultSocketDir = "/run/multus/";
inline constexpr std::string_view kDefaultCniDir = "/var/lib/cni/multus";
inline constexpr std::string_view kSocketName = "multus.sock";
// Upstream waits 60 s for /readyz; kubelet's own ADD deadline is minutes.
inline constexpr std::chrono::seconds kDefaultReadinessTimeout{60};
// The daemon runs every delegate of the pod within one /cni request; kubelet gives up on a
// sandbox after ~4 minutes, so 5 minutes only stops a shim from waiting forever on a daemon
// that accepted the connection and never answers.
inline constexpr std::chrono::seconds kDefaultRequestTimeout{300};
inline constexpr int kMaxTimeoutSeconds = 3600;

struct ShimConf {
  std::string cni_version;  // as written; may be empty
  std::string socket_path;  // <daemonSocketDir>/multus.sock, absolute
  std::string cni_dir = std::string(kDefaultCniDir);
  LogSettings log;
  std::chrono::seconds readiness_timeout = kDefaultReadinessTimeout;
  std::chrono::seconds request_timeout = kDefaultRequestTimeout;
};

// Parses the config (keys case-insensitive, unknown keys ignored): daemonSocketDir, cniDir,
// cniVersion, logFile, logLevel, logToStderr, daemonReadinessTimeout and daemonRequestTimeout
// (whole seconds, 0..3600 and 1..3600). Code 6 when the bytes are not a JSON object; 7 for a
// key of the wrong type or out of range, a relative daemonSocketDir or cniDir, or a socket
// path longer than a unix socket address holds.
Result<ShimConf> ParseShimConf(std::string_view bytes);

// The cniVersion and log settings alone, read leniently (wrong types skipped) from a config
// that failed ParseShimConf: an error is still answered in the config's version and logged
// where it asks.
ShimConf ParseReportingConf(std::string_view bytes);

}  // namespace multus::shim
