#include "http_message.h"

#include <cctype>
#include <charconv>

#include "multus/text.h"

namespace multus::daemon {
namespace {

constexpr size_t kMaxHeadBytes = 16 << 10;

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

Status Malformed(const std::string& what) {
  return Status::Decode("malformed HTTP request: " + what);
}

// The request line and headers (without the final CRLF CRLF).
Status ParseHead(std::string_view head, HttpRequest& request) {
  size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return Malformed("bad request line");
  request.method = std::string(line.substr(0, sp1));
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  request.path = std::string(target.substr(0, target.find('?')));
  std::string_view version = line.substr(sp2 + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return Malformed("bad version");
  request.keep_alive = version == "HTTP/1.1";
  while (eol != std::string_view::npos) {
    head.remove_prefix(eol + 2);
    eol = head.find("\r\n");
    std::string_view field = head.substr(0, eol);
    size_t colon = field.find(':');
    if (colon == std::string_view::npos || colon == 0) return Malformed("bad header line");
    request.headers[AsciiLower(field.substr(0, colon))] =
        std::string(Trim(field.substr(colon + 1)));
  }
  auto connection = request.headers.find("connection");
  if (connection != request.headers.end()) {
    std::string value = AsciiLower(connection->second);
    if (value == "close") request.keep_alive = false;
    if (value == "keep-alive") request.keep_alive = true;
  }
  return OkStatus();
}

Result<size_t> ParseSize(std::string_view text, int base) {
  size_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return Malformed("bad length \"" + std::string(text) + "\"");
  }
  return value;
}

// A chunked body starting at `data`: nullopt until complete; sets `consumed`.
Result<std::optional<std::string>> DecodeChunked(std::string_view data, size_t max_body,
                                                 size_t& consumed) {
  std::string body;
  size_t at = 0;
  for (;;) {
    size_t eol = data.find("\r\n", at);
    if (eol == std::string_view::npos) return std::optional<std::string>();
    std::string_view size_text = data.substr(at, eol - at);
    size_text = Trim(size_text.substr(0, size_text.find(';')));
    ASSIGN_OR_RETURN(size_t size, ParseSize(size_text, 16));
    if (body.size() + size > max_body) return Status::InvalidConfig("request body too large");
    at = eol + 2;
    if (size == 0) {
      // Trailers (ignored) end with an empty line.
      size_t end = data.find("\r\n", at);
      while (end != std::string_view::npos && end != at) {
        at = end + 2;
        end = data.find("\r\n", at);
      }
      if (end == std::string_view::npos) return std::optional<std::string>();
      consumed = end + 2;
      return std::optional<std::string>(std::move(body));
    }
    if (data.size() < at + size + 2) return std::optional<std::string>();
    if (data.substr(at + size, 2) != "\r\n") return Malformed("bad chunk");
    body.append(data.substr(at, size));
    at += size + 2;
  }
}

std::string_view Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Payload Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Status";
  }
}

}  // namespace

Result<std::optional<ParsedRequest>> ParseHttpRequest(std::string_view buffer, size_t max_body) {
  size_t head_end = buffer.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    if (buffer.size() > kMaxHeadBytes) return Malformed("headers too long");
    return std::optional<ParsedRequest>();
  }
  ParsedRequest parsed;
  RETURN_IF_ERROR(ParseHead(buffer.substr(0, head_end), parsed.request));
  std::string_view rest = buffer.substr(head_end + 4);
  const auto& headers = parsed.request.headers;
  auto encoding = headers.find("transfer-encoding");
  if (encoding != headers.end() && AsciiLower(encoding->second) != "identity") {
    if (AsciiLower(encoding->second) != "chunked")
      return Malformed("unsupported transfer-encoding");
    size_t consumed = 0;
    ASSIGN_OR_RETURN(std::optional<std::string> body, DecodeChunked(rest, max_body, consumed));
    if (!body) return std::optional<ParsedRequest>();
    parsed.request.body = std::move(*body);
    parsed.consumed = head_end + 4 + consumed;
    return std::optional<ParsedRequest>(std::move(parsed));
  }
  size_t length = 0;
  auto content_length = headers.find("content-length");
  if (content_length != headers.end()) {
    ASSIGN_OR_RETURN(length, ParseSize(content_length->second, 10));
  }
  if (length > max_body) return Status::InvalidConfig("request body too large");
  if (rest.size() < length) return std::optional<ParsedRequest>();
  parsed.request.body = std::string(rest.substr(0, length));
  parsed.consumed = head_end + 4 + length;
  return std::optional<ParsedRequest>(std::move(parsed));
}

std::string SerializeResponse(const HttpResponse& response, bool keep_alive) {
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " +
                    std::string(Reason(response.status)) + "\r\n";
  out += "Content-Type: " + response.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  out += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
  out += response.body;
  return out;
}

}  // namespace multus::daemon
