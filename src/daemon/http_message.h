// HTTP/1.1 messages as the daemon needs them: the request head and body (Content-Length or
// chunked), and a response written in one piece. Pure: no I/O.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "multus/status.h"

namespace multus::daemon {

struct HttpRequest {
  std::string method;
  std::string path;                            // the target without its query
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
  bool keep_alive = true;
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

// The outcome of looking at the bytes received so far on a connection.
struct ParsedRequest {
  HttpRequest request;
  size_t consumed = 0;  // bytes of `buffer` the request took (the rest belongs to the next one)
};

// Parses one request from the start of `buffer`: nullopt when more bytes are needed; code 6
// for a malformed request (the caller answers 400 and closes), 7 for a body larger than
// `max_body` (413).
Result<std::optional<ParsedRequest>> ParseHttpRequest(std::string_view buffer, size_t max_body);

// "HTTP/1.1 <status> <reason>" with Content-Type, Content-Length and Connection headers.
std::string SerializeResponse(const HttpResponse& response, bool keep_alive);

}  // namespace multus::daemon
