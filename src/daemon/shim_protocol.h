// Upstream's shim protocol, as multus-shim speaks it on <socketDir>/multus.sock:
//   POST /cni       {"env": {"CNI_COMMAND": ..., ...}, "config": "<base64 of the CNI config>"}
//   POST /delegate  the same plus "interfaceAttributes": {"ips", "mac", "cni-args"}
// answered 200 with {"Result": <result>} when the call printed one (ADD, STATUS with output),
// an empty body otherwise (/delegate: {"Result":null}), and on failure a non-200 status with
// the CNI error object.
#pragma once

#include <string>
#include <string_view>

#include "http_message.h"
#include "multus/cni_env.h"
#include "multus/status.h"

namespace multus::daemon {

struct ShimRequest {
  EnvMap env;
  std::string config;                // decoded
  std::string interface_attributes;  // raw JSON object, empty when absent
};

// Decodes a request body. Code 6 when it is not a JSON object, "config" is not base64 or a
// value has the wrong type; code 4 when "env" is missing or has no CNI_COMMAND.
Result<ShimRequest> DecodeShimRequest(std::string_view body);

// The HTTP status for a failed CNI call: 400 for errors of the call itself (the config, the
// delegates: upstream answers 400 too), 503 for "try again later" refusals before it ran
// (queue full, shutting down), 504 for the daemon's deadline, 500 for an internal error.
int HttpStatusFor(const Status& status);

// The reply to a CNI call that Run answered with `exit_code` and `stdout_data`: 200 with
// {"Result": ...} or an empty body, or the CNI error object it printed with HttpStatusFor its
// code.
HttpResponse EncodeCniReply(int exit_code, std::string_view stdout_data);

// The reply to a /delegate call: 200 with {"Result": <result>} for an ADD (`result` is its
// JSON text), {"Result":null} for a DEL (`result` is ""), so a client that decodes every
// reply finds an object; on failure the CNI error object in `cni_version` with HttpStatusFor
// its code.
HttpResponse EncodeHotplugReply(const Result<std::string>& result, std::string_view cni_version);

// A refusal by the daemon itself (never ran): the CNI error object with `http_status`.
HttpResponse ErrorReply(int http_status, const Status& status, std::string_view cni_version);

}  // namespace multus::daemon
