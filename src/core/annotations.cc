// Both forms are validated completely here, before any delegate runs (upstream checked JSON
// names and interface names only when libcni exec'd the plugin, W26).
#include "multus/annotations.h"

#include <arpa/inet.h>

#include <cctype>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>

#include "multus/cni_env.h"
#include "multus/json_parse.h"
#include "multus/json_raw.h"

namespace multus {
namespace {

using json = nlohmann::json;

constexpr std::string_view kSpace = " \t\n\v\f\r";

constexpr const char* kNameRules =
    "a network name must consist of lowercase alphanumeric characters, '-' or '.', start and "
    "end with an alphanumeric character, and have at most 253 characters";
constexpr const char* kNamespaceRules =
    "a namespace must consist of lowercase alphanumeric characters or '-', start and end with "
    "an alphanumeric character, and have at most 63 characters";
constexpr const char* kIfNameRules =
    "an interface name has 1 to 15 characters, none of them '/', ':' or whitespace, and is "
    "not \".\" or \"..\"";
constexpr const char* kTextGrammar =
    "write a comma-separated list of [<namespace>/]<name>[@<interface>], e.g. "
    "\"macvlan-conf, other-ns/sriov-conf@net5\"";
constexpr const char* kJsonGrammar =
    "write a JSON list of objects, e.g. [{\"name\": \"macvlan-conf\", \"namespace\": "
    "\"other-ns\", \"interface\": \"net5\", \"ips\": [\"10.1.1.5/24\"], \"mac\": "
    "\"02:00:00:00:00:05\"}]";
constexpr const char* kAttributesGrammar =
    "write an object, e.g. {\"ips\": [\"10.1.1.5/24\"], \"mac\": \"02:00:00:00:00:05\", "
    "\"cni-args\": {\"key\": \"value\"}}";

std::string_view Trim(std::string_view text) {
  const size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(kSpace) - begin + 1);
}

std::string Quote(std::string_view text) { return "\"" + std::string(text) + "\""; }

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// RFC 1123 as Kubernetes checks object names; namespaces are labels (no '.').
bool IsDnsName(std::string_view name, size_t max_size, bool allow_dots) {
  if (name.empty() || name.size() > max_size) return false;
  if (!IsLowerAlnum(name.front()) || !IsLowerAlnum(name.back())) return false;
  for (char c : name) {
    if (!IsLowerAlnum(c) && c != '-' && !(allow_dots && c == '.')) return false;
  }
  return true;
}

bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// The forms of Go's net.ParseMAC: 6, 8 or 20 bytes, as pairs of hex digits separated by
// ':' or '-' (one separator throughout), or as groups of 4 hex digits separated by '.'.
bool IsMac(std::string_view mac) {
  const auto valid_bytes = [](size_t n) { return n == 6 || n == 8 || n == 20; };
  const auto groups = [&](size_t width, char sep) {
    for (size_t i = 0; i < mac.size(); ++i) {
      const bool at_sep = i % (width + 1) == width;
      if (at_sep ? mac[i] != sep : !IsHex(mac[i])) return false;
    }
    return true;
  };
  if (mac.size() < 14) return false;
  if (mac[2] == ':' || mac[2] == '-') {
    return (mac.size() + 1) % 3 == 0 && valid_bytes((mac.size() + 1) / 3) && groups(2, mac[2]);
  }
  if (mac[4] == '.') {
    return (mac.size() + 1) % 5 == 0 && valid_bytes(2 * (mac.size() + 1) / 5) && groups(4, '.');
  }
  return false;
}

// 4 or 6 for an address inet_pton accepts (which, like Go's net.ParseIP, refuses zones and
// IPv4 octets with leading zeros), 0 otherwise.
int IpFamily(std::string_view ip) {
  const std::string text(ip);
  unsigned char buf[16];
  if (inet_pton(AF_INET, text.c_str(), buf) == 1) return 4;
  if (inet_pton(AF_INET6, text.c_str(), buf) == 1) return 6;
  return 0;
}

// An address, or an address with a decimal prefix length in range for its family.
std::optional<std::string> IpOrCidrProblem(std::string_view text) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    if (IpFamily(text) == 0) return "invalid IP address " + Quote(text);
    return std::nullopt;
  }
  const int family = IpFamily(text.substr(0, slash));
  const std::string_view prefix = text.substr(slash + 1);
  bool prefix_ok = !prefix.empty() && prefix.size() <= 3;
  int length = 0;
  for (size_t i = 0; prefix_ok && i < prefix.size(); ++i) {  // at most 3 digits: no overflow
    prefix_ok = prefix[i] >= '0' && prefix[i] <= '9';
    length = length * 10 + (prefix[i] - '0');
  }
  if (family == 0 || !prefix_ok || length > (family == 4 ? 32 : 128)) {
    return "invalid CIDR " + Quote(text);
  }
  return std::nullopt;
}

