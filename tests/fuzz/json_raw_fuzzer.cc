// The byte-level JSON scanner behind every config edit (json_raw.h), checked against nlohmann:
// on any JSON object or array it must find the same members and elements, and its edits must
// give valid JSON with the edit applied.
#include <nlohmann/json.hpp>

#include "fuzz_util.h"
#include "multus/json_raw.h"

namespace multus {
namespace {

using nlohmann::json;

json Parse(std::string_view text) { return json::parse(text, nullptr, false); }

void CheckObject(std::string_view text, const json& parsed) {
  Result<std::vector<RawMember>> members = RawObjectMembers(text);
  FUZZ_CHECK(members.ok(), "a JSON object is refused: " + members.status().msg());
  json rebuilt = json::object();
  for (const RawMember& member : *members) {
    json value = Parse(member.value);
    FUZZ_CHECK(!value.is_discarded(), "member value is not JSON: " + std::string(member.value));
    FUZZ_CHECK(Parse(member.raw_key) == member.key, "raw key differs: " + member.key);
    rebuilt[member.key] = std::move(value);  // the last duplicate wins, as in nlohmann
  }
  FUZZ_CHECK(rebuilt == parsed, "members differ from nlohmann's");
  if (!members->empty()) {
    const std::string& first = members->front().key;
    FUZZ_CHECK(Parse(FindRawMember(*members, first)) == parsed[first], "FindRawMember: " + first);
    Result<std::string> removed = RemoveRawMember(text, first);
    FUZZ_CHECK(removed.ok(), removed.status().msg());
    json after = Parse(*removed);
    FUZZ_CHECK(after.is_object() && !after.contains(first), "RemoveRawMember: " + *removed);
  }
  Result<std::string> set = SetRawMembers(text, {{"name", R"("fuzz")"}, {"new\u00e9", "[1,{}]"}});
  FUZZ_CHECK(set.ok(), set.status().msg());
  json after = Parse(*set);
  FUZZ_CHECK(after.is_object() && after["name"] == "fuzz" && after["new\u00e9"] == Parse("[1,{}]"),
             "SetRawMembers: " + *set);
}

void CheckArray(std::string_view text, const json& parsed) {
  Result<std::vector<std::string_view>> elements = RawArrayElements(text);
  FUZZ_CHECK(elements.ok(), "a JSON array is refused: " + elements.status().msg());
  FUZZ_CHECK(elements->size() == parsed.size(), "element count differs");
  for (size_t i = 0; i < elements->size(); ++i) {
    FUZZ_CHECK(Parse((*elements)[i]) == parsed[i],
               "element differs: " + std::string((*elements)[i]));
  }
}

}  // namespace
}  // namespace multus

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace multus;
  std::string_view text = fuzz::AsText(data, size);
  // Garbage: refused or not, never a crash.
  (void)RawObjectMembers(text);
  (void)RawArrayElements(text);
  (void)SetRawMembers(text, {{"a", "1"}});
  (void)RemoveRawMember(text, "a");
  json parsed = Parse(text);
  // nlohmann skips a UTF-8 byte order mark; the scanner (like Go's decoder) does not.
  if (parsed.is_discarded() || text.starts_with("\xEF\xBB\xBF")) return 0;
  if (parsed.is_object()) CheckObject(text, parsed);
  if (parsed.is_array()) CheckArray(text, parsed);
  return 0;
}
