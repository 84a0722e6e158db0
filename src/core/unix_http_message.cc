#include "multus/unix_http_message.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace multus {
namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr size_t kMaxHeaderBytes = 64 << 10;

Status Malformed(std::string_view why) {
  return Status::Decode("malformed HTTP reply from multus-daemon: " + std::string(why));
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

template <typename T>
bool ParseNumber(std::string_view text, T& out, int base = 10) {
  if (text.empty()) return false;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out, base);
  return error == std::errc() && end == text.data() + text.size();
}

struct Head {
  int status = 0;
  bool chunked = false;
  bool has_length = false;
  size_t length = 0;
};

// The status line and the two headers that frame the body.
Result<Head> ParseHead(std::string_view head) {
  size_t eol = head.find(kCrlf);
  std::string_view line = head.substr(0, eol);
  if (line.substr(0, 7) != "HTTP/1." || line.size() < 12 || line[8] != ' ') {
    return Malformed("bad status line");
  }
  Head out;
  if (!ParseNumber(line.substr(9, 3), out.status) || out.status < 100) {
    return Malformed("bad status code");
  }
  while (eol != std::string_view::npos) {
    head.remove_prefix(eol + kCrlf.size());
    eol = head.find(kCrlf);
    std::string_view field = head.substr(0, eol);
    size_t colon = field.find(':');
    if (colon == std::string_view::npos) return Malformed("header without ':'");
    std::string_view name = field.substr(0, colon);
    std::string_view value = Trim(field.substr(colon + 1));
    if (EqualsIgnoreCase(name, "Transfer-Encoding")) {
      out.chunked = EqualsIgnoreCase(value, "chunked");
      if (!out.chunked && !EqualsIgnoreCase(value, "identity")) {
        return Malformed("unsupported Transfer-Encoding");
      }
    } else if (EqualsIgnoreCase(name, "Content-Length")) {
      if (!ParseNumber(value, out.length)) return Malformed("bad Content-Length");
      out.has_length = true;
    }
  }
  return out;
}

// The chunked body that starts `data`: RFC 9112 §7.1 (extensions and trailers skipped).
Result<std::optional<std::string>> Dechunk(std::string_view data) {
  std::string body;
  while (true) {
    size_t eol = data.find(kCrlf);
    if (eol == std::string_view::npos) return std::optional<std::string>();
    std::string_view size_text = Trim(data.substr(0, std::min(eol, data.find(';'))));
    size_t size = 0;
    if (!ParseNumber(size_text, size, 16)) return Malformed("bad chunk size");
    data.remove_prefix(eol + kCrlf.size());
    if (size == 0) break;
    if (data.size() < size + kCrlf.size()) return std::optional<std::string>();
    if (data.substr(size, kCrlf.size()) != kCrlf) return Malformed("chunk not followed by CRLF");
    body.append(data.substr(0, size));
    data.remove_prefix(size + kCrlf.size());
  }
  // Trailer fields, each a line, then the empty line.
  while (true) {
    size_t eol = data.find(kCrlf);
    if (eol == std::string_view::npos) return std::optional<std::string>();
    data.remove_prefix(eol + kCrlf.size());
    if (eol == 0) return std::optional<std::string>(std::move(body));
  }
}

}  // namespace

std::string FormatHttpRequest(std::string_view method, std::string_view path,
                              std::string_view body) {
  std::string out;
  out.reserve(160 + body.size());
  out.append(method).append(" ").append(path).append(" HTTP/1.1\r\n");
  out += "Host: dummy\r\nUser-Agent: multus\r\nConnection: close\r\n";
  if (!body.empty() || method == "POST") {
    out +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  out += "\r\n";
  out.append(body);
  return out;
}

Result<std::optional<UnixHttpReply>> ParseHttpReply(std::string_view data, bool eof) {
  using Pending = std::optional<UnixHttpReply>;
  while (true) {
    size_t end = data.find("\r\n\r\n");
    if (end == std::string_view::npos) {
      if (data.size() > kMaxHeaderBytes) return Malformed("headers too long");
      if (eof) return Malformed("the connection closed before the reply's headers ended");
      return Pending();
    }
    ASSIGN_OR_RETURN(Head head, ParseHead(data.substr(0, end)));
    std::string_view rest = data.substr(end + 4);
    if (head.status < 200 && head.status != 101) {  // interim reply: the real one follows
      data = rest;
      continue;
    }
    UnixHttpReply reply;
    reply.status = head.status;
    if (head.status == 204 || head.status == 304) return Pending(std::move(reply));
    if (head.chunked) {
      ASSIGN_OR_RETURN(std::optional<std::string> body, Dechunk(rest));
      if (!body) {
        if (eof) return Malformed("the connection closed inside a chunked body");
        return Pending();
      }
      reply.body = std::move(*body);
    } else if (head.has_length) {
      if (rest.size() < head.length) {
        if (eof) return Malformed("the connection closed before Content-Length bytes");
        return Pending();
      }
      reply.body = std::string(rest.substr(0, head.length));
    } else {
      if (!eof) return Pending();  // the body ends with the connection
      reply.body = std::string(rest);
    }
    return Pending(std::move(reply));
  }
}

}  // namespace multus
