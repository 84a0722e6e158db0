#include "shim_protocol.h"

#include <nlohmann/json.hpp>

#include "multus/app.h"
#include "multus/base64.h"
#include "multus/cni_version.h"
#include "multus/json_parse.h"

namespace multus::daemon {
namespace {

using nlohmann::json;

Status BadRequest(std::string msg) {
  return Status::Decode("invalid request to the multus daemon: " + std::move(msg),
                        "the client must send {\"env\": {...}, \"config\": \"<base64>\"}");
}

}  // namespace

Result<ShimRequest> DecodeShimRequest(std::string_view body) {
  json doc;
  try {
    doc = ParseJson(body);
  } catch (const json::exception& e) {
    return BadRequest(std::string("body is not JSON: ") + e.what());
  }
  if (!doc.is_object()) return BadRequest("body is not a JSON object");
  ShimRequest request;
  auto env = doc.find("env");
  if (env == doc.end() || !env->is_object()) {
    return Status::InvalidEnv("invalid request to the multus daemon: no \"env\" object");
  }
  for (const auto& [key, value] : env->items()) {
    if (!value.is_string()) return BadRequest("env \"" + key + "\" is not a string");
    request.env[key] = value.get<std::string>();
  }
  if (!request.env.count("CNI_COMMAND")) {
    return Status::InvalidEnv("invalid request to the multus daemon: env has no CNI_COMMAND");
  }
  auto config = doc.find("config");
  if (config != doc.end() && !config->is_null()) {
    if (!config->is_string()) return BadRequest("\"config\" is not a base64 string");
    Result<std::string> decoded = Base64Decode(config->get<std::string>());
    if (!decoded.ok()) return BadRequest("\"config\": " + decoded.status().msg());
    request.config = std::move(decoded).value();
  }
  auto attributes = doc.find("interfaceAttributes");
  if (attributes != doc.end() && !attributes->is_null()) {
    if (!attributes->is_object()) return BadRequest("\"interfaceAttributes\" is not an object");
    request.interface_attributes = attributes->dump();
  }
  return request;
}

int HttpStatusFor(const Status& status) {
  if (status.code() == code::kInternal) return 500;
  return 400;
}

HttpResponse EncodeCniReply(int exit_code, std::string_view stdout_data) {
  HttpResponse response;
  json printed;
  try {
    if (!stdout_data.empty()) printed = ParseJson(stdout_data);
  } catch (const json::exception& e) {
    return ErrorReply(500, Status::Internal(std::string("unreadable CNI output: ") + e.what()),
                      kCurrentVersion);
  }
  if (exit_code != 0) {
    int cni_code = printed.is_object() && printed.value("code", json()).is_number_integer()
                       ? printed["code"].get<int>()
                       : code::kInternal;
    response.status = HttpStatusFor(Status(cni_code, ""));
    response.body = std::string(stdout_data);
    return response;
  }
  if (!stdout_data.empty()) response.body = json{{"Result", printed}}.dump();
  return response;
}

HttpResponse EncodeHotplugReply(const Result<std::string>& result, std::string_view cni_version) {
  if (!result.ok()) return ErrorReply(HttpStatusFor(result.status()), result.status(), cni_version);
  HttpResponse response;
  if (result->empty()) {
    response.body = R"({"Result":null})";
    return response;
  }
  try {
    response.body = json{{"Result", ParseJson(*result)}}.dump();
  } catch (const json::exception& e) {
    return ErrorReply(500, Status::Internal(std::string("unreadable hot-plug result: ") + e.what()),
                      cni_version);
  }
  return response;
}

HttpResponse ErrorReply(int http_status, const Status& status, std::string_view cni_version) {
  HttpResponse response;
  response.status = http_status;
  response.body = ErrorJson(status, cni_version);
  return response;
}

}  // namespace multus::daemon