// Go's encoding/json matches keys case-insensitively with Unicode simple folding, under
// which only KELVIN SIGN and LATIN SMALL LETTER LONG S fold onto ASCII letters.
std::string FoldKey(std::string_view key) {
  std::string folded;
  for (size_t i = 0; i < key.size(); ++i) {
    if (key.compare(i, 3, "\xE2\x84\xAA") == 0) {
      folded += 'k';
      i += 2;
    } else if (key.compare(i, 2, "\xC5\xBF") == 0) {
      folded += 's';
      i += 1;
    } else {
      folded += static_cast<char>(std::tolower(static_cast<unsigned char>(key[i])));
    }
  }
  return folded;
}

enum class Field {
  kName,
  kNamespace,
  kInterface,
  kInterfaceRequest,
  kIps,
  kMac,
  kDefaultRoute,
  kPortMappings,
  kBandwidth,
  kCniArgs,
  kInfinibandGuid,
  kDeviceId,
};

struct FieldSpec {
  const char* key;
  Field field;
};

constexpr FieldSpec kFields[] = {
    {"name", Field::kName},
    {"namespace", Field::kNamespace},
    {"interface", Field::kInterface},
    {"interfaceRequest", Field::kInterfaceRequest},
    {"ips", Field::kIps},
    {"mac", Field::kMac},
    {"default-route", Field::kDefaultRoute},
    {"portMappings", Field::kPortMappings},
    {"bandwidth", Field::kBandwidth},
    {"cni-args", Field::kCniArgs},
    {"infiniband-guid", Field::kInfinibandGuid},
    {"deviceID", Field::kDeviceId},
};

const FieldSpec* FindField(std::string_view key) {
  const std::string folded = FoldKey(key);
  for (const FieldSpec& spec : kFields) {
    if (FoldKey(spec.key) == folded) return &spec;
  }
  return nullptr;
}

bool IsGoInt(const json& value) {
  if (value.is_number_unsigned()) {
    return value.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  }
  return value.is_number_integer();
}

// Members of the typed structs upstream decodes portMappings and bandwidth into.
struct TypedMember {
  const char* key;
  bool is_int;  // else a string
};

constexpr TypedMember kPortMappingMembers[] = {
    {"hostPort", true}, {"containerPort", true}, {"protocol", false}, {"hostIP", false}};
constexpr TypedMember kBandwidthMembers[] = {
    {"ingressRate", true}, {"ingressBurst", true}, {"egressRate", true}, {"egressBurst", true}};

// A problem with a member of a known type, or nullopt; null leaves a member unset, as in Go.
template <size_t N>
std::optional<std::string> TypedMembersProblem(const json& object,
                                               const TypedMember (&members)[N]) {
  for (const auto& [key, value] : object.items()) {
    for (const TypedMember& member : members) {
      if (FoldKey(key) != FoldKey(member.key) || value.is_null()) continue;
      if (member.is_int && !IsGoInt(value)) {
        return "member " + Quote(member.key) + " must be an integer";
      }
      if (!member.is_int && !value.is_string()) {
        return "member " + Quote(member.key) + " must be a string";
      }
    }
  }
  return std::nullopt;
}

class Parser {
 public:
  // `subject` names what is parsed in every message ("invalid <subject>: ..."); `grammar` is
  // the details of a member of the wrong type.
  Parser(std::string subject, std::string_view default_namespace,
         const char* grammar = kJsonGrammar)
      : subject_(std::move(subject)), default_namespace_(default_namespace), grammar_(grammar) {}

  Result<std::vector<NetworkSelection>> ParseText(std::string_view value) const;
  Result<std::vector<NetworkSelection>> ParseJson(std::string_view value) const;
  // A /delegate request's interfaceAttributes: only "ips", "mac" and "cni-args" are read.
  Result<NetworkSelection> ParseAttributes(std::string_view value) const;

