// HTTP/1.1 framing for the daemon's socket, pure functions over bytes: the request a client
// (multus-shim, the multus plugin) sends and the reply it reads (Content-Length, chunked, or
// delimited by the connection's close, as Go's net/http server may answer any of them).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "multus/status.h"
#include "multus/unix_http.h"

namespace multus {

// "<method> <path> HTTP/1.1" with Host: dummy, Connection: close and, with a body,
// Content-Type: application/json and Content-Length.
std::string FormatHttpRequest(std::string_view method, std::string_view path,
                              std::string_view body);

// Parses the reply received so far. Returns nullopt while more bytes are needed (`eof` false);
// the reply once complete. Code 6 for a malformed reply, or when the connection ended (`eof`)
// before the reply did. Interim 1xx replies are skipped.
Result<std::optional<UnixHttpReply>> ParseHttpReply(std::string_view data, bool eof);

}  // namespace multus
