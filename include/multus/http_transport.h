// HTTP as the Kubernetes client needs it. The client above only builds requests and decodes
// responses; tests give it canned replies through a fake transport.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "multus/kubeconfig.h"
#include "multus/status.h"

namespace multus {

struct HttpRequest {
  std::string method;  // GET, PATCH, PUT, POST
  std::string path;    // /api/v1/..., appended to the server URL
  std::string content_type;
  std::string body;
  std::string bearer_token;  // sent as Authorization; never logged
  std::chrono::milliseconds timeout{5000};
};

struct HttpResponse {
  // 0: nothing answered at the address (connection refused, unknown host, no route). Not an
  // error of Send: the client reports it at once, since retrying within one call cannot help.
  long status = 0;
  std::string body;
  std::string retry_after;  // the Retry-After header, if any
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // One request. Timeouts and broken connections are code 11 (try again later); an
  // unusable client certificate or untrusted server is code 7; any HTTP status, even 500, is
  // a response, and so is "nothing answered" (status 0, the reason in `body`).
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

// libcurl + OpenSSL, initialised on first use so that calls that never reach the API do not
// pay for it. One connection is reused for every request of the process. Without a CA in the
// kubeconfig, the host's CA bundle is used. Code 5 when libcurl cannot be initialised; code 7
// for unusable TLS settings.
Result<std::unique_ptr<HttpTransport>> MakeCurlTransport(const KubeConfig& config);

}  // namespace multus
