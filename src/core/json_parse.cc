#include "multus/json_parse.h"

#include <string>

namespace multus {

bool JsonDepthWithin(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

// 599: outside nlohmann's own ids (1xx-5xx), so it is recognisable in messages.
UnsafeJson::UnsafeJson(const std::string& why)
    : nlohmann::json::exception(599, ("[json.exception.unsafe.599] " + why).c_str()) {}

void CheckJsonIsSafe(std::string_view text, int max_depth) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") {
    throw UnsafeJson("JSON text starts with a UTF-8 byte order mark, which CNI plugins reject");
  }
  if (text.find('\0') != std::string_view::npos) {
    throw UnsafeJson("JSON text contains a NUL byte");
  }
  if (!JsonDepthWithin(text, max_depth)) {
    throw UnsafeJson("JSON nested deeper than " + std::to_string(max_depth) + " levels");
  }
}

}  // namespace multus
