#include "multus/json_raw.h"

#include <cctype>
#include <nlohmann/json.hpp>

namespace multus {
namespace {

// A cursor over JSON text that can skip one value without interpreting it.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  bool Consume(char c) {
    SkipSpace();
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }
  size_t pos() const { return pos_; }

  // Skips one value (string, number, literal, object or array); false on malformed text.
  bool SkipValue() {
    SkipSpace();
    char c = Peek();
    if (c == '"') return SkipString();
    if (c == '{' || c == '[') return SkipNested();
    size_t start = pos_;
    while (!AtEnd() && Peek() != ',' && Peek() != '}' && Peek() != ']' &&
           !std::isspace(static_cast<unsigned char>(Peek()))) {
      ++pos_;
    }
    return pos_ > start;
  }

  bool SkipString() {
    if (Peek() != '"') return false;
    for (++pos_; pos_ < text_.size(); ++pos_) {
      if (text_[pos_] == '\\') {
        ++pos_;
      } else if (text_[pos_] == '"') {
        ++pos_;
        return true;
      }
    }
    return false;
  }

 private:
  // Brackets inside strings do not count, so strings are skipped as units.
  bool SkipNested() {
    int depth = 0;
    while (!AtEnd()) {
      char c = Peek();
      if (c == '"') {
        if (!SkipString()) return false;
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if (c == '}' || c == ']') --depth;
      ++pos_;
      if (depth == 0) return true;
    }
    return false;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

Status NotA(std::string_view what) {
  return Status::Decode("malformed JSON: expected " + std::string(what));
}

std::string JoinObject(const std::vector<std::string>& members) {
  std::string out = "{";
  for (size_t i = 0; i < members.size(); ++i) {
    if (i > 0) out += ",";
    out += members[i];
  }
  return out + "}";
}

std::string MemberText(const RawMember& member) {
  return std::string(member.raw_key) + ":" + std::string(member.value);
}

}  // namespace

Result<std::vector<RawMember>> RawObjectMembers(std::string_view object) {
  Scanner scan(object);
  if (!scan.Consume('{')) return NotA("an object");
  std::vector<RawMember> members;
  if (scan.Consume('}')) return members;
  do {
    scan.SkipSpace();
    size_t key_start = scan.pos();
    if (!scan.SkipString()) return NotA("a member name");
    std::string_view raw_key = object.substr(key_start, scan.pos() - key_start);
    if (!scan.Consume(':')) return NotA("':'");
    scan.SkipSpace();
    size_t value_start = scan.pos();
    if (!scan.SkipValue()) return NotA("a value");
    RawMember member;
    try {
      member.key = nlohmann::json::parse(raw_key).get<std::string>();
    } catch (const nlohmann::json::exception&) {
      return NotA("a member name");
    }
    member.raw_key = raw_key;
    member.value = object.substr(value_start, scan.pos() - value_start);
    members.push_back(std::move(member));
  } while (scan.Consume(','));
  if (!scan.Consume('}')) return NotA("'}'");
  return members;
}

Result<std::vector<std::string_view>> RawArrayElements(std::string_view array) {
  Scanner scan(array);
  if (!scan.Consume('[')) return NotA("an array");
  std::vector<std::string_view> elements;
  if (scan.Consume(']')) return elements;
  do {
    scan.SkipSpace();
    size_t start = scan.pos();
    if (!scan.SkipValue()) return NotA("a value");
    elements.push_back(array.substr(start, scan.pos() - start));
  } while (scan.Consume(','));
  if (!scan.Consume(']')) return NotA("']'");
  return elements;
}

Result<std::string> SetRawMembers(std::string_view object,
                                  const std::vector<std::pair<std::string, std::string>>& updates) {
  ASSIGN_OR_RETURN(std::vector<RawMember> members, RawObjectMembers(object));
  std::vector<std::string> out;
  std::vector<bool> applied(updates.size(), false);
  for (const RawMember& member : members) {
    std::string text = MemberText(member);
    for (size_t i = 0; i < updates.size(); ++i) {
      if (updates[i].first != member.key) continue;
      // A duplicate key keeps only its first occurrence, replaced.
      text = applied[i] ? "" : nlohmann::json(updates[i].first).dump() + ":" + updates[i].second;
      applied[i] = true;
    }
    if (!text.empty()) out.push_back(std::move(text));
  }
  for (size_t i = 0; i < updates.size(); ++i) {
    if (!applied[i])
      out.push_back(nlohmann::json(updates[i].first).dump() + ":" + updates[i].second);
  }
  return JoinObject(out);
}

Result<std::string> RemoveRawMember(std::string_view object, std::string_view key) {
  ASSIGN_OR_RETURN(std::vector<RawMember> members, RawObjectMembers(object));
  std::vector<std::string> out;
  for (const RawMember& member : members) {
    if (member.key != key) out.push_back(MemberText(member));
  }
  return JoinObject(out);
}

std::string_view FindRawMember(const std::vector<RawMember>& members, std::string_view key) {
  std::string_view found;
  for (const RawMember& member : members) {
    if (member.key == key) found = member.value;  // last duplicate wins, as in Go
  }
  return found;
}

}  // namespace multus
