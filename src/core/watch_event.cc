#include "watch_event.h"

#include <array>
#include <utility>

#include "multus/json_parse.h"
#include "multus/kube_decode.h"

namespace multus {
namespace {

using nlohmann::json;

struct TypeName {
  std::string_view name;
  WatchEventType type;
};
constexpr std::array<TypeName, 5> kTypes = {{{"ADDED", WatchEventType::kAdded},
                                             {"MODIFIED", WatchEventType::kModified},
                                             {"DELETED", WatchEventType::kDeleted},
                                             {"BOOKMARK", WatchEventType::kBookmark},
                                             {"ERROR", WatchEventType::kError}}};

bool TypeOf(std::string_view name, WatchEventType* type) {
  for (const TypeName& known : kTypes) {
    if (known.name == name) {
      *type = known.type;
      return true;
    }
  }
  return false;
}

Status BadEvent(std::string_view line, std::string_view why) {
  return Status::Decode("watch: not an event (" + std::string(why) +
                        "): " + std::string(line.substr(0, 200)));
}

}  // namespace

Result<WatchEvent> ParseWatchEvent(std::string_view line) {
  WatchEvent event;
  try {
    json parsed = ParseJson(line);
    if (!TypeOf(parsed.at("type").get<std::string>(), &event.type)) {
      return BadEvent(line, "unknown type");
    }
    event.object = std::move(parsed.at("object"));
    if (event.type == WatchEventType::kError) {
      event.error_code = event.object.value("code", 0);
      event.error_message = event.object.value("message", "");
    } else {
      event.resource_version = ResourceVersionOf(event.object);
    }
  } catch (const json::exception& e) {
    return BadEvent(line, e.what());
  }
  return event;
}

bool LineBuffer::Append(std::string_view chunk,
                        const std::function<bool(std::string_view)>& on_line) {
  while (!chunk.empty()) {
    size_t newline = chunk.find('\n');
    std::string_view piece = chunk.substr(0, newline);
    if (partial_.size() + piece.size() > max_line_) {
      overflowed_ = true;
      return false;
    }
    if (newline == std::string_view::npos) {
      partial_.append(piece);
      return true;
    }
    chunk.remove_prefix(newline + 1);
    // The common case, a whole line inside one chunk, is not copied.
    std::string_view line = piece;
    if (!partial_.empty()) line = partial_.append(piece);
    bool go_on = line.find_first_not_of(" \r\t") == std::string_view::npos || on_line(line);
    partial_.clear();
    if (!go_on) return false;
  }
  return true;
}

}  // namespace multus