 private:
  Status Invalid(const std::string& what, std::string details) const {
    return Status::InvalidConfig("invalid " + subject_ + ": " + what, std::move(details));
  }

  Result<NetworkSelection> ParseTextItem(std::string_view item) const;
  Result<NetworkSelection> ParseJsonItem(std::string_view raw, const std::string& where) const;
  Status SetMember(Field field, const json& value, std::string_view raw, NetworkSelection& out,
                   const std::string& where) const;
  Status StringList(const json& value, const char* key, const std::string& where,
                    std::vector<std::string>& out) const;
  Status Validate(NetworkSelection& selection, const std::string& where) const;
  // The requested addresses, MAC, GUID and gateways (what a selection asks of its network).
  Status ValidateRequests(const NetworkSelection& selection, const std::string& where) const;

  std::string subject_;
  std::string_view default_namespace_;
  const char* grammar_;
};

Result<std::vector<NetworkSelection>> Parser::ParseText(std::string_view value) const {
  std::vector<NetworkSelection> selections;
  size_t index = 0;
  while (true) {
    ++index;
    const size_t comma = value.find(',');
    const std::string_view item = Trim(value.substr(0, comma));
    // Upstream accepted empty items and failed later at the API (W26).
    if (item.empty()) {
      return Invalid("item " + std::to_string(index) + " is empty",
                     "remove the extra ','; " + std::string(kTextGrammar));
    }
    ASSIGN_OR_RETURN(NetworkSelection selection, ParseTextItem(item));
    selections.push_back(std::move(selection));
    if (comma == std::string_view::npos) break;
    value = value.substr(comma + 1);
  }
  return selections;
}

Result<NetworkSelection> Parser::ParseTextItem(std::string_view item) const {
  const std::string where = "item " + Quote(item);
  NetworkSelection selection;
  std::string_view rest = item;
  if (const size_t slash = item.find('/'); slash != std::string_view::npos) {
    if (item.find('/', slash + 1) != std::string_view::npos) {
      return Invalid(where + " has more than one '/'", kTextGrammar);
    }
    selection.namespace_name = Trim(item.substr(0, slash));
    if (selection.namespace_name.empty()) {
      return Invalid(where + ": the namespace before '/' is empty", kTextGrammar);
    }
    rest = item.substr(slash + 1);
  }
  if (const size_t at = rest.find('@'); at != std::string_view::npos) {
    if (rest.find('@', at + 1) != std::string_view::npos) {
      return Invalid(where + " has more than one '@'", kTextGrammar);
    }
    selection.interface_request = Trim(rest.substr(at + 1));
    if (selection.interface_request.empty()) {
      return Invalid(where + ": the interface name after '@' is empty", kTextGrammar);
    }
    rest = rest.substr(0, at);
  }
  selection.name = Trim(rest);
  if (selection.name.empty()) return Invalid(where + ": the network name is empty", kTextGrammar);
  RETURN_IF_ERROR(Validate(selection, where));
  return selection;
}

Result<std::vector<NetworkSelection>> Parser::ParseJson(std::string_view value) const {
  json document;
  try {
    document = multus::ParseJson(value);
  } catch (const json::exception& e) {
    return Invalid("not valid JSON", std::string(e.what()) + "; " + kJsonGrammar);
  }
  if (!document.is_array()) {
    return Invalid(std::string("expected a JSON list of networks, not ") + document.type_name(),
                   kJsonGrammar);
  }
  ASSIGN_OR_RETURN(std::vector<std::string_view> items, RawArrayElements(value));
  std::vector<NetworkSelection> selections;
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string where = "item " + std::to_string(i + 1);
    if (!document[i].is_object()) {
      return Invalid(where + " must be an object, not " + document[i].type_name(), kJsonGrammar);
    }
    ASSIGN_OR_RETURN(NetworkSelection selection, ParseJsonItem(items[i], where));
    selections.push_back(std::move(selection));
  }
  return selections;
}

