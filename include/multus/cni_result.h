// CNI results: parsing a plugin's output and converting between spec versions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "multus/status.h"

namespace multus {

// Parses the stdout of a successful plugin call. The result's own cniVersion wins; when it
// is absent, `config_version` is assumed (empty means 0.1.0). The returned object always
// carries "cniVersion". Code 6 (decode) when stdout is not a JSON object.
Result<nlohmann::json> ParseResult(std::string_view bytes, std::string_view config_version);

// The same for a value already parsed (e.g. read back from a result cache).
Result<nlohmann::json> AsPluginResult(nlohmann::json result, std::string_view config_version);

// Converts a result to `to_version` (0.1.0 ... 1.1.0), as libcni does:
//  - 0.1.0/0.2.0 (ip4/ip6) <-> 0.3.x/0.4.0 (interfaces, ips with "version") <-> 1.x (no "version");
//  - down to 0.1.0/0.2.0 keeps the first IPv4 and the first IPv6 address, routes split by family;
//  - 1.1.0-only fields (interface mtu/socketPath/pciID, route mtu/advmss/priority/table/scope)
//    are dropped below 1.1.0.
// Code 1 (incompatible version) for an unknown source or target version.
Result<nlohmann::json> ConvertResult(const nlohmann::json& result, std::string_view to_version);

// A delegate's ADD result, parsed once. `original` is what its last plugin returned (with a
// cniVersion): the result cache keeps it and the runtime gets it converted to the multus
// config's version. `latest` is the same read as 1.1.0, which is what multus itself reads
// (IPs, routes, network-status, events), or why it cannot be read (a bad address).
struct DelegateResult {
  nlohmann::json original;
  Result<nlohmann::json> latest;
};

// Reads a result once (ParseResult), with its 1.1.0 reading. Code 6 when stdout is not a JSON
// object; a result that does not convert is still returned (only what reads `latest` fails).
Result<DelegateResult> ReadDelegateResult(std::string_view bytes, std::string_view config_version);

// The same for a result already parsed (and so carrying a cniVersion), e.g. after multus
// rewrote its routes.
DelegateResult MakeDelegateResult(nlohmann::json original);

// Serializes a result for printing: 4-space indentation, as the Go CNI library prints.
std::string PrintResult(const nlohmann::json& result);

}  // namespace multus
