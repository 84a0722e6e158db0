// What the plan cache and the result cache share: one JSON flavour, one "corrupt cache"
// error, and a member reader whose messages name the member and the element.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "multus/base64.h"
#include "multus/cni_args.h"
#include "multus/status.h"

namespace multus::cache_json {

// ordered_json keeps members in the order we write them (and the order plugins wrote
// their results in), which makes the files readable and diffs stable.
using Json = nlohmann::ordered_json;

// Code 101 (corrupt cache) with the advice every cache error gives.
Status Corrupt(std::string msg);

// Dumps without ever throwing: strings that are not UTF-8 are replaced rather than lost
// in an exception (callers avoid that case for config bytes, see PutConfig).
std::string Dump(const Json& doc);

// JSON text that is an object is embedded as an object; anything else (which our callers
// never produce) is kept verbatim as a string so nothing is lost.
Json EmbedObjectText(std::string_view text);

// Config bytes go in as a JSON string so they survive byte for byte. JSON strings must be
// UTF-8; bytes that are not are stored as base64 under `<key>Base64` instead.
void PutConfig(Json& out, std::string_view key, const std::string& config);

Json KeyValuesToJson(const KeyValues& pairs);

const char* TypeName(const Json& doc);

// "scratch cache delegates[<index>]: ", the prefix of a delegate's errors.
std::string DelegateWhere(size_t index);

// Typed member access that reports which member of which element is wrong.
class Reader {
 public:
  Reader(const Json& obj, std::string where) : obj_(obj), where_(std::move(where)) {}

  const Json* Find(std::string_view key) const {
    auto it = obj_.find(std::string(key));
    if (it == obj_.end() || it->is_null()) return nullptr;
    return &*it;
  }

  Status String(std::string_view key, std::string* out, bool required = false) const {
    const Json* v = Find(key);
    if (v == nullptr) {
      return required ? Corrupt(Name(key) + " is missing") : OkStatus();
    }
    if (!v->is_string()) return Corrupt(Name(key) + " must be a string");
    *out = v->get<std::string>();
    return OkStatus();
  }

  Status Bool(std::string_view key, bool* out) const {
    const Json* v = Find(key);
    if (v == nullptr) return OkStatus();
    if (!v->is_boolean()) return Corrupt(Name(key) + " must be a boolean");
    *out = v->get<bool>();
    return OkStatus();
  }

  Status Count(std::string_view key, int* out) const {
    const Json* v = Find(key);
    if (v == nullptr) return OkStatus();
    if (!v->is_number_unsigned() || v->get<uint64_t>() > 1000000) {
      return Corrupt(Name(key) + " must be a small non-negative integer");
    }
    *out = static_cast<int>(v->get<uint64_t>());
    return OkStatus();
  }

  Status Strings(std::string_view key, std::vector<std::string>* out) const {
    const Json* v = Find(key);
    if (v == nullptr) return OkStatus();
    if (!v->is_array()) return Corrupt(Name(key) + " must be an array of strings");
    for (const Json& item : *v) {
      if (!item.is_string()) return Corrupt(Name(key) + " must be an array of strings");
      out->push_back(item.get<std::string>());
    }
    return OkStatus();
  }

  Status Pairs(std::string_view key, KeyValues* out) const {
    const Json* v = Find(key);
    if (v == nullptr) return OkStatus();
    if (!v->is_array()) return Corrupt(Name(key) + " must be an array of [key, value] pairs");
    for (const Json& item : *v) {
      if (!item.is_array() || item.size() != 2 || !item[0].is_string() || !item[1].is_string()) {
        return Corrupt(Name(key) + " must be an array of [key, value] pairs");
      }
      out->emplace_back(item[0].get<std::string>(), item[1].get<std::string>());
    }
    return OkStatus();
  }

  // An embedded JSON object, returned as compact text; `fallback` when absent.
  Status ObjectText(std::string_view key, std::string* out, std::string fallback) const {
    const Json* v = Find(key);
    if (v == nullptr) {
      *out = std::move(fallback);
    } else if (v->is_object()) {
      *out = Dump(*v);
    } else if (v->is_string()) {
      *out = v->get<std::string>();  // see EmbedObjectText
    } else {
      return Corrupt(Name(key) + " must be an object");
    }
    return OkStatus();
  }

  // Config bytes written by PutConfig: `<key>` as a string, or `<key>Base64`.
  Status Config(std::string_view key, std::string* out) const {
    if (Find(key) != nullptr) return String(key, out);
    return Base64Member(std::string(key) + "Base64", out, /*required=*/true, key);
  }

  Status Base64Member(std::string_view key, std::string* out, bool required,
                      std::string_view display_key) const {
    std::string text;
    const Json* v = Find(key);
    if (v == nullptr) {
      return required ? Corrupt(Name(display_key) + " is missing") : OkStatus();
    }
    if (!v->is_string()) return Corrupt(Name(key) + " must be a base64 string");
    auto decoded = Base64Decode(v->get<std::string>());
    if (!decoded.ok()) return Corrupt(Name(key) + ": " + decoded.status().msg());
    *out = std::move(decoded).value();
    return OkStatus();
  }

 private:
  std::string Name(std::string_view key) const { return where_ + "\"" + std::string(key) + "\""; }

  const Json& obj_;
  std::string where_;
};

}  // namespace multus::cache_json