Result<NetworkSelection> Parser::ParseAttributes(std::string_view value) const {
  const std::string where = "interfaceAttributes";
  json document;
  try {
    document = multus::ParseJson(value);
  } catch (const json::exception& e) {
    return Invalid(where + " is not valid JSON", std::string(e.what()) + "; " + grammar_);
  }
  if (!document.is_object()) {
    return Invalid(where + " must be an object, not " + document.type_name(), grammar_);
  }
  ASSIGN_OR_RETURN(std::vector<RawMember> members, RawObjectMembers(value));
  NetworkSelection selection;
  for (const RawMember& member : members) {
    const FieldSpec* spec = FindField(member.key);
    // The members of upstream's interface attributes; others are ignored, as its decoder does.
    if (spec == nullptr || (spec->field != Field::kIps && spec->field != Field::kMac &&
                            spec->field != Field::kCniArgs)) {
      continue;
    }
    json member_value;
    try {
      member_value = multus::ParseJson(member.value);
    } catch (const json::exception& e) {  // not expected: the whole value parsed already
      return Invalid(where + ": " + Quote(member.key) + " is not valid JSON", e.what());
    }
    RETURN_IF_ERROR(SetMember(spec->field, member_value, member.value, selection, where));
  }
  RETURN_IF_ERROR(ValidateRequests(selection, where));
  return selection;
}

Result<NetworkSelection> Parser::ParseJsonItem(std::string_view raw,
                                               const std::string& where) const {
  ASSIGN_OR_RETURN(std::vector<RawMember> members, RawObjectMembers(raw));
  NetworkSelection selection;
  std::string interface_request;  // the deprecated "interfaceRequest"
  // Document order, so that a later duplicate wins, as with Go's decoder.
  for (const RawMember& member : members) {
    const FieldSpec* spec = FindField(member.key);
    if (spec == nullptr) continue;  // unknown keys are ignored, as upstream does
    json value;
    try {
      value = multus::ParseJson(member.value);
    } catch (const json::exception& e) {  // not expected: the whole value parsed already
      return Invalid(where + ": " + Quote(member.key) + " is not valid JSON", e.what());
    }
    if (spec->field == Field::kInterfaceRequest) {
      if (!value.is_null() && !value.is_string()) {
        return Invalid(where + ": \"interfaceRequest\" must be a string, not " + value.type_name(),
                       kJsonGrammar);
      }
      if (value.is_string()) interface_request = value.get<std::string>();
      continue;
    }
    RETURN_IF_ERROR(SetMember(spec->field, value, member.value, selection, where));
  }
  if (selection.interface_request.empty()) selection.interface_request = interface_request;
  if (selection.name.empty()) return Invalid(where + ": \"name\" is missing", kJsonGrammar);
  RETURN_IF_ERROR(Validate(selection, where));
  return selection;
}

Status Parser::StringList(const json& value, const char* key, const std::string& where,
                          std::vector<std::string>& out) const {
  bool ok = value.is_array();
  for (size_t i = 0; ok && i < value.size(); ++i) ok = value[i].is_string();
  if (!ok) {
    return Invalid(where + ": " + Quote(key) + " must be a list of strings", grammar_);
  }
  out = value.get<std::vector<std::string>>();
  return OkStatus();
}

Status Parser::SetMember(Field field, const json& value, std::string_view raw,
                         NetworkSelection& out, const std::string& where) const {
  const char* key = "";
  for (const FieldSpec& spec : kFields) {
    if (spec.field == field) key = spec.key;
  }
  const auto wrong_type = [&](const char* expected) {
    return Invalid(
        where + ": " + Quote(key) + " must be " + expected + ", not " + value.type_name(),
        grammar_);
  };
  std::string* text = nullptr;
  switch (field) {
    case Field::kName:
      text = &out.name;
      break;
    case Field::kNamespace:
      text = &out.namespace_name;
      break;
    case Field::kInterface:
      text = &out.interface_request;
      break;
    case Field::kMac:
      text = &out.mac;
      break;
    case Field::kInfinibandGuid:
      text = &out.infiniband_guid;
      break;
    case Field::kDeviceId:
      text = &out.device_id;
      break;
    default:
      break;
  }
  if (text != nullptr) {
    // Go leaves a string untouched when the JSON value is null.
    if (value.is_null()) return OkStatus();
    if (!value.is_string()) return wrong_type("a string");
    *text = value.get<std::string>();
    return OkStatus();
  }
  // For lists and objects, null resets the member, as Go sets a slice or map to nil.
  switch (field) {
    case Field::kIps:
      out.ips.clear();
      return value.is_null() ? OkStatus() : StringList(value, key, where, out.ips);
    case Field::kDefaultRoute:
      out.default_route.clear();
      out.has_default_route = !value.is_null();
      return value.is_null() ? OkStatus() : StringList(value, key, where, out.default_route);
    case Field::kPortMappings:
      out.port_mappings.clear();
      if (value.is_null()) return OkStatus();
      if (!value.is_array()) return wrong_type("a list of objects");
      for (const json& entry : value) {
        if (!entry.is_object()) {
          return Invalid(where + ": \"portMappings\" must be a list of objects", grammar_);
        }
        if (auto problem = TypedMembersProblem(entry, kPortMappingMembers)) {
          return Invalid(where + ": \"portMappings\" " + *problem, grammar_);
        }
      }
      out.port_mappings = raw;
      return OkStatus();
    case Field::kBandwidth:
      out.bandwidth.clear();
      if (value.is_null()) return OkStatus();
      if (!value.is_object()) return wrong_type("an object");
      if (auto problem = TypedMembersProblem(value, kBandwidthMembers)) {
        return Invalid(where + ": \"bandwidth\" " + *problem, grammar_);
      }
      out.bandwidth = raw;
      return OkStatus();
    case Field::kCniArgs:
      out.cni_args.clear();
      if (value.is_null()) return OkStatus();
      if (!value.is_object()) return wrong_type("an object");
      out.cni_args = raw;
      return OkStatus();
    default:
      return OkStatus();
  }
}

