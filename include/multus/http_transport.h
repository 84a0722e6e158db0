// HTTP as the Kubernetes client needs it. The client above only builds requests and decodes
// responses; tests give it canned replies through a fake transport.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
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

// How a streamed request (a watch) ends besides the server ending the body.
struct StreamControl {
  // Nothing received for this long: the connection is presumed dead (code 11). A watch must
  // allow more than the apiserver's bookmark interval (about a minute).
  std::chrono::milliseconds idle_limit{std::chrono::minutes(3)};
  // Requested from another thread (shutdown): the transfer is aborted within about a second.
  std::stop_token stop;
};

// Receives the body of a streamed request as it arrives, in chunks of any size (a chunk may end
// mid-line). Returning false ends the transfer.
using StreamSink = std::function<bool(std::string_view chunk)>;

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // One request. Timeouts and broken connections are code 11 (try again later); an
  // unusable client certificate or untrusted server is code 7; any HTTP status, even 500, is
  // a response, and so is "nothing answered" (status 0, the reason in `body`).
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;

  // A long-lived request (a watch): no overall timeout (`request.timeout` bounds connecting
  // only); a 2xx body goes to `on_data` as it arrives and HttpResponse::body stays empty; any
  // other status's body is collected into HttpResponse::body. Ending by `on_data` returning
  // false or by `control.stop` is a response too. Errors as for Send; an idle connection is
  // code 11. Safe to call from several threads at once, and alongside Send. This default sends
  // one ordinary request and hands its whole body over at once (for transports that cannot
  // stream).
  virtual Result<HttpResponse> Stream(const HttpRequest& request, const StreamControl& control,
                                      const StreamSink& on_data);
};

// libcurl + OpenSSL, initialised on first use so that calls that never reach the API do not
// pay for it. Send keeps up to `max_connections` warm connections, each reused, and opens another
// only while every one is busy with another thread's request (multus-daemon's parallel status
// writes); a Send that finds them all busy waits its turn. Each Stream has its own connection.
// All share DNS and TLS sessions, and prefer HTTP/2. Without a CA in the kubeconfig, the host's
// CA bundle is used. Code 5 when libcurl cannot be initialised; code 7 for unusable TLS settings.
Result<std::unique_ptr<HttpTransport>> MakeCurlTransport(const KubeConfig& config,
                                                         size_t max_connections = 8);

}  // namespace multus
