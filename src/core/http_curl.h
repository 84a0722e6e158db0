// What http_curl.cc (Send) and http_curl_stream.cc (Stream) share: the only files that see
// CURL*. Private to the core.
#pragma once

#include <curl/curl.h>

#include <string>

#include "multus/http_transport.h"
#include "multus/kubeconfig.h"
#include "multus/status.h"

namespace multus::curl {

// Everything a handle needs to reach the apiserver; owned by the transport, outlives handles.
struct Site {
  KubeConfig config;
  std::string base_url;              // the server, or https://<tls-server-name>:<port>
  curl_slist* connect_to = nullptr;  // with tls-server-name: connect to the real server
  CURLSH* share = nullptr;           // DNS cache and TLS sessions, shared by all handles
};

// curl_easy_setopt for options whose failure leaves a working default.
template <typename T>
void Set(CURL* handle, CURLoption option, T value) {
  curl_easy_setopt(handle, option, value);
}

// Applies the TLS, HTTP version and sharing options of `site` to a fresh handle. Code 7 for
// unusable certificates.
Status Configure(CURL* handle, const Site& site);

// Accept, Content-Type and Authorization for `request`; the caller frees the list.
curl_slist* Headers(const HttpRequest& request);

// A request that got no HTTP answer, classified for the retry loop and for the user.
Result<HttpResponse> Failure(const Site& site, const HttpRequest& request, CURLcode result,
                             const char* error_text);

// HttpTransport::Stream on a handle of its own (see http_transport.h).
Result<HttpResponse> Stream(const Site& site, const HttpRequest& request,
                            const StreamControl& control, const StreamSink& on_data);

}  // namespace multus::curl