Status Parser::Validate(NetworkSelection& selection, const std::string& where) const {
  if (!IsDnsName(selection.name, 253, true)) {
    return Invalid(where + ": invalid network name " + Quote(selection.name), kNameRules);
  }
  if (selection.namespace_name.empty()) selection.namespace_name = default_namespace_;
  if (!IsDnsName(selection.namespace_name, 63, false)) {
    return Invalid(where + ": invalid namespace " + Quote(selection.namespace_name),
                   kNamespaceRules);
  }
  if (!selection.interface_request.empty()) {
    if (Status status = ValidateIfName(selection.interface_request); !status.ok()) {
      return Invalid(where + ": invalid interface name " + Quote(selection.interface_request) +
                         ": " + status.msg(),
                     kIfNameRules);
    }
  }
  return ValidateRequests(selection, where);
}

Status Parser::ValidateRequests(const NetworkSelection& selection, const std::string& where) const {
  for (const std::string& ip : selection.ips) {
    if (auto problem = IpOrCidrProblem(ip)) {
      return Invalid(where + ": " + *problem + " in \"ips\"",
                     "each of \"ips\" must be an IP address or a CIDR, e.g. \"10.1.1.5/24\"");
    }
  }
  if (!selection.mac.empty() && !IsMac(selection.mac)) {
    return Invalid(where + ": invalid MAC address " + Quote(selection.mac) + " in \"mac\"",
                   "write a MAC address as 6 pairs of hex digits, e.g. \"02:00:00:00:00:05\"");
  }
  if (!selection.infiniband_guid.empty() && !IsMac(selection.infiniband_guid)) {
    return Invalid(
        where + ": invalid GUID " + Quote(selection.infiniband_guid) + " in \"infiniband-guid\"",
        "write an InfiniBand GUID as 8 pairs of hex digits, e.g. "
        "\"c2:11:22:33:44:55:66:77\"");
  }
  for (const std::string& gateway : selection.default_route) {
    if (IpFamily(gateway) == 0) {
      return Invalid(where + ": invalid IP address " + Quote(gateway) + " in \"default-route\"",
                     "each of \"default-route\" must be a gateway IP address, e.g. \"10.1.1.1\"");
    }
  }
  return OkStatus();
}

}  // namespace

Result<std::vector<NetworkSelection>> ParseNetworkSelections(std::string_view annotation_name,
                                                             std::string_view value,
                                                             std::string_view default_namespace) {
  const Parser parser(std::string(annotation_name) + " annotation", default_namespace);
  if (value.find_first_of("[{\"") != std::string_view::npos) return parser.ParseJson(value);
  // A blank value means no networks, like an absent annotation.
  if (Trim(value).empty()) return std::vector<NetworkSelection>();
  return parser.ParseText(value);
}

Result<NetworkSelection> ParseInterfaceAttributes(std::string_view value) {
  const Parser parser("/delegate request", "", kAttributesGrammar);
  return parser.ParseAttributes(value);
}

}  // namespace multus
